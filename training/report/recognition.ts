/** The report's section on reading people's digits: the recognizer next to the evaluator and the 50-label classifier. */
import type { RecognitionMetrics, Scores } from '../stages/recognition-study';
import { CLASSIFIER_FILES, CLASSIFIERS } from '../stages/recognition-study';
import type { RecognizerMetrics } from '../stages/recognizer';

export const RECOGNITION_HEADING = "## Recognition of people's digits";

const LABELS = {
  recognizer: '**recognizer** (served by default)',
  evaluator: 'evaluator (all labels, no augmentation)',
  classifier: "study's 50-label classifier (`classifier=study`)",
} as const;

const f3 = (x: number) => x.toFixed(3);
const digitCells = (s: Scores) => s.per_digit.map(f3).join(' | ');

export function recognitionSectionLines(training: RecognizerMetrics, r: RecognitionMetrics): string[] {
  const fonts = r.font_test;
  const header = `| model | overall | ${[...Array(10).keys()].join(' | ')} |`;
  const rule = `|---|---|${'---|'.repeat(10)}`;
  return [
    RECOGNITION_HEADING,
    '',
    `POST /v1/classify (and /v1/encode's classification) serve the recognizer by default: ${training.architecture}. ${training.training}. ` +
      `Best epoch ${training.best_epoch} of ${training.epochs}: validation accuracy ${f3(training.validation_accuracy)} on MNIST, ${f3(training.validation_font_accuracy)} on the validation fonts (${training.training_seconds} s of training).`,
    '',
    `Font test set, ${fonts.images} images in ${fonts.fonts} fonts: ${fonts.description}. Accuracy overall and per digit:`,
    '',
    header,
    rule,
    ...CLASSIFIERS.map((n) => `| ${LABELS[n]} | ${f3(fonts.models[n].accuracy)} | ${digitCells(fonts.models[n])} |`),
    '',
    `Printed fonts / handwriting-like fonts: ${CLASSIFIERS.map((n) => `${n} ${f3(fonts.models[n].printed_accuracy)} / ${f3(fonts.models[n].handwriting_accuracy)}`).join('; ')}.`,
    '',
    `MNIST test set (${r.mnist_test.images} images, raw pixels):`,
    '',
    header,
    rule,
    ...CLASSIFIERS.map((n) => `| ${LABELS[n]} | ${f3(r.mnist_test.models[n].accuracy)} | ${digitCells(r.mnist_test.models[n])} |`),
    '',
    `Files scored: ${CLASSIFIERS.map((n) => `${n}: \`${CLASSIFIER_FILES[n]}\``).join(', ')}. Tests post the font set and MNIST test images to the worker itself (test/served/recognition.test.ts, under wrangler dev).`,
  ];
}

/** `report` with its recognition section replaced by `section` (or added before "## Time per stage"). */
export function withRecognitionSection(report: string, section: string[]): string {
  const text = `${section.join('\n')}\n\n`;
  const start = report.indexOf(`${RECOGNITION_HEADING}\n`);
  if (start >= 0) {
    const next = report.indexOf('\n## ', start + RECOGNITION_HEADING.length);
    return report.slice(0, start) + text + (next >= 0 ? report.slice(next + 1) : '');
  }
  const before = report.indexOf('\n## Time per stage');
  return before >= 0 ? `${report.slice(0, before + 1)}${text}${report.slice(before + 1)}` : `${report.trimEnd()}\n\n${text}`;
}
