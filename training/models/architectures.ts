/**
 * Model builders. Every model is a tfjs LayersModel built from layers the ONNX exporter supports
 * (Dense, LeakyReLU, Dropout, Concatenate, Add, Multiply, BatchNormalization); shapes below use N for the batch.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, LATENT_DIM, NOISE_DIM, NUM_CLASSES } from '../../core/contract';
import { normalQuantile } from '../metrics/normal-quantile';
import type { GaussianComponent } from '../stages/latent-baselines';

/** Widths of the autoencoder's hidden layers, encoder side (the decoder mirrors them). */
export const AE_HIDDEN = [512, 128];

/**
 * Encoder: image [N, 784] in [0, 1] -> latent code [N, LATENT_DIM]. The code is batch-normalised, so codes
 * stay near unit scale per dimension: GANs and kNN graphs work on a known scale, and float32 round-off
 * in exported graphs stays far below 1e-5 (unnormalised codes reached |42| and round-off 1.5e-5).
 * (Scale and shift stay learnable: tfjs-layers 4.22 fails in training with center = scale = false.)
 */
export function buildEncoder(hidden = AE_HIDDEN, latentDim = LATENT_DIM): tf.LayersModel {
  const input = tf.input({ shape: [IMAGE_PIXELS], name: 'image' });
  let x: tf.SymbolicTensor = input;
  hidden.forEach((units, i) => {
    x = tf.layers.dense({ units, activation: 'relu', name: `enc_dense${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.dense({ units: latentDim, name: 'enc_linear' }).apply(x) as tf.SymbolicTensor;
  const latent = tf.layers
    .batchNormalization({ name: 'enc_latent' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: latent, name: 'encoder' });
}

/** Decoder: latent code [N, latentDim] -> image [N, 784] in [0, 1] (sigmoid); `hidden` in encoder order (mirrored). */
export function buildDecoder(hidden = AE_HIDDEN, latentDim = LATENT_DIM): tf.LayersModel {
  const input = tf.input({ shape: [latentDim], name: 'latent' });
  let x: tf.SymbolicTensor = input;
  [...hidden].reverse().forEach((units, i) => {
    x = tf.layers.dense({ units, activation: 'relu', name: `dec_dense${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  const image = tf.layers
    .dense({ units: IMAGE_PIXELS, activation: 'sigmoid', name: 'dec_image' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: image, name: 'decoder' });
}

/** Autoencoder: encoder then decoder, image [N, 784] -> reconstruction [N, 784]; shares their weights. */
export function buildAutoencoder(encoder: tf.LayersModel, decoder: tf.LayersModel): tf.LayersModel {
  const input = tf.input({ shape: [IMAGE_PIXELS], name: 'ae_image' });
  const code = encoder.apply(input) as tf.SymbolicTensor;
  const recon = decoder.apply(code) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: recon, name: 'autoencoder' });
}

/** Width and depth of a latent GAN's networks (the generator's is exported; the discriminator's is not). */
export interface GanShape {
  generatorHidden: number;
  discriminatorHidden: number;
  /** dropout after each of the discriminator's hidden layers (0 = none) */
  discriminatorDropout: number;
  layers: number;
}

/**
 * Steepness of the mode selector's steps: a step is 0.03% of a standard deviation wide (|k (z0 - t)| < 4.6),
 * so with 100 modes about 1% of draws blend two. (200 blurred ~half of all draws at 30 modes: the
 * untrained mixture then scored FD 8.9 at 100 modes against 4.9 at 30.) 2^15 is exact in float16.
 */
const MODE_STEEPNESS = 2 ** 15;

/**
 * Where noise[0] switches from one mode of the unconditional generator to the next: the standard normal
 * quantiles of the modes' cumulative shares, so mode j is drawn with probability shares[j].
 */
export function modeThresholds(shares: readonly number[]): number[] {
  const out: number[] = [];
  let cumulative = 0;
  for (const share of shares.slice(0, -1)) {
    cumulative += share;
    out.push(normalQuantile(Math.min(Math.max(cumulative, 1e-9), 1 - 1e-9)));
  }
  return out;
}

/** The mode (0-based) the generator's selector picks for noise[0] = z0: how many thresholds z0 reaches. */
export function modeOf(z0: number, thresholds: readonly number[]): number {
  let mode = 0;
  while (mode < thresholds.length && z0 >= thresholds[mode]) mode++;
  return mode;
}

/**
 * A fixed (untrained) mode selector: noise [N, NOISE_DIM] -> [N, modes] soft one-hot of where noise[0] falls
 * among `thresholds` (modeOf). Step i is sigmoid(k (z0 - t_i)); mode j = step_j - step_(j+1) (step_0 = 1,
 * step_modes = 0). The generator then draws from a mixture prior whose modes have fixed shares (as in
 * DeLiGAN, Gurumurthy et al. 2017, with fixed instead of learned components); training tells each mode
 * which cluster of the codes it stands for (training/stages/gan.ts).
 */
function modeSelector(noise: tf.SymbolicTensor, thresholds: readonly number[], name = 'gen_mode'): tf.SymbolicTensor {
  const modes = thresholds.length + 1;
  const stepKernel = tf.tidy(() => tf.zeros([NOISE_DIM, modes - 1]).add(tf.oneHot(tf.zeros([1], 'int32'), NOISE_DIM).reshape([NOISE_DIM, 1]).mul(MODE_STEEPNESS)));
  const stepBias = tf.tensor1d(thresholds.map((t) => -MODE_STEEPNESS * t));
  const steps = tf.layers
    .dense({ units: modes - 1, activation: 'sigmoid', trainable: false, weights: [stepKernel, stepBias], name: `${name}_steps` })
    .apply(noise) as tf.SymbolicTensor;
  const differences = tf.buffer([modes - 1, modes]);
  for (let i = 0; i < modes - 1; i++) {
    differences.set(-1, i, i); // step i+1 ends mode i
    differences.set(1, i, i + 1); // and starts mode i+1
  }
  const modeBias = tf.tensor1d(Array.from({ length: modes }, (_, j) => (j === 0 ? 1 : 0)));
  return tf.layers
    .dense({ units: modes, trainable: false, weights: [differences.toTensor(), modeBias], name })
    .apply(steps) as tf.SymbolicTensor;
}

/**
 * Latent GAN generator: noise [N, NOISE_DIM] ~ N(0, 1) -> latent code [N, LATENT_DIM]. With `modeShares`
 * (two or more), the trunk reads the noise ++ the fixed mode selector's [N, modes] output. With
 * `modeGaussians` too (one per mode: mean and Cholesky factor L of the covariance), the output is the selected
 * mode's Gaussian sample plus the trunk: mean_m + L_m noise[1..LATENT_DIM] + trunk(noise, mode), the trunk's last layer starting at zero, so the
 * untrained generator is that Gaussian mixture and adversarial training learns the correction (means and
 * factors train too, as DeLiGAN's mixture prior does).
 */
export function buildGenerator(shape: GanShape, modeShares: readonly number[] = [], modeGaussians?: readonly GaussianComponent[]): tf.LayersModel {
  const noise = tf.input({ shape: [NOISE_DIM], name: 'noise' });
  if (modeShares.length < 2) return tf.model({ inputs: noise, outputs: generatorTrunk(noise, 'gen', shape), name: 'generator' });
  const mode = modeSelector(noise, modeThresholds(modeShares));
  const input = tf.layers.concatenate({ name: 'gen_concat' }).apply([noise, mode]) as tf.SymbolicTensor;
  if (!modeGaussians) return tf.model({ inputs: noise, outputs: generatorTrunk(input, 'gen', shape), name: 'generator' });
  if (modeGaussians.length !== modeShares.length) throw new Error(`${modeShares.length} mode shares but ${modeGaussians.length} mode Gaussians`);
  const base = mixtureSample(noise, mode, modeGaussians);
  const correction = generatorTrunk(input, 'gen', shape, true);
  return tf.model({ inputs: noise, outputs: tf.layers.add({ name: 'gen_output' }).apply([base, correction]) as tf.SymbolicTensor, name: 'generator' });
}

/**
 * mean_m + L_m eps for the selected mode m, eps = noise[1..LATENT_DIM] (noise[0] picks the mode), in layers
 * the exporter maps: every mode's L eps at once ([N, modes * LATENT_DIM], trainable), masked by the
 * one-hot mode spread over its LATENT_DIM columns (fixed), summed per output dimension (fixed), plus the
 * mode's mean (one-hot times the trainable means).
 */
function mixtureSample(noise: tf.SymbolicTensor, mode: tf.SymbolicTensor, gaussians: readonly GaussianComponent[]): tf.SymbolicTensor {
  const modes = gaussians.length;
  const D = LATENT_DIM;
  if (D + 1 > NOISE_DIM) throw new Error(`a mixture-based generator needs noise of at least LATENT_DIM + 1 = ${D + 1} numbers (noise[0] picks the mode); NOISE_DIM is ${NOISE_DIM}`);
  const scale = tf.buffer([NOISE_DIM, modes * D]);
  const spread = tf.buffer([modes, modes * D]);
  const sum = tf.buffer([modes * D, D]);
  const means = tf.buffer([modes, D]);
  gaussians.forEach(({ mean, chol }, m) => {
    for (let j = 0; j < D; j++) {
      for (let i = 0; i <= j; i++) scale.set(chol[j][i], 1 + i, m * D + j);
      spread.set(1, m, m * D + j);
      sum.set(1, m * D + j, j);
      means.set(mean[j], m, j);
    }
  });
  const dense = (units: number, name: string, kernel: tf.TensorBuffer<tf.Rank>, trainable: boolean) =>
    tf.layers.dense({ units, useBias: false, trainable, weights: [kernel.toTensor()], name });
  const all = dense(modes * D, 'gen_mode_scale', scale, true).apply(noise) as tf.SymbolicTensor;
  const mask = dense(modes * D, 'gen_mode_spread', spread, false).apply(mode) as tf.SymbolicTensor;
  const picked = tf.layers.multiply({ name: 'gen_mode_pick' }).apply([all, mask]) as tf.SymbolicTensor;
  const spreadOut = dense(D, 'gen_mode_sum', sum, false).apply(picked) as tf.SymbolicTensor;
  const mean = dense(D, 'gen_mode_mean', means, true).apply(mode) as tf.SymbolicTensor;
  return tf.layers.add({ name: 'gen_mode_sample' }).apply([mean, spreadOut]) as tf.SymbolicTensor;
}

/**
 * Conditional generator: noise [N, NOISE_DIM] ++ one-hot digit [N, 10] -> latent code [N, LATENT_DIM].
 * With `digitGaussians` (per digit, the components of its Gaussian mixture), the output is a sample of the
 * requested digit's mixture plus the trunk, the trunk's last layer starting at zero (as buildGenerator with
 * modeGaussians): noise[0] picks the component among the digit's (each digit its own mode selector, by the
 * components' weights), noise[1..LATENT_DIM] draws from it, and adversarial training learns the correction.
 */
export function buildConditionalGenerator(shape: GanShape, digitGaussians?: readonly (readonly GaussianComponent[])[]): tf.LayersModel {
  const noise = tf.input({ shape: [NOISE_DIM], name: 'noise' });
  const digit = tf.input({ shape: [NUM_CLASSES], name: 'digit_onehot' });
  const joined = tf.layers.concatenate({ name: 'cgen_concat' }).apply([noise, digit]) as tf.SymbolicTensor;
  if (!digitGaussians) return tf.model({ inputs: [noise, digit], outputs: generatorTrunk(joined, 'cgen', shape), name: 'cgan_generator' });
  if (digitGaussians.length !== NUM_CLASSES) throw new Error(`a mixture-based conditional generator needs one mixture per digit (${NUM_CLASSES}), got ${digitGaussians.length}`);
  // [N, components of all digits]: every digit's own selection from noise[0], masked by the requested digit
  const perDigit = digitGaussians.map((components, d) =>
    components.length > 1
      ? modeSelector(noise, modeThresholds(components.map((c) => c.weight)), `cgen_mode${d}`)
      : (tf.layers.dense({ units: 1, trainable: false, weights: [tf.zeros([NOISE_DIM, 1]), tf.ones([1])], name: `cgen_mode${d}` }).apply(noise) as tf.SymbolicTensor),
  );
  const total = digitGaussians.reduce((n, c) => n + c.length, 0);
  const spread = tf.buffer([NUM_CLASSES, total]);
  let column = 0;
  digitGaussians.forEach((components, d) => components.forEach(() => spread.set(1, d, column++)));
  const digitMask = tf.layers.dense({ units: total, useBias: false, trainable: false, weights: [spread.toTensor()], name: 'cgen_mode_digit' }).apply(digit) as tf.SymbolicTensor;
  const selected = tf.layers.concatenate({ name: 'cgen_mode_all' }).apply(perDigit) as tf.SymbolicTensor;
  const mode = tf.layers.multiply({ name: 'cgen_mode' }).apply([selected, digitMask]) as tf.SymbolicTensor;
  const base = mixtureSample(noise, mode, digitGaussians.flat());
  const correction = generatorTrunk(joined, 'cgen', shape, true);
  return tf.model({ inputs: [noise, digit], outputs: tf.layers.add({ name: 'cgen_output' }).apply([base, correction]) as tf.SymbolicTensor, name: 'cgan_generator' });
}

/** Name of a generator's first dense layer, whose first NOISE_DIM kernel rows read the noise. */
export const firstGeneratorLayer = (conditional: boolean) => `${conditional ? 'cgen' : 'gen'}_dense1`;

function generatorTrunk(x: tf.SymbolicTensor, prefix: string, { generatorHidden, layers }: GanShape, zeroOutput = false): tf.SymbolicTensor {
  for (let i = 1; i <= layers; i++) {
    x = tf.layers.dense({ units: generatorHidden, name: `${prefix}_dense${i}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.leakyReLU({ alpha: 0.2, name: `${prefix}_lrelu${i}` }).apply(x) as tf.SymbolicTensor;
  }
  const init = zeroOutput ? { kernelInitializer: 'zeros', biasInitializer: 'zeros' } as const : {};
  return tf.layers.dense({ units: LATENT_DIM, name: `${prefix}_latent`, ...init }).apply(x) as tf.SymbolicTensor;
}

/**
 * Discriminator over latent codes: code [N, LATENT_DIM] (and, with `classes` > 0, a one-hot class [N, classes]:
 * the digit for the conditional GAN, the code cluster for the self-conditioned unconditional one) -> realness
 * logit [N, 1]. With classes it is a projection discriminator (Miyato & Koyama 2018):
 * logit = w . h(code) + embed(class) . h(code), so the class acts on the features instead of being one
 * more input among sixteen code values. `inputWidth` IMAGE_PIXELS: the same network over images [N, 784]
 * (GanConfig.imageDiscriminator; the input is then named 'image').
 */
export function buildDiscriminator(classes: number, { discriminatorHidden, discriminatorDropout, layers }: GanShape, inputWidth = LATENT_DIM): tf.LayersModel {
  const code = tf.input({ shape: [inputWidth], name: inputWidth === IMAGE_PIXELS ? 'image' : 'code' });
  let h: tf.SymbolicTensor = code;
  for (let i = 1; i <= layers; i++) {
    h = tf.layers.dense({ units: discriminatorHidden }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.leakyReLU({ alpha: 0.2 }).apply(h) as tf.SymbolicTensor;
    if (discriminatorDropout > 0) h = tf.layers.dropout({ rate: discriminatorDropout }).apply(h) as tf.SymbolicTensor;
  }
  let logit = tf.layers.dense({ units: 1 }).apply(h) as tf.SymbolicTensor;
  if (classes === 0) return tf.model({ inputs: code, outputs: logit, name: 'gan_discriminator' });
  const digit = tf.input({ shape: [classes], name: 'digit' });
  const embedded = tf.layers.dense({ units: discriminatorHidden, useBias: false }).apply(digit) as tf.SymbolicTensor;
  const projection = tf.layers.dot({ axes: 1 }).apply([h, embedded]) as tf.SymbolicTensor;
  logit = tf.layers.add().apply([logit, projection]) as tf.SymbolicTensor;
  return tf.model({ inputs: [code, digit], outputs: logit, name: 'cgan_discriminator' });
}

/** Evaluator (scores generated images only): image [N, 784] -> class probabilities [N, 10] (softmax). */
export function buildEvaluator(): tf.LayersModel {
  const image = tf.input({ shape: [IMAGE_PIXELS], name: 'image' });
  let x: tf.SymbolicTensor = image;
  [512, 256].forEach((units, i) => {
    x = tf.layers.dense({ units, activation: 'relu', name: `eval_dense${i + 1}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dropout({ rate: 0.25, name: `eval_dropout${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  const probs = tf.layers
    .dense({ units: NUM_CLASSES, activation: 'softmax', name: 'eval_probs' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: image, outputs: probs, name: 'evaluator' });
}

/**
 * Recognizer: image [N, 784] in [0, 1] -> probabilities [N, 10]; the served pixel classifier for people's
 * digits (trained on all labels with augmentation, training/stages/recognizer.ts). Dense layers only:
 * the exporter converts them, and the wasm backend trains them (it has no Conv2DBackpropFilter).
 */
export function buildRecognizer(hidden: readonly number[], dropout: number): tf.LayersModel {
  const image = tf.input({ shape: [IMAGE_PIXELS], name: 'image' });
  let x: tf.SymbolicTensor = image;
  hidden.forEach((units, i) => {
    x = tf.layers.dense({ units, activation: 'relu', name: `rec_dense${i + 1}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dropout({ rate: dropout, name: `rec_dropout${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  const probs = tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax', name: 'rec_probs' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: image, outputs: probs, name: 'recognizer' });
}
