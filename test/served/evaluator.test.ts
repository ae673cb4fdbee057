/**
 * Each dataset's evaluator (models/evaluator.onnx, an MNIST classifier; models/fashion-mnist/evaluator.onnx,
 * a Fashion-MNIST one, each trained on its own data and never served) scores what the API serves for that
 * dataset: the PNGs decoded back to pixels, not the float outputs training saw. Random models score ~0.1
 * (chance); trained ones must make each requested class recognisable.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { IMAGE_PIXELS, NUM_CLASSES, TENSOR } from '../../core/contract';
import { MODELS_DIR, decodeTiles, ort } from './models';

const base = inject('workerUrl');
const PER_DIGIT = 64;
const SEED = 2024;

interface Floors {
  /** minimum share of /v1/digits/d samples the evaluator classifies as d, for every d */
  perClass: (training: number) => number;
  /** minimum share over all classes */
  overall: number;
  /** largest gap allowed to training's measurement of the same models (metrics.cgan.evaluator_accuracy) */
  gapToTraining: number;
  /** minimum share of /v1/generate samples classified with probability >= 0.5 */
  confident: number;
}

const DATASETS: Array<{ id: string; dir: string; floors: Floors }> = [
  {
    id: 'mnist',
    dir: MODELS_DIR,
    // Training's own floor is 0.95 per digit on 500 samples (core/quality-floors); 64 PNG-rounded samples per
    // digit get a margin for sampling noise (one standard error at p = 0.95 is 0.027).
    floors: { perClass: () => 0.93, overall: 0.96, gapToTraining: 0.03, confident: 0.95 },
  },
  {
    id: 'fashion-mnist',
    dir: resolve(MODELS_DIR, 'fashion-mnist'),
    // Fashion-MNIST's classes overlap (shirt / T-shirt / pullover / coat): each class must score within three
    // standard errors of 64 samples (0.15 at p = 0.7) of what training measured for it, and over all classes
    // within 0.04 of training.
    floors: { perClass: (training) => training - 0.15, overall: 0.75, gapToTraining: 0.04, confident: 0.75 },
  },
];

describe.each(DATASETS)('the $id evaluator recognises what the API serves for $id', ({ id, dir, floors }) => {
  let evaluator: ort.InferenceSession;
  let manifest: { metrics: { cgan: { evaluator_accuracy: number; per_digit_accuracy: number[] } } };

  beforeAll(async () => {
    const file = resolve(dir, 'evaluator.onnx');
    if (!existsSync(file)) throw new Error(`${file} is missing: the ${id} set is not committed (npm run export)`);
    evaluator = await ort.InferenceSession.create(readFileSync(file));
    manifest = JSON.parse(readFileSync(resolve(dir, 'manifest.json'), 'utf8'));
  });

  async function classify(path: string): Promise<{ label: number; p: number }[]> {
    const res = await fetch(`${base}${path}&dataset=${id}`);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('X-Dataset')).toBe(id);
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

  it(`/v1/digits/{d}: every class d recognised as d in ${PER_DIGIT} samples, overall like training measured`, async () => {
    const accuracy: number[] = [];
    for (let d = 0; d <= 9; d++) {
      const labels = await classify(`/v1/digits/${d}?n=${PER_DIGIT}&seed=${SEED + d}&format=json`);
      accuracy.push(labels.filter((x) => x.label === d).length / labels.length);
    }
    console.log(`[evaluator] ${id} per-class accuracy of /v1/digits: ${accuracy.map((a, d) => `${d}:${a.toFixed(2)}`).join(' ')}`);
    accuracy.forEach((a, d) => expect(a, `class ${d}`).toBeGreaterThanOrEqual(floors.perClass(manifest.metrics.cgan.per_digit_accuracy[d])));
    const overall = accuracy.reduce((s, a) => s + a, 0) / NUM_CLASSES;
    expect(overall).toBeGreaterThanOrEqual(floors.overall);
    expect(Math.abs(overall - manifest.metrics.cgan.evaluator_accuracy)).toBeLessThanOrEqual(floors.gapToTraining);
  });

  it('/v1/generate: confident classifications and every class represented', async () => {
    const labels: { label: number; p: number }[] = [];
    for (let k = 0; k < 4; k++) labels.push(...(await classify(`/v1/generate?n=64&seed=${SEED + 100 + k}&format=json`)));
    const confident = labels.filter((x) => x.p >= 0.5).length / labels.length;
    const counts = Array.from({ length: NUM_CLASSES }, (_, d) => labels.filter((x) => x.label === d).length);
    console.log(`[evaluator] ${id} /v1/generate: ${(confident * 100).toFixed(0)}% confident, class counts ${counts.join(' ')} of ${labels.length}`);
    expect(confident).toBeGreaterThanOrEqual(floors.confident);
    expect(counts.filter((c) => c > 0).length).toBe(NUM_CLASSES);
  });
});
