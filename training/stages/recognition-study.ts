/**
 * How well each pixel-or-code classifier of a model set reads digits, through the ONNX files the worker
 * would serve (onnxruntime-node): the recognizer (recognizer.f16), the study's 50-label classifier as
 * served (encoder.f16 -> classifier.f16) and the evaluator (evaluator.onnx, trained on all labels without
 * augmentation: the baseline). On the font test set (printed and handwriting-like fonts none of the
 * models trained on) and on the MNIST test set; overall and per digit.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { float16File, IMAGE_PIXELS, MODEL_SPECS, NUM_CLASSES, TENSOR } from '../../core/contract';
import { loadFontTestSet, type FontTestSet } from '../data/font-test-set';
import type { Split } from '../data/mnist';
import { createSession } from '../export/runtimes';
import { argmax } from '../fit';
import { round } from '../progress';

export interface Scores {
  accuracy: number;
  /** accuracy on the images of each digit 0..9 */
  per_digit: number[];
}

export interface RecognitionMetrics {
  font_test: {
    images: number;
    fonts: number;
    description: string;
    models: Record<ClassifierName, Scores & { printed_accuracy: number; handwriting_accuracy: number }>;
  };
  mnist_test: { images: number; models: Record<ClassifierName, Scores> };
}

export const CLASSIFIERS = ['recognizer', 'evaluator', 'classifier'] as const;
export type ClassifierName = (typeof CLASSIFIERS)[number];

export const CLASSIFIER_FILES: Record<ClassifierName, string> = {
  recognizer: float16File(MODEL_SPECS.recognizer.file),
  evaluator: MODEL_SPECS.evaluator.file,
  classifier: `${float16File(MODEL_SPECS.encoder.file)} -> ${float16File(MODEL_SPECS.classifier.file)}`,
};

export function scoreDigits(predicted: ArrayLike<number>, labels: ArrayLike<number>, keep: (i: number) => boolean = () => true): Scores {
  const right = new Array<number>(NUM_CLASSES).fill(0);
  const seen = new Array<number>(NUM_CLASSES).fill(0);
  for (let i = 0; i < labels.length; i++) {
    if (!keep(i)) continue;
    seen[labels[i]]++;
    if (predicted[i] === labels[i]) right[labels[i]]++;
  }
  const total = seen.reduce((a, b) => a + b, 0);
  return { accuracy: round(right.reduce((a, b) => a + b, 0) / total), per_digit: right.map((r, d) => round(r / seen[d])) };
}

type Predict = (images: Float32Array, count: number) => Promise<Uint8Array>;

async function predictors(modelsDir: string): Promise<Record<ClassifierName, Predict>> {
  const open = async (file: string) => createSession('onnxruntime-node', new Uint8Array(await readFile(join(modelsDir, file))));
  const recognizer = await open(float16File(MODEL_SPECS.recognizer.file));
  const evaluator = await open(MODEL_SPECS.evaluator.file);
  const encoder = await open(float16File(MODEL_SPECS.encoder.file));
  const classifier = await open(float16File(MODEL_SPECS.classifier.file));
  const digits = (probabilities: Float32Array, count: number) => Uint8Array.from({ length: count }, (_, i) => argmax(probabilities, i * NUM_CLASSES, NUM_CLASSES));
  const onPixels = (session: typeof recognizer): Predict => async (images, count) =>
    digits((await session.run({ [TENSOR.image]: { data: images, dims: [count, IMAGE_PIXELS] } }))[TENSOR.probabilities], count);
  return {
    recognizer: onPixels(recognizer),
    evaluator: onPixels(evaluator),
    classifier: async (images, count) => {
      const latent = (await encoder.run({ [TENSOR.image]: { data: images, dims: [count, IMAGE_PIXELS] } }))[TENSOR.latent];
      const probabilities = (await classifier.run({ [TENSOR.latent]: { data: latent, dims: [count, latent.length / count] } }))[TENSOR.probabilities];
      return digits(probabilities, count);
    },
  };
}

/** Scores the set in `modelsDir` (the published models/ or a run's staging directory). */
export async function runRecognitionStudy(modelsDir: string, mnistTest: Split, fontSet?: FontTestSet): Promise<RecognitionMetrics> {
  const fonts = fontSet ?? (await loadFontTestSet());
  const predict = await predictors(modelsDir);
  const fontModels = {} as RecognitionMetrics['font_test']['models'];
  const mnistModels = {} as RecognitionMetrics['mnist_test']['models'];
  for (const name of CLASSIFIERS) {
    const onFonts = await predict[name](fonts.images, fonts.count);
    fontModels[name] = {
      ...scoreDigits(onFonts, fonts.labels),
      printed_accuracy: scoreDigits(onFonts, fonts.labels, (i) => !fonts.handwriting[i]).accuracy,
      handwriting_accuracy: scoreDigits(onFonts, fonts.labels, (i) => fonts.handwriting[i]).accuracy,
    };
    mnistModels[name] = scoreDigits(await predict[name](mnistTest.images, mnistTest.count), mnistTest.labels);
  }
  return {
    font_test: {
      images: fonts.count,
      fonts: fonts.fonts,
      description:
        'test/fixtures/font-digits, the ten digits in each of training/data/fonts.ts TEST_FONTS (none trained on), 280x280 dark on light ' +
        "at a few sizes, offsets and tilts, normalised by the worker's code",
      models: fontModels,
    },
    mnist_test: { images: mnistTest.count, models: mnistModels },
  };
}
