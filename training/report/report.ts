/** REPORT.md: the study written up like a short paper, from the metrics a run produced. */
import { cpus as cpus_, totalmem } from 'node:os';
import type { StageTiming } from '../progress';
import { formatSeconds } from '../progress';
import type { AutoencoderResult } from '../stages/autoencoder';
import type { StudyResult, Summary } from '../stages/classifier-study';
import type { Evaluator } from '../stages/evaluator';
import type { GanResult } from '../stages/gan';
import type { GenerationStudy } from '../stages/generation-study';
import { FIGURES } from './figures';

export interface ReportInputs {
  runId: string;
  createdAt: string;
  dataset: string;
  seed: number;
  quick: boolean;
  backend: string;
  command: string;
  counts: { train: number; validation: number; test: number };
  autoencoder: AutoencoderResult['metrics'];
  evaluator: Evaluator['metrics'];
  study: StudyResult['metrics'];
  gan: GanResult['metrics'];
  cganTraining: GanResult['metrics'];
  generation: GenerationStudy['metrics'];
  timings: StageTiming[];
  totalSeconds: number;
  exportChecks?: Record<string, unknown>;
  /** figure paths relative to the report */
  figuresDir: string;
}

const pct = (x: number) => (x * 100).toFixed(1);
const ms = (s: Summary) => `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}`;

export function renderReport(r: ReportInputs): string {
  const s = r.study;
  const g = r.generation;
  const fig = (name: string) => `${r.figuresDir}/${name}`;
  const lines = [
    `# Latent Digits: study report`,
    '',
    `Run \`${r.runId}\`, ${r.createdAt}; dataset ${r.dataset} (${r.counts.train} training / ${r.counts.validation} validation / ${r.counts.test} test images); seed ${r.seed}; TensorFlow.js backend \`${r.backend}\`${r.quick ? '; **quick run on a small subset: numbers are not meaningful**' : ''}.`,
    `Produced by \`${r.command}\` in ${formatSeconds(r.totalSeconds)}. Every number below is the one that run printed; none is edited by hand.`,
    '',
    '## Summary',
    '',
    `An autoencoder compresses MNIST digits to ${r.autoencoder.architecture.split(', ')[0].split('-').find((_, i, a) => i === Math.floor(a.length / 2))}-dimensional codes. With only ${s.labelled} labelled training images, we train classifiers on those codes, reproduce a small published study, and beat it with a semi-supervised method. Two GANs generate codes (one unconditional, one conditioned on the digit) that the decoder turns into images; an independent evaluator classifier scores them.`,
    '',
    ...studySummaryLines(s),
    '',
    '## Autoencoder',
    '',
    `${r.autoencoder.architecture}; ${r.autoencoder.epochs} epochs (best validation epoch ${r.autoencoder.best_epoch}). Test reconstruction error: MSE ${r.autoencoder.test_mse} per pixel, binary cross-entropy ${r.autoencoder.test_bce} per pixel (validation MSE ${r.autoencoder.validation_mse}).`,
    '',
    `![test images (top) and reconstructions (bottom)](${fig(FIGURES.reconstructions)})`,
    '',
    '## Latent classifier study (50 labels)',
    '',
    ...studySectionLines(s, fig),
    '## Generative models',
    '',
    `Latent GAN: ${r.gan.steps} steps of batch ${r.gan.batch_size} (final D loss ${r.gan.final_d_loss}, G loss ${r.gan.final_g_loss}). Conditional latent GAN: ${r.cganTraining.steps} steps (final D loss ${r.cganTraining.final_d_loss}, G loss ${r.cganTraining.final_g_loss}${r.cganTraining.classification_weight ? `, which includes a classification term: a small classifier trained on the real training codes and labels (training accuracy ${r.cganTraining.code_classifier_train_accuracy}), then frozen, scores the generated code against the requested digit, weight ${r.cganTraining.classification_weight}, as in AC-GAN` : ''}). Both use the non-saturating loss, one-sided label smoothing (0.9) and Adam (beta1 0.5).`,
    '',
    `### Scores from the evaluator`,
    '',
    `The evaluator (${r.evaluator.architecture}) is trained on all labelled training images and reaches **${r.evaluator.test_accuracy}** test accuracy (validation ${r.evaluator.validation_accuracy}). It is used only to score generated images.`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| conditional GAN: evaluator accuracy on requested digits (${g.cgan.samples} samples) | **${g.cgan.evaluator_accuracy}** |`,
    `| conditional GAN: per-digit accuracy 0..9 | ${g.cgan.per_digit_accuracy.join(', ')} |`,
    `| unconditional GAN: class coverage (share of digits with at least half their fair share) | ${g.gan.coverage} |`,
    `| unconditional GAN: class histogram 0..9 (%) | ${g.gan.class_histogram.map(pct).join(', ')} |`,
    `| unconditional GAN: normalised entropy of the class histogram (1 = uniform) | ${g.gan.normalized_entropy} |`,
    `| mean evaluator confidence: GAN / cGAN samples | ${g.gan.mean_confidence} / ${g.cgan.mean_confidence} |`,
    '',
    `Frechet distance in the evaluator's penultimate-layer feature space against the ${r.counts.test} test images (lower is better):`,
    '',
    '| images | Frechet distance |',
    '| --- | --- |',
    `| held-out real training images (validation split; the floor) | ${g.frechet_baselines.real_vs_real} |`,
    `| autoencoder reconstructions of those held-out images | ${g.frechet_baselines.ae_reconstructions} |`,
    `| **latent GAN samples** | **${g.gan.frechet_distance}** |`,
    `| **conditional GAN samples** | **${g.cgan.frechet_distance}** |`,
    `| codes drawn from a Gaussian fitted to the training codes (baseline) | ${g.frechet_baselines.gaussian_latent} |`,
    '',
    `![latent GAN samples](${fig(FIGURES.samples)})`,
    '',
    `Conditional GAN, one row per requested digit 0..9:`,
    '',
    `![conditional GAN samples](${fig(FIGURES.conditional)})`,
    '',
    '## Interpolation study',
    '',
    `Pairs of rows: generator samples with their noise interpolated linearly (odd rows), then two encoded real test images with their codes interpolated (even rows); ${g.interpolation.steps} steps, ends included.`,
    '',
    `![interpolation rows](${fig(FIGURES.interpolation)})`,
    '',
    `Over ${g.interpolation.pairs} random pairs each, the evaluator's confidence along the path:`,
    '',
    '| path | mean confidence | mean of each path\'s minimum | by step |',
    '| --- | --- | --- | --- |',
    `| generator noise | ${g.interpolation.noise.mean_confidence} | ${g.interpolation.noise.min_confidence_mean} | ${g.interpolation.noise.confidence_by_step.join(', ')} |`,
    `| encoded real images | ${g.interpolation.real.mean_confidence} | ${g.interpolation.real.min_confidence_mean} | ${g.interpolation.real.confidence_by_step.join(', ')} |`,
    `| cGAN digit morph (same noise, one-hot walked from digit a to b) | — | — | ${g.interpolation.conditional_morph.confidence_by_step.join(', ')} |`,
    '',
    `Morph endpoints classified as the requested digits: ${g.interpolation.conditional_morph.endpoint_accuracy}.`,
    '',
    `![confidence along paths](${fig(FIGURES.interpolationConfidence)})`,
    '',
    '## Time per stage',
    '',
    '| stage | time |',
    '| --- | --- |',
    ...r.timings.map((t) => `| ${t.stage} | ${formatSeconds(t.seconds)} |`),
    `| **total** | **${formatSeconds(r.totalSeconds)}** |`,
    '',
    `Machine: ${r.backend} backend, ${processorLine()}.`,
    '',
    '## Reproduce',
    '',
    '```',
    r.command,
    '```',
    '',
    'Runs are seeded: the same seed, data and backend give the same numbers. Metrics are also in `manifest.json` under `metrics`.',
    '',
  ];
  return lines.join('\n');
}

/** The 50-label rows of the summary: the honest results, then the oracle and the baselines, clearly apart. */
function studySummaryLines(s: StudyResult['metrics']): string[] {
  const o = s.oracle_validation_selection;
  return [
    `| ${s.labelled}-label test accuracy (mean ± sd over ${s.draws} draws) | published | this run |`,
    '| --- | --- | --- |',
    `| (a) classifier on frozen latent codes (chosen per draw by CV inside the ${s.labelled} labels; most often ${s.frozen.architecture}) | ${s.reference.frozen} | ${ms(s.frozen)} |`,
    `| (b) that classifier stacked on the encoder, trained end to end (${s.finetuned.epochs} epochs, fixed) | ${s.reference.finetuned} | ${ms(s.finetuned)} |`,
    `| (c) **semi-supervised**: label spreading over all training codes, distilled into an MLP (${s.semisupervised.method}) | — | **${ms(s.semisupervised)}** |`,
    `| baseline: logistic regression on the codes, solved to convergence | — | ${ms(s.architectures.softmax.test)} |`,
    `| baseline: label spreading on PCA-50 of raw pixels (no autoencoder; ${s.baselines.pca50_label_spreading.pool} rows) / on the codes of the same rows | — | ${ms(s.baselines.pca50_label_spreading)} / ${ms(s.baselines.codes_label_spreading_same_pool)} |`,
    `| oracle_validation_selection (NOT a 50-label result: chosen on ${o.validation_rows} labelled validation images): (a) ${o.frozen.architecture} / (b) / (c) ${o.semisupervised.method} | — | ${ms(o.frozen)} / ${ms(o.finetuned)} / ${ms(o.semisupervised)} |`,
    '',
    `Labels: ${s.draw_method}. Protocol: ${s.protocol}`,
    '',
    `The served classifier (\`classifier.onnx\`) is method (c) for draw ${s.served.draw}: test accuracy **${s.served.test_accuracy}** on the test images (computed with the tfjs model on the encoder's test codes).`,
  ];
}

function studySectionLines(s: StudyResult['metrics'], fig: (name: string) => string): string[] {
  const ssl = s.semisupervised;
  const lr = s.architectures.softmax;
  return [
    '### (a) Architectures on frozen latent codes',
    '',
    `For every draw, each head is trained ${s.folds} times on ${s.labelled - s.labelled / s.folds} of the ${s.labelled} labels and scored on the ${s.labelled / s.folds} it did not see (one image per digit per fold); the epoch count (logistic regression: the L2 strength) and the head with the best cross-validated accuracy are then trained on all ${s.labelled} and scored on the test set once. The validation columns are analysis only (the oracle: best validation epoch).`,
    '',
    '| architecture | CV accuracy inside the 50 | test at the CV choice | oracle: best validation | oracle: test at it |',
    '| --- | --- | --- | --- | --- |',
    ...Object.entries(s.architectures).map(([id, a]) => `| ${id}: ${a.description} | ${a.cv ? ms(a.cv) : `not a CV candidate (${a.chosen_setting[0]} epochs, fixed)`} | ${ms(a.test)} | ${ms(a.validation)} | ${ms(a.oracle_test)} |`),
    '',
    `Chosen per draw: ${s.frozen.chosen_per_draw.join(', ')}; test ${ms(s.frozen)} (per draw ${s.frozen.runs.join(', ')}). The networks train full-batch with Adam (lr 1e-3). The logistic regression is solved by Newton's method on standardised codes to a gradient below 1e-7 (${lr.iterations ? `${lr.iterations.mean.toFixed(1)} iterations on average` : 'iterations not recorded'}; L2 per draw ${lr.chosen_setting.join(', ')}).`,
    '',
    '### (b) Stacked on the encoder',
    '',
    `The draw's chosen head on top of a copy of the trained encoder, all weights trainable, ${s.finetuned.epochs} full-batch epochs (fixed in advance, no early stopping): test ${ms(s.finetuned)} (per draw ${s.finetuned.runs.join(', ')}). Oracle (best validation checkpoint): ${ms(s.oracle_validation_selection.finetuned)}. Compare the frozen classifier: ${ms(s.frozen)}.`,
    '',
    `![validation accuracy curves](${fig(FIGURES.accuracyCurves)})`,
    '',
    `Validation accuracy at checkpoints for every architecture and draw (analysis only): [\`${FIGURES.accuracyCsv}\`](${fig(FIGURES.accuracyCsv)}).`,
    '',
    '### (c) Semi-supervised',
    '',
    `Label spreading (Zhou et al., 2004; alpha ${ssl.alpha}, ${ssl.iterations} iterations${ssl.class_mass_normalisation ? ', class mass normalisation as in Zhu et al., 2003' : ''}) over one symmetrised ${ssl.neighbours}-nearest-neighbour graph of all standardised training codes: the ${s.labelled} labelled ones and ${ssl.unlabelled} unlabelled ones (their labels are never read). The graph is built once; each draw only changes the seeds. The spread labels are right for ${ms(ssl.spread_label_accuracy)} of the training codes (analysis only). Every setting and the method were fixed before any result was seen; the validation column is analysis only:`,
    '',
    '| method | test accuracy | validation (analysis) |',
    '| --- | --- | --- |',
    ...Object.entries(ssl.candidates).map(([id, c]) => `| ${id === ssl.method ? `**${id}** (the method)` : id}: ${c.description} | ${ms(c.test)} | ${ms(c.validation)} |`),
    `| baseline: ${s.baselines.pca50_label_spreading.description} | ${ms(s.baselines.pca50_label_spreading)} | — |`,
    `| baseline: ${s.baselines.codes_label_spreading_same_pool.description} | ${ms(s.baselines.codes_label_spreading_same_pool)} | — |`,
    '',
    `Study stage time: ${Object.entries(s.timings).map(([k, v]) => `${k.replace(/_seconds$/, '').replace(/_/g, ' ')} ${v} s`).join(', ')}.`,
    '',
  ];
}

function processorLine(): string {
  const cpus = cpus_();
  return `${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${process.platform} ${process.arch}, Node ${process.version}`;
}
