/**
 * The export's parity check (training/export/parity.ts) checked from outside: tfjs and onnxruntime-node
 * are run directly here and compared with a loop written here, and the production helper must report the
 * same numbers, including for a model whose ONNX file really differs from the tfjs model (it must not
 * compare the expected output with itself, take a signed difference, or hide a NaN).
 */
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LATENT_DIM, MODEL_SPECS, TENSOR } from '../../core/contract';
import { Rng } from '../../core/rng';
import { convertLayersModel } from '../../training/export/convert';
import { specTensors } from '../../training/export/export-model';
import { compareWithSession, maxAbsDiff, parityCase, predictTfjs, randomBatch } from '../../training/export/parity';
import { createSession } from '../../training/export/runtimes';
import { buildDecoder } from '../../training/models/architectures';
import { useTestBackend } from './helpers';

const spec = MODEL_SPECS.decoder;
const ROWS = 64;
const SEED = 5;

function exportDecoder(model: tf.LayersModel): Uint8Array {
  return convertLayersModel(model, { inputNames: [TENSOR.latent], outputNames: [TENSOR.image], weights: 'float32', docString: 'test', metadata: {} });
}

/** max |a - b| computed here, NaN counted as infinitely far */
function referenceMaxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}

let model: tf.LayersModel;
let onnxBytes: Uint8Array;
beforeAll(async () => {
  await useTestBackend();
  tf.randomUniform([1]).dispose();
  model = buildDecoder([32]);
  onnxBytes = exportDecoder(model);
});

describe('parity, checked independently of training/export/parity.ts', () => {
  it('tfjs and onnxruntime-node agree on the exported decoder, and the helper reports the same max difference', async () => {
    const testCase = parityCase(model, specTensors(spec), ROWS, SEED);
    const latents = testCase.feeds[TENSOR.latent].data;
    const expected = (model.predict(tf.tensor2d(latents, [ROWS, LATENT_DIM])) as tf.Tensor).dataSync();
    const session = await ort.InferenceSession.create(onnxBytes);
    const actual = (await session.run({ [TENSOR.latent]: new ort.Tensor('float32', latents, [ROWS, LATENT_DIM]) }))[TENSOR.image].data as Float32Array;
    const reference = referenceMaxAbsDiff(expected, actual);
    expect(reference).toBeLessThan(1e-5);
    const helper = await createSession('onnxruntime-node', onnxBytes);
    expect((await compareWithSession(helper, testCase))[TENSOR.image]).toBe(reference);
    await helper.release();
  });

  it('reports a real difference when the ONNX file is not the tfjs model', async () => {
    // another decoder with the same shapes: every output differs
    const other = buildDecoder([32]);
    const otherBytes = exportDecoder(other);
    const testCase = parityCase(model, specTensors(spec), ROWS, SEED);
    const latents = testCase.feeds[TENSOR.latent].data;
    const expected = (model.predict(tf.tensor2d(latents, [ROWS, LATENT_DIM])) as tf.Tensor).dataSync();
    const session = await ort.InferenceSession.create(otherBytes);
    const actual = (await session.run({ [TENSOR.latent]: new ort.Tensor('float32', latents, [ROWS, LATENT_DIM]) }))[TENSOR.image].data as Float32Array;
    const reference = referenceMaxAbsDiff(expected, actual);
    expect(reference).toBeGreaterThan(1e-3);
    const helper = await createSession('onnxruntime-node', otherBytes);
    expect((await compareWithSession(helper, testCase))[TENSOR.image]).toBeCloseTo(reference, 6);
    await helper.release();
    other.dispose();
  });

  it('names a missing output', async () => {
    const testCase = parityCase(model, specTensors(spec), 4, SEED);
    const renamed = { ...testCase, expected: { nope: testCase.expected[TENSOR.image] } };
    const helper = await createSession('onnxruntime-node', onnxBytes);
    await expect(compareWithSession(helper, renamed)).rejects.toThrow(/ONNX session has no output "nope" \(has image\)/);
    await helper.release();
  });
});

describe('maxAbsDiff', () => {
  it('is the largest absolute difference, whichever side is larger', () => {
    expect(maxAbsDiff(Float32Array.from([1, 2, 3]), Float32Array.from([1, 2, 3]))).toBe(0);
    expect(maxAbsDiff(Float32Array.from([0, 5, 1]), Float32Array.from([0.5, 2, 1]))).toBe(3);
    expect(maxAbsDiff(Float32Array.from([1, 0]), Float32Array.from([3, 0]))).toBe(2);
    expect(maxAbsDiff(Float32Array.from([-1, 0]), Float32Array.from([-4, 0.5]))).toBe(3);
  });

  it('does not let a NaN hide, on either side, wherever it is', () => {
    expect(maxAbsDiff(Float32Array.from([Number.NaN, 0]), Float32Array.from([0, 0]))).toBeNaN();
    expect(maxAbsDiff(Float32Array.from([0, 9]), Float32Array.from([0, Number.NaN]))).toBeNaN();
    expect(maxAbsDiff(Float32Array.from([0, 9, 0]), Float32Array.from([Number.NaN, 0, 0]))).toBeNaN();
  });

  it('refuses arrays of different lengths, naming both', () => {
    expect(() => maxAbsDiff(new Float32Array(3), new Float32Array(4))).toThrow(/cannot compare outputs of 3 and 4 values/);
  });
});

describe('randomBatch', () => {
  it('draws images in [0, 1), one-hot digits, and normals for everything else', () => {
    const rng = new Rng(1);
    const images = randomBatch({ name: TENSOR.image, featureShape: [784] }, 8, rng);
    expect(images.dims).toEqual([8, 784]);
    expect(Math.min(...images.data)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...images.data)).toBeLessThan(1);
    const imageMean = images.data.reduce((a, b) => a + b, 0) / images.data.length;
    expect(Math.abs(imageMean - 0.5)).toBeLessThan(0.05); // uniform over [0, 1), not a constant
    expect(new Set(images.data).size).toBeGreaterThan(700);
    const digits = randomBatch({ name: TENSOR.digit, featureShape: [10] }, 50, rng);
    for (let r = 0; r < 50; r++) {
      const row = Array.from(digits.data.subarray(r * 10, r * 10 + 10));
      expect(row.filter((v) => v === 1)).toHaveLength(1);
      expect(row.filter((v) => v === 0)).toHaveLength(9);
    }
    expect(new Set(Array.from({ length: 50 }, (_, r) => Array.from(digits.data.subarray(r * 10, r * 10 + 10)).indexOf(1))).size).toBeGreaterThan(5);
    const noise = randomBatch({ name: TENSOR.noise, featureShape: [2, 4] }, 500, rng);
    expect(noise.dims).toEqual([500, 2, 4]);
    expect(Math.min(...noise.data)).toBeLessThan(-2);
    const mean = noise.data.reduce((a, b) => a + b, 0) / noise.data.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(() => randomBatch({ name: TENSOR.digit, featureShape: [9] }, 1, rng)).toThrow(/digit_onehot must have 10 features, got 9/);
  });
});

describe('predictTfjs', () => {
  it('feeds several inputs in order and returns one Float32Array per output', () => {
    const a = tf.input({ shape: [2] });
    const b = tf.input({ shape: [1] });
    const joined = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
    const m = tf.model({ inputs: [a, b], outputs: [joined, b] });
    const [first, second] = predictTfjs(m, [
      { data: Float32Array.from([1, 2, 3, 4]), dims: [2, 2] },
      { data: Float32Array.from([5, 6]), dims: [2, 1] },
    ]);
    expect(first).toBeInstanceOf(Float32Array);
    expect(Array.from(first)).toEqual([1, 2, 5, 3, 4, 6]);
    expect(Array.from(second)).toEqual([5, 6]);
  });
});
