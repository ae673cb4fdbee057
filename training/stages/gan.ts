/**
 * Stage: GANs over the autoencoder's latent space. The generator maps noise [N, NOISE_DIM] (optionally
 * ++ one-hot digit [N, 10]) to a latent code [N, LATENT_DIM]; the discriminator scores codes (the
 * conditional one by projection of the digit, see buildDiscriminator). Real codes are the encoder's codes
 * of the training images, with their true labels for the conditional GAN.
 *
 * Loss: non-saturating GAN loss on logits with one-sided label smoothing, Adam(beta1 = 0.5). The exported generator is an exponential moving average of the generator's
 * weights (Yazici et al. 2019), which removes most of the step-to-step wobble of adversarial training.
 * Optionally (classificationWeight > 0) the conditional generator also pays an AC-GAN-style term (Odena et
 * al. 2017): a small classifier trained on the real codes and their labels, then frozen, must recognise
 * the requested digit in the generated code.
 *
 * Sampling temperature T (truncation, as in BigGAN): the exported generator reads standard-normal noise
 * and scales it by T inside its first layer (its noise kernel rows are multiplied by T), so the served
 * noise contract (core/rng.ts noiseForSeed) does not change while the served samples are those at T.
 */
import * as tf from '@tensorflow/tfjs';
import { LATENT_DIM, NOISE_DIM, NUM_CLASSES } from '../../core/contract';
import type { Rng } from '../../core/rng';
import type { GanConfig } from '../config';
import { buildConditionalGenerator, buildDiscriminator, buildGenerator, firstGeneratorLayer } from '../models/architectures';
import { accuracy, fitWithProgress, oneHot, predictBatched } from '../fit';
import { round, type Logger } from '../progress';

export interface GanResult {
  generator: tf.LayersModel;
  metrics: {
    steps: number;
    batch_size: number;
    learning_rate: number;
    generator_hidden: number;
    discriminator_hidden: number;
    layers: number;
    ema_decay: number;
    mmd_weight: number;
    temperature: number;
    final_d_loss: number;
    final_g_loss: number;
    /** weight of the frozen code classifier's cross-entropy in the generator loss (conditional GAN only) */
    classification_weight?: number;
    code_classifier_train_accuracy?: number;
    loss_curve: { step: number; d: number; g: number }[];
  };
}

/** Code classifier for the conditional generator's auxiliary loss: latent code [N, LATENT_DIM] -> digit probabilities [N, 10]. */
async function trainCodeClassifier(codes: Float32Array, labels: Uint8Array, logger: Logger): Promise<{ model: tf.LayersModel; accuracy: number }> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [LATENT_DIM], units: 128, activation: 'relu' }),
      tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(codes, [labels.length, LATENT_DIM]);
  const y = oneHot(labels);
  await fitWithProgress(model, x, y, { epochs: 3, batchSize: 256, logger, label: 'code classifier (cGAN loss)' });
  const accuracyValue = accuracy(predictBatched(model, codes, LATENT_DIM), labels);
  x.dispose();
  y.dispose();
  return { model, accuracy: accuracyValue };
}

const REAL_LABEL = 0.9; // one-sided label smoothing
/** squared bandwidths of the MMD's Gaussian kernels, for codes of about unit scale in 16 dimensions */
const MMD_BANDWIDTHS = [2, 8, 32];
/** one-hot digits are scaled by this before joining the codes in the MMD, so different digits barely interact */
const MMD_DIGIT_SCALE = 4;

/**
 * Squared maximum mean discrepancy between two samples [n, d] with a sum of Gaussian kernels (Gretton et
 * al. 2012; the biased estimator, which is fine for a loss).
 */
export function mmd(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const n = x.shape[0];
    const all = tf.concat([x, y]);
    const norms = all.square().sum(1, true);
    const d2 = norms.add(norms.transpose()).sub(all.matMul(all, false, true).mul(2)).relu();
    const k = MMD_BANDWIDTHS.map((b) => d2.div(-2 * b).exp()).reduce((a, b) => a.add(b));
    const block = (r: number, c: number) => k.slice([r, c], [n, n]).mean();
    return block(0, 0).add(block(n, n)).sub(block(0, n).mul(2)) as tf.Scalar;
  });
}

function variablesOf(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/**
 * Scales the noise rows of the generator's first kernel by `temperature`: G'(z) = G(T z) for every z,
 * the one-hot rows of a conditional generator untouched. With a mode prior (buildGenerator's priorModes)
 * the mode is still picked from the unscaled noise, so T narrows each mode without changing their shares.
 */
export function bakeTemperature(generator: tf.LayersModel, conditional: boolean, temperature: number): void {
  if (temperature === 1) return;
  const layer = generator.getLayer(firstGeneratorLayer(conditional));
  const [kernel, ...rest] = layer.getWeights();
  const scaled = tf.tidy(() => {
    const rows = kernel.shape[0];
    const scale = tf.concat([tf.fill([NOISE_DIM, 1], temperature), tf.ones([rows - NOISE_DIM, 1])]);
    return kernel.mul(scale);
  });
  layer.setWeights([scaled, ...rest]);
  scaled.dispose();
}

export interface GanInputs {
  /** real latent codes [rows, LATENT_DIM] */
  codes: Float32Array;
  /** digit of each real code (used by the conditional GAN) */
  labels: Uint8Array;
  conditional: boolean;
  config: GanConfig;
  logger: Logger;
  rng: Rng;
}

export async function trainLatentGan({ codes, labels, conditional, config, logger, rng }: GanInputs): Promise<GanResult> {
  const { steps, batchSize, learningRate, classificationWeight, mmdWeight, emaDecay, temperature } = config;
  const rows = labels.length;
  const generator = conditional ? buildConditionalGenerator(config) : buildGenerator(config);
  const discriminator = buildDiscriminator(conditional, config);
  const dOptimizer = tf.train.adam(learningRate, 0.5);
  const gOptimizer = tf.train.adam(learningRate, 0.5);
  const dVars = variablesOf(discriminator);
  const gVars = variablesOf(generator);
  // the exponential moving average of the generator's weights; what is exported
  const average = gVars.map((v) => tf.variable(v.clone(), false));
  const codeClassifier = conditional && classificationWeight > 0 ? await trainCodeClassifier(codes, labels, logger) : null;
  if (codeClassifier) logger.log(`   code classifier for the cGAN's classification term: training accuracy ${codeClassifier.accuracy.toFixed(4)}`);
  const realCodes = tf.tensor2d(codes, [rows, LATENT_DIM]);
  const realLabels = tf.tensor1d(Int32Array.from(labels), 'int32');
  const dLogit = (code: tf.Tensor, onehot: tf.Tensor | null) => discriminator.apply(conditional ? [code, onehot!] : code, { training: true }) as tf.Tensor;
  const gSample = (noise: tf.Tensor, onehot: tf.Tensor | null) => generator.apply(conditional ? [noise, onehot!] : noise, { training: true }) as tf.Tensor;
  const randomDigits = () => (conditional ? tf.oneHot(tf.randomUniform([batchSize], 0, NUM_CLASSES, 'int32'), NUM_CLASSES).toFloat() : null);

  const curve: GanResult['metrics']['loss_curve'] = [];
  const bar = logger.bar(conditional ? 'conditional latent GAN' : 'latent GAN', steps);
  let dLoss = NaN;
  let gLoss = NaN;
  for (let step = 0; step < steps; step++) {
    if (step % 20 === 0) await new Promise((resolve) => setImmediate(resolve)); // let the progress bar draw
    const batchRows = Int32Array.from({ length: batchSize }, () => rng.int(rows));
    const [dl, gl] = tf.tidy(() => {
      const idx = tf.tensor1d(batchRows, 'int32');
      const real = tf.gather(realCodes, idx);
      const realOnehot = conditional ? tf.oneHot(tf.gather(realLabels, idx), NUM_CLASSES).toFloat() : null;
      const fakeOnehot = randomDigits();
      const fake = gSample(tf.randomNormal([batchSize, NOISE_DIM]), fakeOnehot);
      const d = dOptimizer.minimize(
        () =>
          tf.losses
            .sigmoidCrossEntropy(tf.fill([batchSize, 1], REAL_LABEL), dLogit(real, realOnehot))
            .add(tf.losses.sigmoidCrossEntropy(tf.zeros([batchSize, 1]), dLogit(fake, fakeOnehot))) as tf.Scalar,
        true,
        dVars,
      )!;
      // the generator's digits are those of a second real batch, which the MMD term compares it with
      const matched = tf.tensor1d(Int32Array.from({ length: batchSize }, () => rng.int(rows)), 'int32');
      const matchedCodes = tf.gather(realCodes, matched) as tf.Tensor2D;
      const digits = conditional ? tf.oneHot(tf.gather(realLabels, matched), NUM_CLASSES).toFloat() : null;
      const noise = tf.randomNormal([batchSize, NOISE_DIM]);
      const withDigits = (codes: tf.Tensor) => (conditional ? tf.concat([codes, digits!.mul(MMD_DIGIT_SCALE)], 1) : codes) as tf.Tensor2D;
      const g = gOptimizer.minimize(
        () => {
          const generated = gSample(noise, digits);
          let loss = tf.losses.sigmoidCrossEntropy(tf.ones([batchSize, 1]), dLogit(generated, digits)) as tf.Scalar;
          if (mmdWeight > 0) loss = loss.add(mmd(withDigits(generated), withDigits(matchedCodes)).mul(mmdWeight));
          if (codeClassifier) {
            const predicted = codeClassifier.model.apply(generated) as tf.Tensor;
            loss = loss.add(tf.metrics.categoricalCrossentropy(digits!, predicted).mean().mul(classificationWeight));
          }
          return loss;
        },
        true,
        gVars,
      )!;
      // the average's decay warms up (as TensorFlow's ExponentialMovingAverage with num_updates), so the
      // random initial weights do not linger in it for the first thousands of steps
      const decay = Math.min(emaDecay, (1 + step) / (10 + step));
      average.forEach((a, i) => a.assign(a.mul(decay).add(gVars[i].mul(1 - decay))));
      return [d.dataSync()[0], g.dataSync()[0]];
    });
    dLoss = dl;
    gLoss = gl;
    if (step % 50 === 0 || step === steps - 1) curve.push({ step, d: round(dLoss, 4), g: round(gLoss, 4) });
    bar.tick(1, `D ${dLoss.toFixed(3)} G ${gLoss.toFixed(3)}`);
  }
  bar.stop();
  gVars.forEach((v, i) => v.assign(average[i]));
  bakeTemperature(generator, conditional, temperature);
  average.forEach((a) => a.dispose());
  realCodes.dispose();
  realLabels.dispose();
  discriminator.dispose();
  codeClassifier?.model.dispose();
  dOptimizer.dispose();
  gOptimizer.dispose();
  return {
    generator,
    metrics: {
      steps,
      batch_size: batchSize,
      learning_rate: learningRate,
      generator_hidden: config.generatorHidden,
      discriminator_hidden: config.discriminatorHidden,
      layers: config.layers,
      ema_decay: emaDecay,
      mmd_weight: mmdWeight,
      temperature,
      final_d_loss: round(dLoss, 4),
      final_g_loss: round(gLoss, 4),
      ...(codeClassifier ? { classification_weight: classificationWeight, code_classifier_train_accuracy: round(codeClassifier.accuracy) } : {}),
      loss_curve: curve,
    },
  };
}

/** Generator samples for given noise ([n, NOISE_DIM]) and, if conditional, digits: latent codes [n, LATENT_DIM]. */
export function sampleCodes(generator: tf.LayersModel, noise: Float32Array, digits?: ArrayLike<number>): Float32Array {
  return tf.tidy(() => {
    const n = noise.length / NOISE_DIM;
    const z = tf.tensor2d(noise, [n, NOISE_DIM]);
    const inputs = digits ? [z, tf.oneHot(tf.tensor1d(Array.from(digits), 'int32'), NUM_CLASSES).toFloat()] : z;
    return (generator.predict(inputs) as tf.Tensor).dataSync() as Float32Array;
  });
}
