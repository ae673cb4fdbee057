/**
 * Stage: GANs over the autoencoder's latent space. The generator maps noise [N, NOISE_DIM] (optionally
 * ++ one-hot digit [N, 10]) to a latent code [N, LATENT_DIM]; the discriminator scores codes (optionally
 * ++ the same one-hot). Real codes are the encoder's codes of the training images, with their true labels
 * for the conditional GAN. Non-saturating GAN loss, one-sided label smoothing, Adam(beta1 = 0.5).
 * Optionally (--cgan-classification-weight > 0) the conditional generator also pays a classification term
 * (as in AC-GAN, Odena et al. 2017): a small classifier trained on the real codes and their labels, then
 * frozen, must recognise the requested digit in the generated code. Measured with weight 1: evaluator
 * accuracy on requested digits 0.811 -> 0.905, but Frechet distance 11.7 -> 19.4 (less varied, less real),
 * so it is opt-in and the shipped models are trained without it.
 */
import * as tf from '@tensorflow/tfjs';
import { LATENT_DIM, NOISE_DIM, NUM_CLASSES } from '../../core/contract';
import type { Rng } from '../../core/rng';
import type { RunConfig } from '../config';
import { buildConditionalGenerator, buildDiscriminator, buildGenerator } from '../models/architectures';
import { accuracy, fitWithProgress, oneHot, predictBatched } from '../fit';
import { round, type Logger } from '../progress';

export interface GanResult {
  generator: tf.LayersModel;
  metrics: {
    steps: number;
    batch_size: number;
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

function variablesOf(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

export interface GanInputs {
  /** real latent codes [rows, LATENT_DIM] */
  codes: Float32Array;
  /** digit of each real code (used by the conditional GAN) */
  labels: Uint8Array;
  conditional: boolean;
  config: RunConfig;
  logger: Logger;
  rng: Rng;
}

export async function trainLatentGan({ codes, labels, conditional, config, logger, rng }: GanInputs): Promise<GanResult> {
  const { steps, batchSize, learningRate, classificationWeight } = config.gan;
  const rows = labels.length;
  const generator = conditional ? buildConditionalGenerator() : buildGenerator();
  const discriminator = buildDiscriminator(conditional);
  const dOptimizer = tf.train.adam(learningRate, 0.5);
  const gOptimizer = tf.train.adam(learningRate, 0.5);
  const dVars = variablesOf(discriminator);
  const gVars = variablesOf(generator);
  const codeClassifier = conditional && classificationWeight > 0 ? await trainCodeClassifier(codes, labels, logger) : null;
  if (codeClassifier) logger.log(`   code classifier for the cGAN's classification term: training accuracy ${codeClassifier.accuracy.toFixed(4)}`);
  const realCodes = tf.tensor2d(codes, [rows, LATENT_DIM]);
  const realLabels = tf.tensor1d(Int32Array.from(labels), 'int32');
  /** binary cross-entropy of D's probabilities [N, 1] against a constant target */
  const bce = (p: tf.Tensor, target: number) => tf.losses.logLoss(tf.fill(p.shape, target), p);
  const dScore = (code: tf.Tensor, onehot: tf.Tensor | null) =>
    discriminator.apply(conditional ? [code, onehot!] : code, { training: true }) as tf.Tensor;
  const gSample = (noise: tf.Tensor, onehot: tf.Tensor | null) =>
    generator.apply(conditional ? [noise, onehot!] : noise, { training: true }) as tf.Tensor;

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
      const noise = tf.randomNormal([batchSize, NOISE_DIM]);
      const fakeOnehot = conditional
        ? tf.oneHot(tf.randomUniform([batchSize], 0, NUM_CLASSES, 'int32'), NUM_CLASSES).toFloat()
        : null;
      // one discriminator pass over real and fake codes together: per-call overhead, not arithmetic,
      // dominates these small networks
      const fake = gSample(noise, fakeOnehot);
      const both = tf.concat([real, fake]);
      const bothOnehot = conditional ? tf.concat([realOnehot!, fakeOnehot!]) : null;
      const targets = tf.concat([tf.fill([batchSize, 1], REAL_LABEL), tf.zeros([batchSize, 1])]);
      const d = dOptimizer.minimize(() => tf.losses.logLoss(targets, dScore(both, bothOnehot)).mul(2) as tf.Scalar, true, dVars)!;
      const g = gOptimizer.minimize(
        () => {
          const generated = gSample(noise, fakeOnehot);
          const adversarial = bce(dScore(generated, fakeOnehot), 1);
          if (!codeClassifier) return adversarial as tf.Scalar;
          const predicted = codeClassifier.model.apply(generated) as tf.Tensor;
          return adversarial.add(tf.metrics.categoricalCrossentropy(fakeOnehot!, predicted).mean().mul(classificationWeight)) as tf.Scalar;
        },
        true,
        gVars,
      )!;
      return [d.dataSync()[0], g.dataSync()[0]];
    });
    dLoss = dl;
    gLoss = gl;
    if (step % 50 === 0 || step === steps - 1) curve.push({ step, d: round(dLoss, 4), g: round(gLoss, 4) });
    bar.tick(1, `D ${dLoss.toFixed(3)} G ${gLoss.toFixed(3)}`);
  }
  bar.stop();
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
