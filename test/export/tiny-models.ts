/**
 * Contract-shaped tfjs models of one or two Dense layers with hand-set weights, for export tests that must
 * be fast (a mutation run re-runs them per mutant). Weights are multiples of 1/64 below 8, so float16
 * stores them exactly unless a test asks otherwise.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, LATENT_DIM, NOISE_DIM, NUM_CLASSES, type ModelId } from '../../core/contract';

/** kernel [in][units] of value f(i, j), bias of value g(j) */
export function denseLayer(
  inputs: number,
  units: number,
  kernel: (i: number, j: number) => number,
  opts: { bias?: (j: number) => number; activation?: 'linear' | 'sigmoid' | 'softmax' | 'relu'; name?: string } = {},
): tf.layers.Layer {
  const k = new Float32Array(inputs * units);
  for (let i = 0; i < inputs; i++) for (let j = 0; j < units; j++) k[i * units + j] = kernel(i, j);
  const b = Float32Array.from({ length: units }, (_, j) => (opts.bias ? opts.bias(j) : 0));
  // initial weights set when the layer is applied (built inside its name scope, so they save and load)
  return tf.layers.dense({ units, activation: opts.activation ?? 'linear', name: opts.name, weights: [tf.tensor2d(k, [inputs, units]), tf.tensor1d(b)] });
}

export function sequentialModel(inputWidth: number, layers: tf.layers.Layer[], name?: string): tf.LayersModel {
  const input = tf.input({ shape: [inputWidth] });
  let x: tf.SymbolicTensor = input;
  for (const layer of layers) x = layer.apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name });
}

/** a deterministic small weight: a multiple of 1/64 in [-0.5, 0.5) */
const w = (i: number, j: number, salt: number) => (((i * 7 + j * 13 + salt) % 64) - 32) / 64;

export const tinyDecoder = () => sequentialModel(LATENT_DIM, [denseLayer(LATENT_DIM, IMAGE_PIXELS, (i, j) => w(i, j, 1), { activation: 'sigmoid', bias: (j) => w(j, 0, 2) })]);
export const tinyEncoder = () => sequentialModel(IMAGE_PIXELS, [denseLayer(IMAGE_PIXELS, LATENT_DIM, (i, j) => w(i, j, 3) / 8, { bias: (j) => w(j, 1, 4) })]);
export const tinyGenerator = () => sequentialModel(NOISE_DIM, [denseLayer(NOISE_DIM, LATENT_DIM, (i, j) => w(i, j, 5))]);
export const tinyClassifier = () => sequentialModel(LATENT_DIM, [denseLayer(LATENT_DIM, NUM_CLASSES, (i, j) => w(i, j, 6), { activation: 'softmax' })]);
export const tinyEvaluator = () => sequentialModel(IMAGE_PIXELS, [denseLayer(IMAGE_PIXELS, NUM_CLASSES, (i, j) => w(i, j, 7) / 8, { activation: 'softmax' })]);
export const tinyRecognizer = () =>
  sequentialModel(IMAGE_PIXELS, [denseLayer(IMAGE_PIXELS, 8, (i, j) => w(i, j, 9) / 8, { activation: 'relu' }), denseLayer(8, NUM_CLASSES, (i, j) => w(i, j, 10), { activation: 'softmax' })]);
export function tinyConditionalGenerator(): tf.LayersModel {
  const noise = tf.input({ shape: [NOISE_DIM] });
  const digit = tf.input({ shape: [NUM_CLASSES] });
  const joined = tf.layers.concatenate().apply([noise, digit]) as tf.SymbolicTensor;
  const latent = denseLayer(NOISE_DIM + NUM_CLASSES, LATENT_DIM, (i, j) => w(i, j, 8)).apply(joined) as tf.SymbolicTensor;
  return tf.model({ inputs: [noise, digit], outputs: latent });
}

export const TINY_BUILDERS: Record<ModelId, () => tf.LayersModel> = {
  decoder: tinyDecoder,
  encoder: tinyEncoder,
  generator: tinyGenerator,
  'cgan-generator': tinyConditionalGenerator,
  classifier: tinyClassifier,
  evaluator: tinyEvaluator,
  recognizer: tinyRecognizer,
};
