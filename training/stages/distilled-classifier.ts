/**
 * The served 50-label classifier: a small MLP trained on the spread labels of all training codes
 * (distillation of label spreading into a model the ONNX exporter supports). It takes the encoder's raw
 * code [N, LATENT_DIM] -> class probabilities [N, 10]; the per-dimension standardisation the graph uses is
 * folded into its first Dense layer, so there is no preprocessing outside the model.
 */
import * as tf from '@tensorflow/tfjs';
import { LATENT_DIM, NUM_CLASSES } from '../../core/contract';
import { fitWithProgress } from '../fit';

export const DISTILLED_DESCRIPTION = 'Dense 128 relu -> Dense 10 softmax on standardised codes, trained on the spread labels of all training codes';
export const DISTILL_SCHEDULE = { epochs: 12, batchSize: 256, learningRate: 2e-3 } as const;

/** Per-dimension mean and standard deviation of codes [rows, dim]. */
export interface Standardiser {
  mean: Float64Array;
  sd: Float64Array;
  apply: (x: Float32Array) => Float32Array;
}

export function fitStandardiser(codes: Float32Array, dim: number): Standardiser {
  const rows = codes.length / dim;
  const mean = new Float64Array(dim);
  const sd = new Float64Array(dim);
  for (let i = 0; i < codes.length; i++) mean[i % dim] += codes[i] / rows;
  for (let i = 0; i < codes.length; i++) sd[i % dim] += (codes[i] - mean[i % dim]) ** 2 / rows;
  for (let j = 0; j < dim; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  return { mean, sd, apply: (x) => x.map((v, i) => (v - mean[i % dim]) / sd[i % dim]) };
}

/** latent code [N, LATENT_DIM] -> class probabilities [N, 10] */
export function buildDistilledClassifier(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [LATENT_DIM], units: 128, activation: 'relu' }),
      tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
    ],
  });
}

/**
 * Trains the head on standardised codes [rows, LATENT_DIM] with targets [rows, 10] (spread label
 * distributions or one-hot), then returns it with the standardisation folded in: it accepts raw codes.
 */
export async function distilClassifier(standardised: Float32Array, targets: Float32Array, standardiser: Standardiser): Promise<tf.Sequential> {
  const rows = standardised.length / LATENT_DIM;
  const model = buildDistilledClassifier();
  const x = tf.tensor2d(standardised, [rows, LATENT_DIM]);
  const y = tf.tensor2d(targets, [rows, NUM_CLASSES]);
  model.compile({ optimizer: tf.train.adam(DISTILL_SCHEDULE.learningRate), loss: 'categoricalCrossentropy' });
  await fitWithProgress(model, x, y, { epochs: DISTILL_SCHEDULE.epochs, batchSize: DISTILL_SCHEDULE.batchSize });
  x.dispose();
  y.dispose();
  foldStandardiser(model, standardiser);
  return model;
}

/**
 * First layer y = act(((x - mean) / sd) W + b) == act(x W' + b') with W'[i, :] = W[i, :] / sd[i] and
 * b' = b - sum_i mean[i] / sd[i] * W[i, :]. Rewrites the model's first Dense weights in place.
 */
export function foldStandardiser(model: tf.LayersModel, standardiser: Standardiser): void {
  const first = model.layers[0];
  const [kernel, bias] = first.getWeights();
  const [inputs, units] = kernel.shape as [number, number];
  const w = kernel.dataSync() as Float32Array;
  const b = Float64Array.from(bias.dataSync());
  const folded = new Float32Array(w.length);
  for (let i = 0; i < inputs; i++) {
    for (let u = 0; u < units; u++) {
      const scaled = w[i * units + u] / standardiser.sd[i];
      folded[i * units + u] = scaled;
      b[u] -= standardiser.mean[i] * scaled;
    }
  }
  first.setWeights([tf.tensor2d(folded, [inputs, units]), tf.tensor1d(Float32Array.from(b))]);
}
