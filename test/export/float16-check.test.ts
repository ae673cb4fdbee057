/**
 * training/export/float16-check.ts on tiny models whose float16 error is worked out by hand: 1/3 is stored
 * as the half 0.333251953125 (1365/4096), 1/12288 below it; 0.5 and 0 are exact. A first Dense layer with
 * zero kernel and bias 1 makes the hidden units constant, so the error does not depend on the random inputs.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, LATENT_DIM, MODEL_SPECS, NOISE_DIM, NUM_CLASSES, type ModelId } from '../../core/contract';
import { convertLayersModel } from '../../training/export/convert';
import { FLOAT16_MAX_PIXEL_DIFF, FLOAT16_MAX_PROBABILITY_DIFF, FLOAT16_ROWS, measureFloat16 } from '../../training/export/float16-check';
import { denseLayer, sequentialModel } from './tiny-models';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

const THIRD_ERROR = 1 / 3 - 1365 / 4096; // 1/12288
const ROWS = 4;

/** [in] -> `hidden` units all 1 -> Dense(kernel(i, j)) */
function constantHidden(inputs: number, hidden: number, units: number, kernel: (i: number, j: number) => number, activation?: 'softmax'): tf.LayersModel {
  return sequentialModel(inputs, [denseLayer(inputs, hidden, () => 0, { bias: () => 1 }), denseLayer(hidden, units, kernel, { activation })]);
}

function float16Bytes(id: ModelId, model: tf.LayersModel): Uint8Array {
  const spec = MODEL_SPECS[id];
  return convertLayersModel(model, { inputNames: spec.inputs.map((t) => t.name), outputNames: spec.outputs.map((t) => t.name), weights: 'float16', metadata: {} });
}

/** every pixel = 64 or 128 hidden ones times 1/3: off by 64 or 128 / 12288 in float16 */
const thirdsDecoder = (hidden: number) => constantHidden(LATENT_DIM, hidden, IMAGE_PIXELS, () => 1 / 3);
/** every pixel = 0.5 * sum(latent), exact in float16 */
const linearDecoder = () => sequentialModel(LATENT_DIM, [denseLayer(LATENT_DIM, IMAGE_PIXELS, () => 0.5)]);
/** every latent value = the first hidden one times `c` (128 x 16 kernel: stored as float16) */
const generatorOf = (c: number) => constantHidden(NOISE_DIM, 128, LATENT_DIM, (i) => (i === 0 ? c : 0));

function softmax(logits: number[]): number[] {
  const e = logits.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
/** classifier whose logits are the given row (first hidden unit times the kernel's first row) */
const classifierWithLogits = (logits: number[]) => constantHidden(LATENT_DIM, 128, NUM_CLASSES, (i, j) => (i === 0 ? logits[j] : 0), 'softmax');

describe('measureFloat16', () => {
  it('the bounds are 2/255 per pixel, 0.005 per probability, 2048 rows by default', () => {
    expect([FLOAT16_MAX_PIXEL_DIFF, FLOAT16_MAX_PROBABILITY_DIFF, FLOAT16_ROWS]).toEqual([2 / 255, 0.005, 2048]);
  });

  it('decoder: measures its own pixels (64 / 12288 off) over the given rows', async () => {
    const decoder = thirdsDecoder(64);
    const reports = await measureFloat16({ decoder }, { decoder: float16Bytes('decoder', decoder) }, ROWS);
    expect(Object.keys(reports)).toEqual(['decoder']);
    const r = reports.decoder;
    expect(r.rows).toBe(ROWS);
    expect(r.output_max_abs_diff).toBeCloseTo(64 * THIRD_ERROR, 5);
    expect(r.pixel_max_abs_diff).toBe(r.output_max_abs_diff);
    expect(r).not.toHaveProperty('probability_max_abs_diff');
  });

  it('throws when a decoder pixel moves by more than 2/255 (128 / 12288 = 0.0104)', async () => {
    const decoder = thirdsDecoder(128);
    await expect(measureFloat16({ decoder }, { decoder: float16Bytes('decoder', decoder) }, ROWS)).rejects.toThrow(
      /^float16 decoder\.onnx changes pixels by up to 0\.0104\d > 0\.00784 \(2\/255\); ship float32 or investigate$/,
    );
  });

  it('generator: its latent error (1/12288) is measured in pixels through the float16 decoder (x 0.5 x 16)', async () => {
    const decoder = linearDecoder();
    const generator = generatorOf(1 / 3);
    const reports = await measureFloat16(
      { decoder, generator },
      { decoder: float16Bytes('decoder', decoder), generator: float16Bytes('generator', generator) },
      ROWS,
    );
    expect(Object.keys(reports)).toEqual(['decoder', 'generator']);
    expect(reports.decoder.pixel_max_abs_diff).toBeLessThan(1e-5);
    expect(reports.generator.rows).toBe(ROWS);
    expect(reports.generator.output_max_abs_diff).toBeCloseTo(THIRD_ERROR, 7);
    expect(reports.generator.pixel_max_abs_diff).toBeCloseTo(8 * THIRD_ERROR, 6);
  });

  it('throws when a generator\'s latent error moves pixels by more than 2/255', async () => {
    const decoder = linearDecoder();
    const generator = generatorOf(128 / 3); // latent off by 128 / 12288, pixels by 8x that: 0.083
    await expect(
      measureFloat16({ decoder, generator }, { decoder: float16Bytes('decoder', decoder), generator: float16Bytes('generator', generator) }, ROWS),
    ).rejects.toThrow(/^float16 generator\.onnx changes pixels by up to 0\.083\d+ > 0\.00784 \(2\/255\)/);
  });

  it('classifier: probability error and the share of rows whose predicted class changes', async () => {
    const decoder = linearDecoder();
    // logit 1 is a quarter half-ulp above logit 0: float32 predicts class 1, float16 rounds it to a tie (class 0)
    const logits = [0.5, 0.5 + 2 ** -13, 0, 0, 0, 0, 0, 0, 0, 0];
    const classifier = classifierWithLogits(logits);
    const reports = await measureFloat16(
      { decoder, classifier },
      { decoder: float16Bytes('decoder', decoder), classifier: float16Bytes('classifier', classifier) },
      ROWS,
    );
    const f32 = softmax(logits);
    const f16 = softmax([0.5, 0.5, 0, 0, 0, 0, 0, 0, 0, 0]);
    const expected = Math.max(...f32.map((p, i) => Math.abs(p - f16[i])));
    const r = reports.classifier;
    expect(r.rows).toBe(ROWS);
    expect(r.pixel_max_abs_diff).toBeNull();
    expect(r.output_max_abs_diff).toBeCloseTo(expected, 6);
    expect(r.probability_max_abs_diff).toBe(r.output_max_abs_diff);
    expect(r.argmax_changed).toBe(1);
  });

  it('classifier: no row changes class when float16 keeps the order', async () => {
    const decoder = linearDecoder();
    const classifier = classifierWithLogits([0.5, 0.75, 0, 0, 0, 0, 0, 0, 0, 0]);
    const reports = await measureFloat16({ decoder, classifier }, { decoder: float16Bytes('decoder', decoder), classifier: float16Bytes('classifier', classifier) }, ROWS);
    expect(reports.classifier.argmax_changed).toBe(0);
    expect(reports.classifier.probability_max_abs_diff).toBeLessThan(1e-6);
  });

  it('throws when a class probability moves by more than 0.005', async () => {
    const decoder = linearDecoder();
    // 1000.25 is a tie between the halves 1000 and 1000.5 and rounds to the even 1000: p changes by ~0.06
    const classifier = classifierWithLogits([1000, 1000.25, 0, 0, 0, 0, 0, 0, 0, 0]);
    await expect(
      measureFloat16({ decoder, classifier }, { decoder: float16Bytes('decoder', decoder), classifier: float16Bytes('classifier', classifier) }, ROWS),
    ).rejects.toThrow(/^float16 classifier\.onnx changes class probabilities by up to 0\.062\d\d > 0\.005; ship float32 or investigate$/);
  });

  it('refuses without the decoder\'s file or model, without a model for a file, and a decoder that does not output 784 pixels', async () => {
    const decoder = linearDecoder();
    const bytes = float16Bytes('decoder', decoder);
    const needs = 'float16 check needs the decoder (its pixels are what is measured)';
    await expect(measureFloat16({ decoder }, {}, ROWS)).rejects.toThrow(needs);
    await expect(measureFloat16({}, { decoder: bytes }, ROWS)).rejects.toThrow(needs);
    const generator = generatorOf(0);
    await expect(measureFloat16({ decoder }, { decoder: bytes, generator: float16Bytes('generator', generator) }, ROWS)).rejects.toThrow('no tfjs model for generator');
    const small = sequentialModel(LATENT_DIM, [denseLayer(LATENT_DIM, 10, () => 0.5)]);
    await expect(measureFloat16({ decoder: small }, { decoder: float16Bytes('decoder', small) }, ROWS)).rejects.toThrow(
      'float16 check does not know how to turn decoder\'s output "image" into pixels or probabilities',
    );
  });
});
