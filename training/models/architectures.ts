/**
 * Model builders. Every model is a tfjs LayersModel built from layers the ONNX exporter supports
 * (Dense, LeakyReLU, Dropout, Concatenate, BatchNormalization); shapes below use N for the batch.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, LATENT_DIM, NOISE_DIM, NUM_CLASSES } from '../../core/contract';

/** Widths of the autoencoder's hidden layers, encoder side (the decoder mirrors them). */
export const AE_HIDDEN = [512, 128];

/**
 * Encoder: image [N, 784] in [0, 1] -> latent code [N, LATENT_DIM]. The code is batch-normalised, so codes
 * stay near unit scale per dimension: GANs and kNN graphs work on a known scale, and float32 round-off
 * in exported graphs stays far below 1e-5 (unnormalised codes reached |42| and round-off 1.5e-5).
 * (Scale and shift stay learnable: tfjs-layers 4.22 fails in training with center = scale = false.)
 */
export function buildEncoder(hidden = AE_HIDDEN): tf.LayersModel {
  const input = tf.input({ shape: [IMAGE_PIXELS], name: 'image' });
  let x: tf.SymbolicTensor = input;
  hidden.forEach((units, i) => {
    x = tf.layers.dense({ units, activation: 'relu', name: `enc_dense${i + 1}` }).apply(x) as tf.SymbolicTensor;
  });
  x = tf.layers.dense({ units: LATENT_DIM, name: 'enc_linear' }).apply(x) as tf.SymbolicTensor;
  const latent = tf.layers
    .batchNormalization({ name: 'enc_latent' })
    .apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: latent, name: 'encoder' });
}

/** Decoder: latent code [N, LATENT_DIM] -> image [N, 784] in [0, 1] (sigmoid). */
export function buildDecoder(hidden = AE_HIDDEN): tf.LayersModel {
  const input = tf.input({ shape: [LATENT_DIM], name: 'latent' });
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
  /** unconditional generator only: modes of its mixture prior (0 = a plain MLP on the noise), see modeSelector */
  priorModes: number;
}

/** Deciles of the standard normal: Phi^-1(i / 10), i = 1..9 (standard table values). */
const NORMAL_DECILES = [-1.2816, -0.8416, -0.5244, -0.2533, 0, 0.2533, 0.5244, 0.8416, 1.2816];
/** Steepness of the mode selector's steps: a step is 1% of a standard deviation wide, so few draws blend two modes. */
const MODE_STEEPNESS = 200;

/**
 * A fixed (untrained) mode selector: noise [N, NOISE_DIM] -> [N, 10] soft one-hot of the decile of noise[0].
 * Step i is sigmoid(k (z0 - q_i)); mode j = step_j - step_(j+1) (step_0 = 1, step_10 = 0). The generator
 * then draws from a mixture prior with ten equally likely modes (as in DeLiGAN, Gurumurthy et al. 2017,
 * with fixed instead of learned components), so it can place digits in separate modes instead of
 * stretching one connected noise space over ten clusters, which leaves blends between them.
 */
function modeSelector(noise: tf.SymbolicTensor): tf.SymbolicTensor {
  const modes = NORMAL_DECILES.length + 1;
  const stepKernel = tf.tidy(() => tf.zeros([NOISE_DIM, modes - 1]).add(tf.oneHot(tf.zeros([1], 'int32'), NOISE_DIM).reshape([NOISE_DIM, 1]).mul(MODE_STEEPNESS)));
  const stepBias = tf.tensor1d(NORMAL_DECILES.map((q) => -MODE_STEEPNESS * q));
  const steps = tf.layers
    .dense({ units: modes - 1, activation: 'sigmoid', trainable: false, weights: [stepKernel, stepBias], name: 'gen_mode_steps' })
    .apply(noise) as tf.SymbolicTensor;
  const differences = tf.buffer([modes - 1, modes]);
  for (let i = 0; i < modes - 1; i++) {
    differences.set(-1, i, i); // step i+1 ends mode i
    differences.set(1, i, i + 1); // and starts mode i+1
  }
  const modeBias = tf.tensor1d(Array.from({ length: modes }, (_, j) => (j === 0 ? 1 : 0)));
  return tf.layers
    .dense({ units: modes, trainable: false, weights: [differences.toTensor(), modeBias], name: 'gen_mode' })
    .apply(steps) as tf.SymbolicTensor;
}

/**
 * Latent GAN generator: noise [N, NOISE_DIM] ~ N(0, 1) -> latent code [N, LATENT_DIM]. With `priorModes`,
 * the trunk reads the noise ++ the fixed mode selector's [N, 10] output.
 */
export function buildGenerator(shape: GanShape): tf.LayersModel {
  const noise = tf.input({ shape: [NOISE_DIM], name: 'noise' });
  const input = shape.priorModes > 0 ? (tf.layers.concatenate({ name: 'gen_concat' }).apply([noise, modeSelector(noise)]) as tf.SymbolicTensor) : noise;
  return tf.model({ inputs: noise, outputs: generatorTrunk(input, 'gen', shape), name: 'generator' });
}

/** Conditional generator: noise [N, NOISE_DIM] ++ one-hot digit [N, 10] -> latent code [N, LATENT_DIM]. */
export function buildConditionalGenerator(shape: GanShape): tf.LayersModel {
  const noise = tf.input({ shape: [NOISE_DIM], name: 'noise' });
  const digit = tf.input({ shape: [NUM_CLASSES], name: 'digit_onehot' });
  const joined = tf.layers.concatenate({ name: 'cgen_concat' }).apply([noise, digit]) as tf.SymbolicTensor;
  return tf.model({ inputs: [noise, digit], outputs: generatorTrunk(joined, 'cgen', shape), name: 'cgan_generator' });
}

/** Name of a generator's first dense layer, whose first NOISE_DIM kernel rows read the noise. */
export const firstGeneratorLayer = (conditional: boolean) => `${conditional ? 'cgen' : 'gen'}_dense1`;

function generatorTrunk(x: tf.SymbolicTensor, prefix: string, { generatorHidden, layers }: GanShape): tf.SymbolicTensor {
  for (let i = 1; i <= layers; i++) {
    x = tf.layers.dense({ units: generatorHidden, name: `${prefix}_dense${i}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.leakyReLU({ alpha: 0.2, name: `${prefix}_lrelu${i}` }).apply(x) as tf.SymbolicTensor;
  }
  return tf.layers.dense({ units: LATENT_DIM, name: `${prefix}_latent` }).apply(x) as tf.SymbolicTensor;
}

/**
 * Discriminator over latent codes: code [N, LATENT_DIM] (and one-hot digit [N, 10] if conditional) ->
 * realness logit [N, 1]. The conditional one is a projection discriminator (Miyato & Koyama 2018):
 * logit = w . h(code) + embed(digit) . h(code), so the digit acts on the features instead of being one
 * more input among sixteen code values.
 */
export function buildDiscriminator(conditional: boolean, { discriminatorHidden, discriminatorDropout, layers }: GanShape): tf.LayersModel {
  const code = tf.input({ shape: [LATENT_DIM], name: 'code' });
  let h: tf.SymbolicTensor = code;
  for (let i = 1; i <= layers; i++) {
    h = tf.layers.dense({ units: discriminatorHidden }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.leakyReLU({ alpha: 0.2 }).apply(h) as tf.SymbolicTensor;
    if (discriminatorDropout > 0) h = tf.layers.dropout({ rate: discriminatorDropout }).apply(h) as tf.SymbolicTensor;
  }
  let logit = tf.layers.dense({ units: 1 }).apply(h) as tf.SymbolicTensor;
  if (!conditional) return tf.model({ inputs: code, outputs: logit, name: 'gan_discriminator' });
  const digit = tf.input({ shape: [NUM_CLASSES], name: 'digit' });
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
