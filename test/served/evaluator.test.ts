/**
 * The project's evaluator (models/evaluator.onnx, an MNIST classifier) scores what the API serves: the
 * PNGs decoded back to pixels, not the float outputs training saw. Random models score ~0.1 (chance);
 * trained ones must make each requested digit recognisable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { IMAGE_PIXELS, NUM_CLASSES, TENSOR } from '../../core/contract';
import { MODELS_DIR, decodeTiles, openModel, ort } from './models';

const base = inject('workerUrl');
const PER_DIGIT = 64;
/**
 * Minimum share of /v1/digits/d samples the evaluator classifies as d, for every d. Training's own floor
 * is 0.95 per digit on 500 samples (core/quality-floors); 64 PNG-rounded samples per digit get a margin
 * for sampling noise (one standard error at p = 0.95 is 0.027).
 */
const MIN_DIGIT_ACCURACY = 0.93;
/** Minimum share over all digits, and the largest gap allowed to training's measurement of the same models. */
const MIN_OVERALL_ACCURACY = 0.96;
const MAX_GAP_TO_TRAINING = 0.03;
/** Minimum share of /v1/generate samples classified with probability >= 0.5 (recognisable as some digit). */
const MIN_CONFIDENT_SHARE = 0.95;
const SEED = 2024;

let evaluator: ort.InferenceSession;

beforeAll(async () => {
  if (!existsSync(resolve(MODELS_DIR, 'evaluator.onnx'))) throw new Error('models/evaluator.onnx is missing: run `npm run export`');
  evaluator = await openModel('evaluator', 'float32');
});

async function classify(path: string): Promise<{ label: number; p: number }[]> {
  const res = await fetch(`${base}${path}`);
  expect(res.status, path).toBe(200);
  const bytes = decodeTiles(((await res.json()) as { images: string[] }).images);
  const n = bytes.length / IMAGE_PIXELS;
  const pixels = Float32Array.from(bytes, (b) => b / 255);
  const out = await evaluator.run({ [TENSOR.image]: new ort.Tensor('float32', pixels, [n, IMAGE_PIXELS]) });
  const probs = out[TENSOR.probabilities].data as Float32Array;
  return Array.from({ length: n }, (_, i) => {
    const row = probs.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES);
    const label = row.indexOf(Math.max(...row));
    return { label, p: row[label] };
  });
}

describe('the evaluator recognises what the API serves', () => {
  it(`/v1/digits/{d}: at least ${MIN_DIGIT_ACCURACY} of ${PER_DIGIT} samples classified as d, for every d`, async () => {
    const accuracy: number[] = [];
    for (let d = 0; d <= 9; d++) {
      const labels = await classify(`/v1/digits/${d}?n=${PER_DIGIT}&seed=${SEED + d}&format=json`);
      accuracy.push(labels.filter((x) => x.label === d).length / labels.length);
    }
    console.log(`[evaluator] per-digit accuracy of /v1/digits: ${accuracy.map((a, d) => `${d}:${a.toFixed(2)}`).join(' ')}`);
    accuracy.forEach((a, d) => expect(a, `digit ${d}`).toBeGreaterThanOrEqual(MIN_DIGIT_ACCURACY));
    const overall = accuracy.reduce((s, a) => s + a, 0) / NUM_CLASSES;
    expect(overall).toBeGreaterThanOrEqual(MIN_OVERALL_ACCURACY);
    // what the API serves scores like what training measured on the tfjs models (metrics.cgan)
    const manifest = JSON.parse(readFileSync(resolve(MODELS_DIR, 'manifest.json'), 'utf8'));
    expect(Math.abs(overall - manifest.metrics.cgan.evaluator_accuracy)).toBeLessThanOrEqual(MAX_GAP_TO_TRAINING);
  });

  it(`/v1/generate: confident classifications and every digit represented`, async () => {
    const labels: { label: number; p: number }[] = [];
    for (let k = 0; k < 4; k++) labels.push(...(await classify(`/v1/generate?n=64&seed=${SEED + 100 + k}&format=json`)));
    const confident = labels.filter((x) => x.p >= 0.5).length / labels.length;
    const counts = Array.from({ length: NUM_CLASSES }, (_, d) => labels.filter((x) => x.label === d).length);
    console.log(`[evaluator] /v1/generate: ${(confident * 100).toFixed(0)}% confident, class counts ${counts.join(' ')} of ${labels.length}`);
    expect(confident).toBeGreaterThanOrEqual(MIN_CONFIDENT_SHARE);
    expect(counts.filter((c) => c > 0).length).toBe(NUM_CLASSES);
  });
});
