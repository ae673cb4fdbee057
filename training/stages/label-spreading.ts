/**
 * Semi-supervised labelling on a latent kNN graph (label spreading, Zhou et al. 2004):
 *   F <- alpha * S F + (1 - alpha) * Y,  S = D^-1/2 W D^-1/2,
 * W a symmetrised k-nearest-neighbour graph with Gaussian weights. Neighbour search runs in tfjs
 * (chunked distance matrix + topk); the sparse iteration is plain typed-array code.
 */
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../../core/contract';

export interface KnnGraph {
  /** [rows, k] neighbour indices and squared distances */
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
      let out = 0;
      for (let j = 0; j < kk && out < k; j++) {
        const index = idx[r * kk + j];
        if (excludeSelf && index === start + r) continue;
        indices[(start + r) * k + out] = index;
        distances[(start + r) * k + out] = vals[r * kk + j];
        out++;
      }
      // if self was not among the results (duplicates), the last slot takes the extra neighbour
      if (out < k) {
        indices[(start + r) * k + out] = idx[r * kk + kk - 1];
        distances[(start + r) * k + out] = vals[r * kk + kk - 1];
      }
    }
  }
  pointsT.dispose();
  pointNorms.dispose();
  return { indices, distances, k };
}

export interface SpreadOptions {
  alpha?: number;
  iterations?: number;
}

/**
 * labels: per row, a class 0..9 or -1 for unlabelled. Returns per-row class scores [rows, 10]
 * (row-normalised) after spreading over the graph.
 */
export function spreadLabels(graph: KnnGraph, labels: Int8Array, { alpha = 0.99, iterations = 40 }: SpreadOptions = {}): Float32Array {
  const rows = labels.length;
  const { indices, distances, k } = graph;
  // Gaussian edge weights with the bandwidth set to the mean kNN distance
  let sigma2 = 0;
  for (let i = 0; i < distances.length; i++) sigma2 += distances[i];
  sigma2 = sigma2 / distances.length || 1;
  // symmetrise: W = A + A^T as an edge list, then degree-normalise
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
  for (let x = 0; x < e; x++) {
    edgeWeight[x] /= Math.sqrt(degree[edgeFrom[x]] * degree[edgeTo[x]]) || 1;
  }
  const C = NUM_CLASSES;
  const seed = new Float32Array(rows * C);
  for (let i = 0; i < rows; i++) if (labels[i] >= 0) seed[i * C + labels[i]] = 1;
  let f = seed.slice();
  let next = new Float32Array(rows * C);
  for (let it = 0; it < iterations; it++) {
    next.fill(0);
    for (let x = 0; x < e; x++) {
      const from = edgeFrom[x] * C;
      const to = edgeTo[x] * C;
      const w = edgeWeight[x] * alpha;
      for (let c = 0; c < C; c++) next[from + c] += w * f[to + c];
    }
    for (let i = 0; i < next.length; i++) next[i] += (1 - alpha) * seed[i];
    [f, next] = [next, f];
  }
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += f[i * C + c];
    if (s > 0) for (let c = 0; c < C; c++) f[i * C + c] /= s;
  }
  return f;
}

/** Majority vote of each query's k nearest labelled points. */
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
