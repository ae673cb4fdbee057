/**
 * The latent baselines and the generators' temperature, against hand-worked distributions: codes drawn
 * from known Gaussians must come back with the means, covariances, weights and scales they were made with.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LATENT_DIM, NOISE_DIM, NUM_CLASSES } from '../../core/contract';
import { Rng } from '../../core/rng';
import { selectBackend } from '../../training/backend';
import { FULL_CONFIG } from '../../training/config';
import { buildConditionalGenerator, buildGenerator } from '../../training/models/architectures';
import { bakeTemperature, mmd, mmdGeneratorTerm } from '../../training/stages/gan';
import { cholesky, drawDigits, fitClassGaussians, fitClassGmm, fitGlobalGaussian, sampleMixture } from '../../training/stages/latent-baselines';

/** Mean and variance of column j of rows [n, LATENT_DIM]. */
function columnMoments(codes: Float32Array, j: number): { mean: number; variance: number } {
  const n = codes.length / LATENT_DIM;
  let s = 0;
  for (let r = 0; r < n; r++) s += codes[r * LATENT_DIM + j];
  const mean = s / n;
  let v = 0;
  for (let r = 0; r < n; r++) v += (codes[r * LATENT_DIM + j] - mean) ** 2;
  return { mean, variance: v / (n - 1) };
}

/**
 * Synthetic "codes": digit d sits in two clusters, centred at +-(d + 3) on dimension 0 (3:1 shares) with
 * standard deviation 0.5 there, and 0.1 * (j + 1) on every other dimension j around 0.
 */
function syntheticCodes(perDigit: number, rng: Rng): { codes: Float32Array; labels: Uint8Array } {
  const labels = Uint8Array.from({ length: perDigit * NUM_CLASSES }, (_, i) => i % NUM_CLASSES);
  const codes = new Float32Array(labels.length * LATENT_DIM);
  labels.forEach((d, r) => {
    const centre = Math.floor(r / NUM_CLASSES) % 4 === 3 ? -(d + 3) : d + 3;
    codes[r * LATENT_DIM] = centre + 0.5 * rng.normal();
    for (let j = 1; j < LATENT_DIM; j++) codes[r * LATENT_DIM + j] = 0.1 * (j + 1) * rng.normal();
  });
  return { codes, labels };
}

describe('latent baselines', () => {
  const { codes, labels } = syntheticCodes(2000, new Rng(5));

  it('Cholesky factor reproduces a hand-worked 2x2 factorisation', () => {
    // [[4, 2], [2, 5]] = L L^T with L = [[2, 0], [1, 2]]
    const L = cholesky([Float64Array.from([4, 0]), Float64Array.from([2, 5])]);
    expect(Array.from(L[0])).toEqual([2, 0]);
    expect(Array.from(L[1])).toEqual([1, 2]);
  });

  it('a per-digit mixture recovers both clusters of each digit with their shares and spreads', () => {
    const gmm = fitClassGmm(codes, labels, 2, 1);
    for (let d = 0; d < NUM_CLASSES; d++) {
      const components = [...gmm.perDigit[d]].sort((a, b) => b.weight - a.weight);
      expect(components).toHaveLength(2);
      expect(components[0].weight).toBeCloseTo(0.75, 1);
      expect(components[0].mean[0]).toBeCloseTo(d + 3, 1);
      expect(components[1].mean[0]).toBeCloseTo(-(d + 3), 1);
      // the Cholesky factor's diagonal is the standard deviation on dimension 0 (no correlations here)
      expect(components[0].chol[0][0]).toBeCloseTo(0.5, 1);
    }
  });

  it('samples each requested digit from its own mixture, with covariances scaled by T^2', () => {
    const gmm = fitClassGmm(codes, labels, 2, 1);
    const digits = new Uint8Array(20000).fill(4);
    for (const temperature of [1, 0.5]) {
      const sampled = sampleMixture(gmm, digits, temperature, new Rng(9));
      const positive = Array.from({ length: digits.length }, (_, r) => sampled[r * LATENT_DIM] > 0).filter(Boolean).length;
      expect(positive / digits.length).toBeCloseTo(0.75, 1.5);
      // dimension 5 has standard deviation 0.6 in every cluster
      expect(Math.sqrt(columnMoments(sampled, 5).variance)).toBeCloseTo(0.6 * temperature, 1.5);
      expect(columnMoments(sampled, 5).mean).toBeCloseTo(0, 1.5);
    }
  });

  it('a single Gaussian per digit matches each digit\'s moments; the global one those of all codes', () => {
    const perDigit = fitClassGaussians(codes, labels);
    // digit 2: clusters at +5 (3/4) and -5 (1/4): mean 2.5, variance 0.25 + 25 - 6.25 = 19
    expect(perDigit.perDigit[2][0].mean[0]).toBeCloseTo(2.5, 0);
    expect(perDigit.perDigit[2][0].chol[0][0] ** 2).toBeCloseTo(19, -0.5);
    const global = fitGlobalGaussian(codes, labels);
    expect(global.perDigit).toHaveLength(1);
    const sampled = sampleMixture(global, new Uint8Array(20000), 1, new Rng(2));
    expect(columnMoments(sampled, 3).variance).toBeCloseTo(0.16, 1);
  });

  it('draws unconditional digits with the training class frequencies', () => {
    // 70% ones, the rest spread evenly over the other nine digits (100 rows each)
    const skewed = Uint8Array.from({ length: 3000 }, (_, i) => (i < 2100 ? 1 : [0, 2, 3, 4, 5, 6, 7, 8, 9][i % 9]));
    const rng = new Rng(8);
    const mixture = fitClassGaussians(new Float32Array(3000 * LATENT_DIM).map(() => rng.normal()), skewed);
    expect(mixture.classFrequencies[1]).toBeCloseTo(0.7, 10);
    const digits = drawDigits(mixture, 20000, new Rng(4));
    expect(digits.filter((d) => d === 1).length / digits.length).toBeCloseTo(0.7, 1.5);
    expect(digits.filter((d) => d === 8).length / digits.length).toBeCloseTo(0.1 / 3, 1.5);
  });
});

describe('generator temperature', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  for (const conditional of [false, true]) {
    it(`a ${conditional ? 'conditional' : 'latent'} generator with T baked in equals the original applied to T * noise`, () => {
      // without the mode prior: with it, the mode is picked from the unscaled noise by design (see bakeTemperature)
      const shape = { ...FULL_CONFIG.gan, generatorHidden: 32, clusters: 0 };
      const build = () => (conditional ? buildConditionalGenerator(shape) : buildGenerator(shape));
      const original = build();
      const baked = build();
      baked.setWeights(original.getWeights());
      bakeTemperature(baked, conditional, 0.7);
      const rows = 8;
      const noise = tf.randomNormal([rows, NOISE_DIM]);
      const onehot = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7], 'int32'), NUM_CLASSES).toFloat();
      const inputs = (z: tf.Tensor) => (conditional ? [z, onehot] : z);
      const expected = (original.predict(inputs(noise.mul(0.7))) as tf.Tensor).dataSync();
      const got = (baked.predict(inputs(noise)) as tf.Tensor).dataSync();
      const unscaled = (original.predict(inputs(noise)) as tf.Tensor).dataSync();
      expect(got.length).toBe(rows * LATENT_DIM);
      for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo(expected[i], 5);
      // and it did change something: T is not silently ignored
      expect(Math.max(...Array.from(got, (v, i) => Math.abs(v - unscaled[i])))).toBeGreaterThan(1e-3);
    });
  }
});

describe('MMD term of the generator loss', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('matches the hand-worked value for two one-point samples, and is 0 for identical samples', () => {
    // k(a, b) = sum over squared bandwidths s of exp(-|a - b|^2 / (2 s)), s in {2, 8, 32}; |x - y|^2 = 1
    const cross = [2, 8, 32].reduce((sum, s) => sum + Math.exp(-1 / (2 * s)), 0);
    const value = mmd(tf.tensor2d([[0, 0]]), tf.tensor2d([[1, 0]])).dataSync()[0];
    expect(value).toBeCloseTo(3 + 3 - 2 * cross, 5);
    const same = tf.tensor2d([[0.5, 1], [2, -1]]);
    expect(mmd(same, same).dataSync()[0]).toBeCloseTo(0, 6);
  });

  /** The biased MMD^2 in doubles, one exp per kernel and bandwidth: independent of the tensor code's power trick. */
  function referenceMmd(x: number[][], y: number[][]): number {
    const k = (a: number[], b: number[]) => {
      const d = a.reduce((s, v, i) => s + (v - b[i]) ** 2, 0);
      return [2, 8, 32].reduce((s, bw) => s + Math.exp(-d / (2 * bw)), 0);
    };
    const meanK = (a: number[][], b: number[][]) => a.reduce((s, p) => s + b.reduce((t, q) => t + k(p, q), 0), 0) / (a.length * b.length);
    return meanK(x, x) + meanK(y, y) - 2 * meanK(x, y);
  }

  it('equals a one-exp-per-bandwidth reference, and the generator term has its gradient with respect to the generated sample', () => {
    const rng = new Rng(5);
    const draw = (n: number, shift: number) => Array.from({ length: n }, () => [rng.normal() * 2 + shift, rng.normal(), rng.normal() * 0.5]);
    const x = draw(6, 0.7);
    const y = draw(5, 0);
    expect(mmd(tf.tensor2d(x), tf.tensor2d(y)).dataSync()[0]).toBeCloseTo(referenceMmd(x, y), 5);
    const grad = tf.grad((v: tf.Tensor) => mmdGeneratorTerm(v as tf.Tensor2D, tf.tensor2d(y)))(tf.tensor2d(x)).arraySync() as number[][];
    const h = 1e-5;
    for (let i = 0; i < x.length; i++) {
      for (let j = 0; j < x[0].length; j++) {
        const at = (delta: number) => referenceMmd(x.map((row, r) => row.map((v, c) => (r === i && c === j ? v + delta : v))), y);
        expect(grad[i][j]).toBeCloseTo((at(h) - at(-h)) / (2 * h), 4);
      }
    }
  });

  it('is larger for a shifted sample than for a second draw of the same distribution', () => {
    const rng = new Rng(12);
    const sample = (shift: number) => tf.tensor2d(Array.from({ length: 256 }, () => [rng.normal() + shift, rng.normal()]));
    const a = sample(0);
    expect(mmd(a, sample(1)).dataSync()[0]).toBeGreaterThan(10 * mmd(a, sample(0)).dataSync()[0]);
  });
});
