/**
 * Numerical parity between a tfjs model and its ONNX export: the same random batch through both, the
 * largest absolute difference over every output value.
 */
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES, TENSOR } from '../../core/contract';
import { Rng } from '../../core/rng';
import type { Batch, OnnxSession } from './runtimes';

export interface NamedShape {
  name: string;
  /** shape without the batch dimension */
  featureShape: number[];
}

/**
 * A random batch shaped like what the tensor carries in use: images uniform in [0, 1], one-hot digits,
 * standard normal for noise, latent codes and anything else.
 */
export function randomBatch(tensor: NamedShape, rows: number, rng: Rng): Batch {
  const width = tensor.featureShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(rows * width);
  if (tensor.name === TENSOR.digit) {
    if (width !== NUM_CLASSES) throw new Error(`${TENSOR.digit} must have ${NUM_CLASSES} features, got ${width}`);
    for (let r = 0; r < rows; r++) data[r * width + rng.int(width)] = 1;
  } else if (tensor.name === TENSOR.image) {
    for (let i = 0; i < data.length; i++) data[i] = rng.uniform();
  } else {
    for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  }
  return { data, dims: [rows, ...tensor.featureShape] };
}

/** tfjs predictions for batches given in the model's input order; one Float32Array per model output. */
export function predictTfjs(model: tf.LayersModel, batches: Batch[]): Float32Array[] {
  return tf.tidy(() => {
    const inputs = batches.map((b) => tf.tensor(b.data, b.dims, 'float32'));
    const out = model.predict(inputs.length === 1 ? inputs[0] : inputs);
    return (Array.isArray(out) ? out : [out]).map((t) => t.dataSync() as Float32Array);
  });
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`cannot compare outputs of ${a.length} and ${b.length} values`);
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    // a NaN on either side makes the difference NaN, which must not hide (nor be replaced by a later value)
    if (Number.isNaN(d)) return Number.NaN;
    if (d > max) max = d;
  }
  return max;
}

export interface ParityCase {
  /** named batches in the model's input order */
  feeds: Record<string, Batch>;
  /** tfjs predictions in the model's output order, keyed by ONNX output name */
  expected: Record<string, Float32Array>;
}

/** `rows` random inputs and the tfjs model's predictions for them; reusable across runtimes. */
export function parityCase(model: tf.LayersModel, io: { inputs: NamedShape[]; outputs: string[] }, rows: number, seed: number): ParityCase {
  const rng = new Rng(seed);
  const batches = io.inputs.map((t) => randomBatch(t, rows, rng));
  const predictions = predictTfjs(model, batches);
  return {
    feeds: Object.fromEntries(io.inputs.map((t, i) => [t.name, batches[i]])),
    expected: Object.fromEntries(io.outputs.map((name, i) => [name, predictions[i]])),
  };
}

/** Largest |tfjs - onnx| per output of the case, run through the ONNX session. */
export async function compareWithSession(session: OnnxSession, testCase: ParityCase): Promise<Record<string, number>> {
  const actual = await session.run(testCase.feeds);
  const diffs: Record<string, number> = {};
  for (const [name, expected] of Object.entries(testCase.expected)) {
    if (!actual[name]) throw new Error(`ONNX session has no output "${name}" (has ${Object.keys(actual).join(', ')})`);
    diffs[name] = maxAbsDiff(expected, actual[name]);
  }
  return diffs;
}
