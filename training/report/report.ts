/** REPORT.md: the study written up like a short paper, from the metrics a run produced. */
import { cpus as cpus_, totalmem } from 'node:os';
import type { StageTiming } from '../progress';
import { formatSeconds } from '../progress';
import type { AutoencoderResult } from '../stages/autoencoder';
import type { StudyResult, Summary } from '../stages/classifier-study';
import type { Evaluator } from '../stages/evaluator';
import type { GanResult } from '../stages/gan';
import type { GenerationStudy } from '../stages/generation-study';
import type { RecognitionMetrics } from '../stages/recognition-study';
import type { RecognizerMetrics } from '../stages/recognizer';
import { FIGURES } from './figures';
import { recognitionSectionLines } from './recognition';

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
  recognizer: { training: RecognizerMetrics; scores: RecognitionMetrics };
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
    `${r.autoencoder.architecture}; ${r.autoencoder.epochs} epochs (best validation epoch ${r.autoencoder.best_epoch}). Test reconstruction error: MSE ${r.autoencoder.test_mse} per pixel, binary cross-entropy ${r.autoencoder.test_bce} per pixel (validation MSE ${r.autoencoder.validation_mse}).${r.autoencoder.pca_baseline ? ` Baseline: PCA to ${r.autoencoder.pca_baseline.components} components fitted on the training images (reconstruction clipped to [0, 1]): MSE ${r.autoencoder.pca_baseline.test_mse}, binary cross-entropy ${r.autoencoder.pca_baseline.test_bce}.` : ''}`,
    '',
    `![test images (top) and reconstructions (bottom)](${fig(FIGURES.reconstructions)})`,
    '',
    '## Latent classifier study (50 labels)',
    '',
    ...studySectionLines(s, fig),
    '## Generative models',
    '',
    ganParagraph('Latent GAN', r.gan),
    '',
    ganParagraph('Conditional latent GAN', r.cganTraining),
    '',
    'Both: non-saturating loss on logits with one-sided label smoothing (0.9), Adam (beta1 0.5), and a projection discriminator for the conditional one (the digit acts on the discriminator\'s features). The exported generator is the exponential moving average of the generator\'s weights, and its first layer scales the standard-normal noise by the temperature T, so the served noise contract is unchanged.',
    '',
    'How these recipes were chosen (development runs scored on the validation split, with what was tried and dropped and their numbers; not from this run) is in the README, "How the generators were made to win".',
    '',
    `### Scores from the evaluator, next to the baselines`,
    '',
    `The evaluator (${r.evaluator.architecture}) is trained on all labelled training images and reaches **${r.evaluator.test_accuracy}** test accuracy (validation ${r.evaluator.validation_accuracy}; its baseline, ${r.evaluator.baseline ? `${r.evaluator.baseline.description}, ${r.evaluator.baseline.test_accuracy}, training loss by epoch ${r.evaluator.baseline.train_loss_by_epoch.join(', ')}` : 'not run'}). It is used only to score images: never to train, select or tune a generator. Every row below decodes ${g.cgan.samples} codes with the same decoder and is scored the same way; Frechet distance (FD) is measured in the evaluator's penultimate-layer feature space against the ${r.counts.test} test images (lower is better). Baselines need no neural network: Gaussians fitted to the encoder's training codes, one per digit, or per digit a ${g.baselines.class_gmm.components}-component mixture (k-means, then a Gaussian per cluster); temperature T scales their covariances by T² exactly as the generators' noise is scaled by T.`,
    '',
    'Conditional: a requested digit.',
    '',
    '| images | T | accuracy on the requested digit | weakest digit | FD |',
    '| --- | --- | --- | --- | --- |',
    conditionalRow('held-out real training images (validation split; ceiling)', g.baselines.real),
    conditionalRow('autoencoder reconstructions of them (the decoder\'s ceiling)', g.baselines.reconstruction),
    conditionalRow('**conditional latent GAN (served)**', g.cgan, true),
    ...(g.generators_by_temperature ?? []).filter((b) => b.model === 'cgan').map((b) => conditionalRow('conditional latent GAN at another temperature (not served)', b)),
    ...g.baselines.by_temperature
      .filter((b) => b.model === 'class_gmm' || b.model === 'class_gaussian')
      .map((b) => conditionalRow(`${b.model === 'class_gmm' ? `${g.baselines.class_gmm.components}-component mixture per digit` : 'one Gaussian per digit'}`, b)),
    '',
    `Per digit, conditional GAN: ${g.cgan.per_digit_accuracy.join(', ')}; the mixture at the same temperature: ${g.baselines.class_gmm.per_digit_accuracy?.join(', ')}.`,
    '',
    'Unconditional: any digit.',
    '',
    '| images | T | FD | mean confidence | class shares 0..9 (%) |',
    '| --- | --- | --- | --- | --- |',
    unconditionalRow('**latent GAN (served)**', g.gan, true),
    ...(g.generators_by_temperature ?? []).filter((b) => b.model === 'gan').map((b) => unconditionalRow('latent GAN at another temperature (not served)', b)),
    ...g.baselines.by_temperature
      .filter((b) => b.model === 'class_mixture' || b.model === 'class_gmm' || b.model === 'global_gaussian')
      .map((b) => unconditionalRow(unconditionalBaselineName(b.model, g.baselines.class_mixture.components), b)),
    '',
    `The latent GAN draws every digit with share 1/10; the equal-share rows are the per-digit mixtures with the same digit shares (the conditional table's mixture samples, scored unconditionally). The quality floor compares the GAN with the class-frequency mix at its temperature. The rows the floors compare give the mean FD of ${(g.gan.frechet_draws ?? [g.gan.frechet]).length} independent draws of ${g.gan.samples} samples (GAN: ${(g.gan.frechet_draws ?? []).join(', ')}; class-frequency mix: ${(g.baselines.class_mixture.frechet_draws ?? []).join(', ')}; cGAN: ${(g.cgan.frechet_draws ?? []).join(', ')}; per-digit mixture: ${(g.baselines.class_gmm.frechet_draws ?? []).join(', ')}); the other rows one draw each. The spread between draws shows how large a difference must be to mean anything.`,
    '',
    ...(g.margin_temperatures
      ? [
          `Margins the floors check, at T = ${g.margin_temperatures.join(', ')} (the mixture's mean FD minus the served generator's; for the cGAN also minus the larger spread of the two sets of draws; above 0 = the generator wins): cGAN over the per-digit mixture ${g.cgan.margins_over_class_gmm.join(', ')}; latent GAN over the equal-share mixture ${g.gan.margins_over_class_gmm.join(', ')}, over the class-frequency mixture ${g.gan.margins_over_class_mixture.join(', ')}.`,
          '',
        ]
      : []),
    `Latent GAN: class coverage ${g.gan.coverage} (share of digits with at least half their fair share), normalised entropy of the class histogram ${g.gan.normalized_entropy} (1 = uniform).`,
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
    ...recognitionSectionLines(r.recognizer.training, r.recognizer.scores),
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

function unconditionalBaselineName(model: string, components: number): string {
  if (model === 'class_mixture') return `class-frequency mix of the per-digit ${components}-component mixtures`;
  if (model === 'class_gmm') return `equal-share mix of the per-digit ${components}-component mixtures`;
  return 'one Gaussian for all codes';
}

type Scores = GenerationStudy['metrics']['gan'] | GenerationStudy['metrics']['baselines']['real'];

function ganParagraph(name: string, g: GanResult['metrics']): string {
  const what = g.modes === 'clusters' ? 'code cluster' : 'requested digit';
  const modes =
    g.modes === 'digits'
      ? '; self-conditioned on the digits (each digit one mode of the generator\'s prior with share 1/10, drawn from noise[0], so the served generator reads noise only), with a projection discriminator and an MMD term per digit'
      : g.modes === 'clusters'
        ? `; self-conditioned on ${g.clusters} k-means clusters of the training codes (no labels; one mode of the generator's prior each, drawn with the cluster's share from noise[0]; the clusters agree with the digits on ${g.cluster_digit_purity} of the codes, measured for this report only)${g.mixture_base ? ', the generator starting as the clusters\' Gaussian mixture,' : ''} with a projection discriminator and an MMD term per cluster`
        : '';
  const classification = g.classification_weight
    ? `; plus an AC-GAN classification term of weight ${g.classification_weight} (a small classifier trained on the real training codes and their ${g.modes === 'clusters' ? 'clusters' : 'labels'}, training accuracy ${g.code_classifier_train_accuracy}, then frozen, scores the generated code against the ${what})`
    : '';
  return `${name}: ${g.steps} steps of batch ${g.batch_size}, learning rate ${g.learning_rate}, ${g.layers} hidden layers of ${g.generator_hidden} (generator) and ${g.discriminator_hidden} (discriminator) units, weight average decay ${g.ema_decay}, temperature ${g.temperature}${modes}${classification}; final D loss ${g.final_d_loss}, G loss ${g.final_g_loss} (its MMD term without the real-real kernel block, a constant).`;
}

function conditionalRow(label: string, b: Scores & { temperature?: number }, bold = false): string {
  const weakest = b.per_digit_accuracy ? Math.min(...b.per_digit_accuracy) : NaN;
  const v = (x: unknown) => (bold ? `**${x}**` : `${x}`);
  return `| ${label} | ${b.temperature ?? '—'} | ${v(b.accuracy)} | ${weakest} (digit ${b.per_digit_accuracy?.indexOf(weakest)}) | ${v(b.frechet)} |`;
}

function unconditionalRow(label: string, b: Scores & { temperature?: number }, bold = false): string {
  const v = (x: unknown) => (bold ? `**${x}**` : `${x}`);
  return `| ${label} | ${b.temperature ?? '—'} | ${v(b.frechet)} | ${v(b.mean_confidence)} | ${b.class_histogram.map(pct).join(', ')} |`;
}

/** The 50-label rows of the summary: the honest results, then the oracle and the baselines, clearly apart. */
function studySummaryLines(s: StudyResult['metrics']): string[] {
  const o = s.oracle_validation_selection;
  return [
    `| ${s.labelled}-label test accuracy (mean ± sd over ${s.draws} draws) | published | this run |`,
    '| --- | --- | --- |',
    `| (a) classifier on frozen latent codes (chosen per draw by CV inside the ${s.labelled} labels; most often ${s.frozen.architecture}) | ${s.reference.frozen} | ${ms(s.frozen)} |`,
    `| (b) that classifier stacked on the encoder, trained end to end (${s.finetuned.epochs} epochs, fixed) | ${s.reference.finetuned} | ${ms(s.finetuned)} |`,
    `| (c) **semi-supervised**: label spreading over all training images (deskewed PCA-50 pixels), kNN vote (${s.semisupervised.method}) | — | **${ms(s.semisupervised)}** |`,
    `| (c') the same spread labels learned by an MLP on the latent codes (the served classifier) / spreading on the codes' own graph | — | ${ms(s.semisupervised.candidates['pixels:spread+distilled-mlp'].test)} / ${ms(s.semisupervised.candidates['codes:spread+knn'].test)} |`,
    `| baseline: logistic regression on the codes, solved to convergence | — | ${ms(s.architectures.softmax.test)} |`,
    `| baseline: label spreading on PCA-50 of raw pixels (no autoencoder; ${s.baselines.pca50_label_spreading.pool} rows) / on the codes of the same rows | — | ${ms(s.baselines.pca50_label_spreading)} / ${ms(s.baselines.codes_label_spreading_same_pool)} |`,
    `| oracle_validation_selection (NOT a 50-label result: chosen on ${o.validation_rows} labelled validation images): (a) ${o.frozen.architecture} / (b) / (c) ${o.semisupervised.method} | — | ${ms(o.frozen)} / ${ms(o.finetuned)} / ${ms(o.semisupervised)} |`,
    '',
    `Labels: ${s.draw_method}. Protocol: ${s.protocol}`,
    '',
    `The served classifier (\`classifier.onnx\`) reads latent codes: it is (c)'s spread labels of draw ${s.served.draw} learned by an MLP on the codes (${s.served.method}): test accuracy **${s.served.test_accuracy}** on the test images (computed with the tfjs model on the encoder's test codes).`,
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
    `Label spreading (Zhou et al., 2004; alpha ${ssl.alpha}, ${ssl.iterations} iterations${ssl.class_mass_normalisation ? ', class mass normalisation as in Zhu et al., 2003' : ''}) over one symmetrised ${ssl.neighbours}-nearest-neighbour graph of all training images: the ${s.labelled} labelled ones and ${ssl.unlabelled} unlabelled ones (their labels are never read). The method's graph joins images in PCA-50 of deskewed pixels (each image sheared so its ink's x and y do not covary; PCA fitted on the training images); the same spreading on the codes' graph is reported beside it. Each graph is built once; each draw only changes the seeds. The spread labels are right for ${ms(ssl.spread_label_accuracy)} of the training images on the pixel graph and ${ms(ssl.spread_label_accuracy_codes)} on the codes' graph (analysis only). **The latent space does not earn its place here**: its graph spreads worse than deskewed pixels, and an MLP on the codes learns the pixel graph's labels less well than a vote in pixel space. Every setting and the method were fixed before this run (in development on the training split's labels, never per draw); the validation column is analysis only:`,
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
