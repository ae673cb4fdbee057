/**
 * Semi-supervised labelling on a latent kNN graph (label spreading, Zhou et al. 2004):
 *   F <- alpha * S F + (1 - alpha) * Y,  S = D^-1/2 W D^-1/2,
 * W a symmetrised k-nearest-neighbour graph with Gaussian weights. Neighbour search runs in tfjs
 * (chunked distance matrix + topk); the sparse iteration is plain typed-array code.
 *
 * The graph depends only on the codes, not on which images are labelled, so one graph over all training
 * codes serves every draw of labels and every cross-validation fold (`buildSpreadGraph` once, then
 * `spreadLabels` / `spreadSeeds` per draw).
 */
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../../core/contract';

export interface KnnGraph {
  /** [rows, k] neighbour indices and squared distances, nearest first */
  indices: Int32Array;
  distances: Float32Array;
  k: number;
}

/**
 * For each row of `queries` ([q, dim]), its k nearest rows of `points` ([p, dim]); `excludeSelf`
 * drops the zero-distance match when queries and points are the same set.
 */
export function nearestNeighbours(queries: Float32Array, points: Float32Array, dim: number, k: number, excludeSelf: boolean): KnnGraph {
  const q = queries.length / dim;
  const kk = k + (excludeSelf ? 1 : 0);
  const indices = new Int32Array(q * k);
  const distances = new Float32Array(q * k);
  const pointsT = tf.tensor2d(points, [points.length / dim, dim]);
  const pointNorms = tf.tidy(() => pointsT.square().sum(1).reshape([1, -1]));
  const chunk = 512;
  for (let start = 0; start < q; start += chunk) {
    const end = Math.min(q, start + chunk);
    const [vals, idx] = tf.tidy(() => {
      const a = tf.tensor2d(queries.subarray(start * dim, end * dim), [end - start, dim]);
      const d = a.square().sum(1, true).add(pointNorms).sub(a.matMul(pointsT, false, true).mul(2)).relu();
      const { values, indices: ix } = tf.topk(d.neg(), kk);
      return [values.neg().dataSync() as Float32Array, ix.dataSync() as Int32Array];
    });
    for (let r = 0; r < end - start; r++) {
      // topk's indices are distinct, so self is skipped at most once and the k + 1 candidates always fill the
      // k slots, whether self is among them or not (a duplicate of it can outrank it)
      let out = 0;
      for (let j = 0; j < kk && out < k; j++) {
        const index = idx[r * kk + j];
        if (excludeSelf && index === start + r) continue;
        indices[(start + r) * k + out] = index;
        distances[(start + r) * k + out] = vals[r * kk + j];
        out++;
      }
    }
  }
  pointsT.dispose();
  pointNorms.dispose();
  return { indices, distances, k };
}

/** The first `k` neighbours of each row of a graph built with more. */
export function firstNeighbours(graph: KnnGraph, k: number): KnnGraph {
  if (k > graph.k) throw new Error(`graph has ${graph.k} neighbours per row, asked for ${k}`);
  if (k === graph.k) return graph;
  const rows = graph.indices.length / graph.k;
  const indices = new Int32Array(rows * k);
  const distances = new Float32Array(rows * k);
  for (let i = 0; i < rows; i++) {
    indices.set(graph.indices.subarray(i * graph.k, i * graph.k + k), i * k);
    distances.set(graph.distances.subarray(i * graph.k, i * graph.k + k), i * k);
  }
  return { indices, distances, k };
}

/**
 * S = D^-1/2 W D^-1/2 in compressed rows: row i's entries are columns[rowStart[i] .. rowStart[i + 1]) with
 * their weights (each undirected kNN edge appears in both rows; an edge found from both ends counts twice).
 */
export interface SpreadGraph {
  rows: number;
  rowStart: Int32Array;
  columns: Int32Array;
  weights: Float32Array;
}

/**
 * Gaussian edge weights exp(-d^2 / sigma^2) with sigma^2 the mean squared kNN distance, symmetrised
 * (W = A + A^T), degree-normalised.
 */
export function buildSpreadGraph(graph: KnnGraph): SpreadGraph {
  const { indices, distances, k } = graph;
  const rows = indices.length / k;
  let sigma2 = 0;
  for (let i = 0; i < distances.length; i++) sigma2 += distances[i];
  sigma2 = sigma2 / distances.length || 1;
  const edgeFrom = new Int32Array(rows * k * 2);
  const edgeTo = new Int32Array(rows * k * 2);
  const edgeWeight = new Float32Array(rows * k * 2);
  const degree = new Float64Array(rows);
  let e = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < k; j++) {
      const n = indices[i * k + j];
      const w = Math.exp(-distances[i * k + j] / sigma2);
      edgeFrom[e] = i; edgeTo[e] = n; edgeWeight[e] = w; e++;
      edgeFrom[e] = n; edgeTo[e] = i; edgeWeight[e] = w; e++;
      degree[i] += w;
      degree[n] += w;
    }
  }
  const rowStart = new Int32Array(rows + 1);
  for (let x = 0; x < e; x++) rowStart[edgeFrom[x] + 1]++;
  for (let i = 0; i < rows; i++) rowStart[i + 1] += rowStart[i];
  const fill = rowStart.slice(0, rows);
  const columns = new Int32Array(e);
  const weights = new Float32Array(e);
  for (let x = 0; x < e; x++) {
    const at = fill[edgeFrom[x]]++;
    columns[at] = edgeTo[x];
    weights[at] = edgeWeight[x] / (Math.sqrt(degree[edgeFrom[x]] * degree[edgeTo[x]]) || 1);
  }
  return { rows, rowStart, columns, weights };
}

export interface SpreadOptions {
  alpha?: number;
  iterations?: number;
}

export const SPREAD_DEFAULTS = { alpha: 0.99, iterations: 40 } as const;

/**
 * Spreads `columns` seed signals at once: seed is [rows, columns]; returns F [rows, columns] after
 * `iterations` steps of F <- alpha S F + (1 - alpha) seed. Linear in the seed, so spreading each labelled
 * point as its own column lets cross-validation folds add up columns instead of spreading again.
 */
export function propagate(graph: SpreadGraph, seed: Float32Array, columns: number, { alpha = SPREAD_DEFAULTS.alpha, iterations = SPREAD_DEFAULTS.iterations }: SpreadOptions = {}): Float32Array {
  const { rows, rowStart, columns: neighbour, weights } = graph;
  const C = columns;
  let f = seed.slice();
  let next = new Float32Array(seed.length);
  const acc = new Float64Array(C);
  for (let it = 0; it < iterations; it++) {
    for (let i = 0; i < rows; i++) {
      acc.fill(0);
      for (let x = rowStart[i]; x < rowStart[i + 1]; x++) {
        const from = neighbour[x] * C;
        const w = weights[x];
        for (let c = 0; c < C; c++) acc[c] += w * f[from + c];
      }
      for (let c = 0; c < C; c++) next[i * C + c] = alpha * acc[c] + (1 - alpha) * seed[i * C + c];
    }
    [f, next] = [next, f];
  }
  return f;
}

/**
 * labels: per row, a class 0..9 or -1 for unlabelled. Returns per-row class scores [rows, 10]
 * (row-normalised) after spreading over the graph. `classMass` divides each class's scores by that
 * class's total mass first (class mass normalisation, Zhu et al. 2003), so a class whose few seeds sit in
 * a dense region does not swallow its neighbours.
 */
export function spreadLabels(graph: KnnGraph | SpreadGraph, labels: Int8Array, options: SpreadOptions & { classMass?: boolean } = {}): Float32Array {
  const g = 'rowStart' in graph ? graph : buildSpreadGraph(graph);
  const rows = labels.length;
  if (rows !== g.rows) throw new Error(`labels has ${rows} rows, the graph ${g.rows}`);
  const C = NUM_CLASSES;
  const seed = new Float32Array(rows * C);
  for (let i = 0; i < rows; i++) if (labels[i] >= 0) seed[i * C + labels[i]] = 1;
  const f = propagate(g, seed, C, options);
  if (options.classMass) normaliseClassMass(f, C);
  normaliseRows(f, C);
  return f;
}

export function normaliseClassMass(f: Float32Array, classes: number): void {
  const mass = new Float64Array(classes);
  for (let i = 0; i < f.length; i++) mass[i % classes] += f[i];
  for (let i = 0; i < f.length; i++) if (mass[i % classes] > 0) f[i] /= mass[i % classes];
}

export function normaliseRows(f: Float32Array, classes: number): void {
  for (let i = 0; i < f.length; i += classes) {
    let s = 0;
    for (let c = 0; c < classes; c++) s += f[i + c];
    if (s > 0) for (let c = 0; c < classes; c++) f[i + c] /= s;
  }
}

/**
 * Each labelled row spread on its own: seedRows [m] -> F [rows, m]. Column j is what seed j alone
 * contributes everywhere; the spread of any subset of seeds is the sum of its columns per class.
 */
export function spreadSeeds(graph: SpreadGraph, seedRows: number[], options: SpreadOptions = {}): Float32Array {
  const m = seedRows.length;
  const seed = new Float32Array(graph.rows * m);
  seedRows.forEach((row, j) => (seed[row * m + j] = 1));
  return propagate(graph, seed, m, options);
}

/**
 * From per-seed columns (spreadSeeds), class scores [rows, 10] using only the seeds with use[j] true
 * (a cross-validation fold's training labels), class-mass normalised if asked, rows normalised.
 */
export function scoresFromSeeds(columns: Float32Array, rows: number, seedLabels: ArrayLike<number>, use: ArrayLike<boolean>, classMass: boolean, onlyRows?: number[]): Float32Array {
  const m = seedLabels.length;
  const C = NUM_CLASSES;
  const mass = new Float64Array(C).fill(1);
  if (classMass) {
    mass.fill(0);
    for (let i = 0; i < rows; i++) for (let j = 0; j < m; j++) if (use[j]) mass[seedLabels[j]] += columns[i * m + j];
  }
  const wanted = onlyRows ?? [...Array(rows).keys()];
  const out = new Float32Array(wanted.length * C);
  wanted.forEach((row, r) => {
    for (let j = 0; j < m; j++) if (use[j]) out[r * C + seedLabels[j]] += columns[row * m + j];
    for (let c = 0; c < C; c++) if (mass[c] > 0) out[r * C + c] /= mass[c];
  });
  normaliseRows(out, C);
  return out;
}

/**
 * Vote of each query's k nearest points by their labels, each neighbour weighted 1 / rank
 * (rank-weighted: the nearest counts 1, the second 1/2, ...).
 */
export function knnVote(graph: KnnGraph, pointLabels: ArrayLike<number>): Uint8Array {
  const q = graph.indices.length / graph.k;
  const out = new Uint8Array(q);
  const votes = new Float32Array(NUM_CLASSES);
  for (let i = 0; i < q; i++) {
    votes.fill(0);
    for (let j = 0; j < graph.k; j++) votes[pointLabels[graph.indices[i * graph.k + j]]] += 1 / (1 + j);
    let best = 0;
    for (let c = 1; c < NUM_CLASSES; c++) if (votes[c] > votes[best]) best = c;
    out[i] = best;
  }
  return out;
}
