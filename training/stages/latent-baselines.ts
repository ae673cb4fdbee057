/**
 * Generative baselines in the autoencoder's latent space that need no neural network: the models a latent
 * GAN has to beat on the same samples and metrics. Each is a mixture of full-covariance Gaussians fitted to
 * the encoder's training codes:
 *   - global Gaussian: one component for all codes;
 *   - class Gaussian: one component per digit (conditional);
 *   - class GMM: per digit, k-means (ml-kmeans, k-means++) into `components` clusters and one Gaussian per
 *     cluster, weighted by cluster size (conditional; a 10-component mixture per digit).
 * Unconditional versions of the class models draw the digit from the training class frequencies.
 * Temperature T scales every covariance by T^2 (samples x_mean + T * L z), as truncation does for a GAN.
 */
import { kmeans } from 'ml-kmeans';
import { LATENT_DIM, NUM_CLASSES } from '../../core/contract';
import type { Rng } from '../../core/rng';

export interface GaussianComponent {
  weight: number;
  mean: Float64Array;
  /** lower-triangular Cholesky factor of the covariance, [dim][dim] */
  chol: Float64Array[];
}

/** A mixture per digit (index 0..9), or one mixture for every digit at index 0 when unconditional. */
export interface LatentMixture {
  name: string;
  perDigit: GaussianComponent[][];
  /** share of each digit in the training codes (for unconditional sampling) */
  classFrequencies: number[];
}

/** Rows of `codes` ([rows, dim]) whose index is in `rows`, as one Float64 matrix. */
export function gatherRows(codes: Float32Array, rows: ArrayLike<number>, dim: number): Float64Array[] {
  return Array.from({ length: rows.length }, (_, i) => Float64Array.from(codes.subarray(rows[i] * dim, (rows[i] + 1) * dim)));
}

/** Full-covariance Gaussian of `points` (each [dim]); a small ridge keeps the Cholesky factor defined. */
export function fitComponent(points: Float64Array[], weight: number, dim = LATENT_DIM): GaussianComponent {
  if (points.length < 2) throw new RangeError(`a Gaussian component needs at least 2 points, got ${points.length}`);
  const mean = new Float64Array(dim);
  for (const p of points) for (let j = 0; j < dim; j++) mean[j] += p[j] / points.length;
  const cov = Array.from({ length: dim }, () => new Float64Array(dim));
  for (const p of points) {
    for (let i = 0; i < dim; i++) for (let j = 0; j <= i; j++) cov[i][j] += ((p[i] - mean[i]) * (p[j] - mean[j])) / (points.length - 1);
  }
  for (let i = 0; i < dim; i++) cov[i][i] += 1e-6;
  return { weight, mean, chol: cholesky(cov) };
}

/** Cholesky factor of a symmetric positive-definite matrix given by its lower triangle (16 x 16 here). */
export function cholesky(lower: Float64Array[]): Float64Array[] {
  const n = lower.length;
  const L = Array.from({ length: n }, () => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = lower[i][j];
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j][j];
    }
  }
  return L;
}

/** Row numbers of each digit 0..9 in `labels`. */
export function rowsByDigit(labels: Uint8Array): number[][] {
  const byDigit: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  labels.forEach((d, i) => byDigit[d].push(i));
  return byDigit;
}

function frequencies(labels: Uint8Array): number[] {
  return rowsByDigit(labels).map((rows) => rows.length / labels.length);
}

/** One Gaussian over all codes ([rows, LATENT_DIM]). */
export function fitGlobalGaussian(codes: Float32Array, labels: Uint8Array): LatentMixture {
  const all = gatherRows(codes, Array.from(labels, (_, i) => i), LATENT_DIM);
  return { name: 'global_gaussian', perDigit: [[fitComponent(all, 1)]], classFrequencies: frequencies(labels) };
}

/** One Gaussian per digit. */
export function fitClassGaussians(codes: Float32Array, labels: Uint8Array): LatentMixture {
  const perDigit = rowsByDigit(labels).map((rows) => [fitComponent(gatherRows(codes, rows, LATENT_DIM), 1)]);
  return { name: 'class_gaussian', perDigit, classFrequencies: frequencies(labels) };
}

/**
 * Per digit, k-means (k-means++ seeded by `seed`) of its codes into up to `components` clusters: the
 * clusters' row numbers in `codes`, [digit][cluster][rows] (clusters of fewer than 2 codes dropped).
 */
export function classClusters(codes: Float32Array, labels: Uint8Array, components: number, seed: number): number[][][] {
  return rowsByDigit(labels).map((rows) => {
    const points = gatherRows(codes, rows, LATENT_DIM);
    const k = Math.min(components, Math.floor(points.length / (LATENT_DIM + 1)));
    const { clusters } = kmeans(points.map((p) => Array.from(p)), Math.max(1, k), { seed, initialization: 'kmeans++', maxIterations: 100 });
    const members: number[][] = Array.from({ length: Math.max(1, k) }, () => []);
    clusters.forEach((c, i) => members[c].push(rows[i]));
    return members.filter((m) => m.length >= 2);
  });
}

/** A Gaussian per cluster of classClusters, weighted by its share of its digit's codes: [digit][component]. */
export function fitClusterGaussians(codes: Float32Array, labels: Uint8Array, clusters: number[][][]): GaussianComponent[][] {
  const byDigit = rowsByDigit(labels);
  return clusters.map((digit, d) => digit.map((rows) => fitComponent(gatherRows(codes, rows, LATENT_DIM), rows.length / byDigit[d].length)));
}

/** Per digit, k-means into `components` clusters and a Gaussian per cluster. `seed` fixes k-means++. */
export function fitClassGmm(codes: Float32Array, labels: Uint8Array, components: number, seed: number): LatentMixture {
  const perDigit = fitClusterGaussians(codes, labels, classClusters(codes, labels, components, seed));
  return { name: 'class_gmm', perDigit, classFrequencies: frequencies(labels) };
}

function pickIndex(weights: ArrayLike<number>, u: number): number {
  let acc = 0;
  for (let i = 0; i < weights.length; i++) {
    acc += weights[i];
    if (u < acc) return i;
  }
  return weights.length - 1;
}

/** Codes [digits.length, LATENT_DIM] for the requested digits, at temperature `temperature`. */
export function sampleMixture(mixture: LatentMixture, digits: ArrayLike<number>, temperature: number, rng: Rng): Float32Array {
  const out = new Float32Array(digits.length * LATENT_DIM);
  const z = new Float64Array(LATENT_DIM);
  for (let r = 0; r < digits.length; r++) {
    const components = mixture.perDigit.length === 1 ? mixture.perDigit[0] : mixture.perDigit[digits[r]];
    const { mean, chol } = components[pickIndex(components.map((c) => c.weight), rng.uniform())];
    for (let j = 0; j < LATENT_DIM; j++) z[j] = rng.normal();
    for (let i = 0; i < LATENT_DIM; i++) {
      let v = mean[i];
      for (let j = 0; j <= i; j++) v += temperature * chol[i][j] * z[j];
      out[r * LATENT_DIM + i] = v;
    }
  }
  return out;
}

/** `n` digits drawn from the training class frequencies (for unconditional samples of a class model). */
export function drawDigits(mixture: LatentMixture, n: number, rng: Rng): Uint8Array {
  return Uint8Array.from({ length: n }, () => pickIndex(mixture.classFrequencies, rng.uniform()));
}
