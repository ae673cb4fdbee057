/**
 * Stage: the evaluator, an MNIST classifier trained on the full labelled training split and used only to
 * score generated images (never to train or select a generative model). Also the scoring helpers:
 * class histograms, confidence, and features for the Frechet distance.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, NUM_CLASSES } from '../../core/contract';
import type { RunConfig } from '../config';
import type { Dataset } from '../data/mnist';
import { accuracy, argmax, fitWithProgress, oneHot, predictBatched } from '../fit';
import { buildEvaluator } from '../models/architectures';
import { round, type Logger } from '../progress';

/** Width of the evaluator's penultimate layer: the feature space of the Frechet distance. */
export const FEATURE_LAYER = 'eval_dense2';

export interface Evaluator {
  model: tf.LayersModel;
  features: tf.LayersModel;
  featureDim: number;
  metrics: {
    architecture: string;
    epochs: number;
    best_epoch: number;
    validation_accuracy: number;
    test_accuracy: number;
    /** the simplest model that does the evaluator's job: softmax regression on the pixels (pixelSoftmaxBaseline) */
    baseline?: PixelSoftmaxBaseline;
  };
}

export interface PixelSoftmaxBaseline {
  description: string;
  epochs: number;
  test_accuracy: number;
  /** mean training cross-entropy of each epoch: a converged fit's last ones barely move */
  train_loss_by_epoch: number[];
}

/** Epochs of the pixel softmax baseline: its training loss moves < 1% in the last one on full MNIST. */
const SOFTMAX_EPOCHS = 12;

/**
 * Softmax (multinomial logistic) regression on the 784 pixels, trained with Adam on all labelled training
 * images until its loss stops moving: the baseline the evaluator MLP is reported next to. Newton's method
 * (logistic-regression.ts) would need a 7,850-square Hessian here, so this one is fitted by minibatches.
 */
export async function pixelSoftmaxBaseline(data: Dataset, logger: Logger, epochs = SOFTMAX_EPOCHS): Promise<PixelSoftmaxBaseline> {
  const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [IMAGE_PIXELS], units: NUM_CLASSES, activation: 'softmax' })] });
  model.compile({ optimizer: tf.train.adam(2e-3), loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(data.train.images, [data.train.count, IMAGE_PIXELS]);
  const y = oneHot(data.train.labels);
  const fit = await fitWithProgress(model, x, y, { epochs, batchSize: 128, logger, label: 'evaluator baseline (pixel softmax regression)' });
  x.dispose();
  y.dispose();
  const testAccuracy = accuracy(predictBatched(model, data.test.images, IMAGE_PIXELS), data.test.labels);
  model.dispose();
  logger.log(`   pixel softmax regression (the evaluator's baseline) test accuracy ${testAccuracy.toFixed(4)}`);
  return {
    description: `softmax regression on the 784 pixels, Adam (learning rate 0.002, batch 128), ${epochs} epochs on all labelled training images`,
    epochs,
    test_accuracy: round(testAccuracy),
    train_loss_by_epoch: fit.history.map((h) => round(Number(h.loss), 4)),
  };
}

export async function trainEvaluator(data: Dataset, config: RunConfig, logger: Logger): Promise<Evaluator> {
  const { epochs, batchSize, learningRate } = config.evaluator;
  const model = buildEvaluator();
  model.compile({ optimizer: tf.train.adam(learningRate), loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const x = tf.tensor2d(data.train.images, [data.train.count, IMAGE_PIXELS]);
  const y = oneHot(data.train.labels);
  const fit = await fitWithProgress(model, x, y, {
    epochs,
    batchSize,
    logger,
    label: 'evaluator',
    onEpoch: (epoch) => {
      const acc = accuracy(predictBatched(model, data.validation.images, IMAGE_PIXELS), data.validation.labels);
      logger.log(`   epoch ${epoch + 1}/${epochs}: validation accuracy ${acc.toFixed(4)}`);
      return acc;
    },
  });
  x.dispose();
  y.dispose();
  const testAccuracy = accuracy(predictBatched(model, data.test.images, IMAGE_PIXELS), data.test.labels);
  logger.log(`   evaluator test accuracy ${testAccuracy.toFixed(4)}`);
  return evaluatorOf(model, {
    architecture: 'dense 784-512-256-10, relu, dropout 0.25, softmax',
    epochs,
    best_epoch: fit.bestEpoch + 1,
    validation_accuracy: round(fit.bestScore ?? NaN),
    test_accuracy: round(testAccuracy),
  });
}

/** The evaluator around a trained (or loaded) model: its features are the FEATURE_LAYER activations. */
export function evaluatorOf(model: tf.LayersModel, metrics: Evaluator['metrics']): Evaluator {
  const features = tf.model({ inputs: model.inputs, outputs: model.getLayer(FEATURE_LAYER).output as tf.SymbolicTensor });
  return { model, features, featureDim: features.outputs[0].shape[1] as number, metrics };
}

export interface ClassScores {
  /** predicted class per image */
  predicted: Uint8Array;
  /** max probability per image */
  confidence: Float32Array;
}

export function scoreImages(evaluator: Evaluator, images: Float32Array): ClassScores {
  const probs = predictBatched(evaluator.model, images, IMAGE_PIXELS);
  const rows = images.length / IMAGE_PIXELS;
  const predicted = new Uint8Array(rows);
  const confidence = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    const k = argmax(probs, i * NUM_CLASSES, NUM_CLASSES);
    predicted[i] = k;
    confidence[i] = probs[i * NUM_CLASSES + k];
  }
  return { predicted, confidence };
}

export function imageFeatures(evaluator: Evaluator, images: Float32Array): Float32Array {
  return predictBatched(evaluator.features, images, IMAGE_PIXELS);
}
