/**
 * Development only (issue 20, training/experiments/decoder-sweep.ts): a minibatch loop for autoencoder
 * variants the pipeline's model.fit path cannot express (an adversarial term from a pixel discriminator,
 * a frozen encoder), and the CPU clock the sweep reports. The pipeline does not import this file.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS } from '../../core/contract';
import { learningRateAt, setLearningRate } from '../stages/autoencoder';

/** CPU seconds this process used since `since` (process.cpuUsage()): wall time on a shared machine says little. */
export function cpuSeconds(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
}

/** A schedule and loss for training (or fine-tuning) an autoencoder's two halves; see trainAutoencoderVariant. */
export interface AutoencoderRecipe {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Adam's learning rate at the last epoch, reached linearly from `learningRate` */
  finalLearningRate: number;
  /** weight of the non-saturating adversarial term of a pixel discriminator in the reconstruction loss (0 = off) */
  adversarialWeight: number;
  discriminatorHidden: number;
  trainEncoder: boolean;
}

/** Dense pixel discriminator: image [N, 784] -> realness logit [N, 1]. */
export function buildPixelDiscriminator(hidden: number): tf.LayersModel {
  const image = tf.input({ shape: [IMAGE_PIXELS] });
  let h: tf.SymbolicTensor = image;
  for (let i = 0; i < 2; i++) {
    h = tf.layers.dense({ units: hidden }).apply(h) as tf.SymbolicTensor;
    h = tf.layers.leakyReLU({ alpha: 0.2 }).apply(h) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: image, outputs: tf.layers.dense({ units: 1 }).apply(h) as tf.SymbolicTensor, name: 'pixel_discriminator' });
}

/** Mean per-pixel binary cross-entropy of `recon` [N, 784] in (0, 1) against `images` [N, 784] (Keras' clipping). */
export function binaryCrossEntropy(images: tf.Tensor, recon: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const p = recon.clipByValue(1e-7, 1 - 1e-7);
    return images.mul(p.log()).add(tf.scalar(1).sub(images).mul(tf.scalar(1).sub(p).log())).neg().mean() as tf.Scalar;
  });
}

/** The generator's non-saturating GAN loss for realness logits [N, 1]: mean of -log sigmoid(logit) = softplus(-logit). */
export function foolingLoss(logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.softplus(logits.neg()).mean() as tf.Scalar);
}

/**
 * Minibatch training of encoder + decoder on `images` [N, 784] with BCE, an optional linear learning-rate
 * decay and an optional adversarial term (AE-GAN: a pixel discriminator trained beside it on real images vs
 * reconstructions). Returns one log line per epoch.
 */
export async function trainAutoencoderVariant(
  encoder: tf.LayersModel,
  decoder: tf.LayersModel,
  images: Float32Array,
  recipe: AutoencoderRecipe,
  log: (line: string) => void,
): Promise<string[]> {
  const rows = images.length / IMAGE_PIXELS;
  const x = tf.tensor2d(images, [rows, IMAGE_PIXELS]);
  const optimizer = tf.train.adam(recipe.learningRate);
  const variables = [...(recipe.trainEncoder ? encoder.trainableWeights : []), ...decoder.trainableWeights].map((w) => w.read() as tf.Variable);
  const adversarial = recipe.adversarialWeight > 0;
  const discriminator = adversarial ? buildPixelDiscriminator(recipe.discriminatorHidden) : null;
  const dOptimizer = tf.train.adam(2e-4, 0.5);
  const dVariables = discriminator?.trainableWeights.map((w) => w.read() as tf.Variable) ?? [];
  const lines: string[] = [];
  for (let epoch = 0; epoch < recipe.epochs; epoch++) {
    const lr = learningRateAt(recipe, epoch);
    setLearningRate(optimizer, lr);
    const order = tf.util.createShuffledIndices(rows);
    const start = Date.now();
    const cpuStart = process.cpuUsage();
    let bceSum = 0;
    let dSum = 0;
    let batches = 0;
    for (let b = 0; b < rows; b += recipe.batchSize) {
      const stats = tf.tidy(() => {
        const batch = x.gather(tf.tensor1d(Int32Array.from(order.subarray(b, b + recipe.batchSize)), 'int32'));
        let dLoss = 0;
        if (discriminator) {
          const fake = decoder.apply(encoder.apply(batch, { training: true }), { training: true }) as tf.Tensor;
          const cost = dOptimizer.minimize(
            () => {
              const real = discriminator.apply(batch, { training: true }) as tf.Tensor;
              const made = discriminator.apply(fake, { training: true }) as tf.Tensor;
              return tf.softplus(real.neg()).mean().add(tf.softplus(made).mean()) as tf.Scalar;
            },
            true,
            dVariables,
          )!;
          dLoss = cost.dataSync()[0];
        }
        const cost = optimizer.minimize(
          () => {
            const recon = decoder.apply(encoder.apply(batch, { training: recipe.trainEncoder }), { training: true }) as tf.Tensor;
            const r = binaryCrossEntropy(batch, recon);
            if (!discriminator) return r;
            return r.add(foolingLoss(discriminator.apply(recon) as tf.Tensor).mul(recipe.adversarialWeight)) as tf.Scalar;
          },
          true,
          variables,
        )!;
        return { bce: cost.dataSync()[0], dLoss };
      });
      bceSum += stats.bce;
      dSum += stats.dLoss;
      batches++;
      if (batches % 20 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const line = `epoch ${epoch + 1}/${recipe.epochs} lr ${lr.toExponential(2)}: loss ${(bceSum / batches).toFixed(4)}${adversarial ? `, D loss ${(dSum / batches).toFixed(3)}` : ''}, ${((Date.now() - start) / 1000).toFixed(1)} s (${cpuSeconds(cpuStart).toFixed(1)} s CPU)`;
    lines.push(line);
    log(line);
  }
  x.dispose();
  optimizer.dispose();
  dOptimizer.dispose();
  discriminator?.dispose();
  return lines;
}
