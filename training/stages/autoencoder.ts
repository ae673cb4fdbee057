/**
 * Stage: train the dense autoencoder on the training split, select the epoch by validation
 * reconstruction error, report test reconstruction error (per-pixel MSE and binary cross-entropy).
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS } from '../../core/contract';
import type { RunConfig } from '../config';
import type { Dataset } from '../data/mnist';
import { fitWithProgress, predictBatched } from '../fit';
import { buildAutoencoder, buildDecoder, buildEncoder, AE_HIDDEN } from '../models/architectures';
import { round, type Logger } from '../progress';
import { principalComponents, project } from '../metrics/pca';

export interface AutoencoderResult {
  encoder: tf.LayersModel;
  decoder: tf.LayersModel;
  metrics: {
    architecture: string;
    epochs: number;
    best_epoch: number;
    validation_mse: number;
    test_mse: number;
    test_bce: number;
    /** the baseline: PCA to as many components as the code has, fitted on the training images, reconstruction clipped to [0, 1] */
    pca_baseline: { components: number; test_mse: number; test_bce: number };
    loss_curve: number[];
  };
}

/** Test reconstruction error of PCA with `components` directions fitted on the training images. */
export function pcaReconstruction(train: Float32Array, test: Float32Array, components: number): { mse: number; bce: number } {
  const pca = principalComponents(train, IMAGE_PIXELS, components);
  const coordinates = project(test, IMAGE_PIXELS, pca, components);
  const recon = tf.tidy(
    () =>
      tf
        .tensor2d(coordinates, [test.length / IMAGE_PIXELS, components])
        .matMul(tf.tensor2d(pca.basis, [IMAGE_PIXELS, components]), false, true)
        .add(tf.tensor1d(pca.mean))
        .clipByValue(0, 1)
        .dataSync() as Float32Array,
  );
  return reconstructionError(test, recon);
}

export function reconstructionError(images: Float32Array, recon: Float32Array): { mse: number; bce: number } {
  let se = 0;
  let bce = 0;
  for (let i = 0; i < images.length; i++) {
    const x = images[i];
    const y = Math.min(Math.max(recon[i], 1e-7), 1 - 1e-7);
    se += (x - y) ** 2;
    bce -= x * Math.log(y) + (1 - x) * Math.log(1 - y);
  }
  return { mse: se / images.length, bce: bce / images.length };
}

export async function trainAutoencoder(data: Dataset, config: RunConfig, logger: Logger): Promise<AutoencoderResult> {
  const { epochs, batchSize, learningRate, finalLearningRate } = config.autoencoder;
  const encoder = buildEncoder();
  const decoder = buildDecoder();
  const autoencoder = buildAutoencoder(encoder, decoder);
  const optimizer = tf.train.adam(learningRate);
  autoencoder.compile({ optimizer, loss: 'binaryCrossentropy' });
  const x = tf.tensor2d(data.train.images, [data.train.count, IMAGE_PIXELS]);
  const validationMse: number[] = [];
  const fit = await fitWithProgress(autoencoder, x, x, {
    epochs,
    batchSize,
    logger,
    label: 'autoencoder',
    onEpoch: (epoch, logs) => {
      const recon = predictBatched(autoencoder, data.validation.images, IMAGE_PIXELS);
      const { mse } = reconstructionError(data.validation.images, recon);
      validationMse.push(mse);
      const rate = finalLearningRate === undefined ? '' : `, learning rate ${learningRateOf(optimizer).toExponential(3)}`;
      logger.log(`   epoch ${epoch + 1}/${epochs}: train bce ${Number(logs.loss).toFixed(4)}, validation mse ${mse.toFixed(5)}${rate}`);
      if (finalLearningRate !== undefined) setLearningRate(optimizer, learningRateAt({ epochs, learningRate, finalLearningRate }, epoch + 1));
      return -mse;
    },
  });
  x.dispose();
  const testRecon = predictBatched(autoencoder, data.test.images, IMAGE_PIXELS);
  const test = reconstructionError(data.test.images, testRecon);
  const components = encoder.outputs[0].shape[1] as number;
  const pca = pcaReconstruction(data.train.images, data.test.images, components);
  logger.log(`   test reconstruction: mse ${test.mse.toFixed(5)}, bce ${test.bce.toFixed(4)} (PCA-${components} baseline: mse ${pca.mse.toFixed(5)}, bce ${pca.bce.toFixed(4)})`);
  return {
    encoder,
    decoder,
    metrics: {
      architecture: `dense 784-${AE_HIDDEN.join('-')}-${encoder.outputs[0].shape[1]}-${[...AE_HIDDEN].reverse().join('-')}-784, relu, sigmoid output, BCE loss${finalLearningRate === undefined ? '' : `, Adam learning rate ${learningRate} decayed linearly to ${finalLearningRate} at the last epoch`}`,
      epochs,
      best_epoch: fit.bestEpoch + 1,
      validation_mse: round(validationMse[fit.bestEpoch], 6),
      test_mse: round(test.mse, 6),
      test_bce: round(test.bce, 5),
      pca_baseline: { components, test_mse: round(pca.mse, 6), test_bce: round(pca.bce, 5) },
      loss_curve: fit.history.map((h) => round(Number(h.loss), 5)),
    },
  };
}

/** Adam's learning rate in `epoch` (0-based): linear from learningRate at the first epoch to finalLearningRate at the last. */
export function learningRateAt({ epochs, learningRate, finalLearningRate }: { epochs: number; learningRate: number; finalLearningRate: number }, epoch: number): number {
  if (epochs <= 1) return learningRate;
  return learningRate + ((finalLearningRate - learningRate) * Math.min(epoch, epochs - 1)) / (epochs - 1);
}

/** tfjs' Adam reads its (protected) learningRate field at every step, and has no public setter. */
export function setLearningRate(optimizer: tf.AdamOptimizer, rate: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = rate;
}

export function learningRateOf(optimizer: tf.AdamOptimizer): number {
  return (optimizer as unknown as { learningRate: number }).learningRate;
}
