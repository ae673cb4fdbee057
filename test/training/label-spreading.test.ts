/**
 * Label spreading (training/stages/label-spreading.ts) against references written here: the iteration
 * F <- alpha S F + (1 - alpha) Y and its closed form (1 - alpha)(I - alpha S)^-1 Y with dense matrices
 * (ml-matrix), on graphs where the clamp to the given labels changes the answer; the kNN search against
 * brute force; the vote by hand.
 */
import { inverse, Matrix } from 'ml-matrix';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng';
import { selectBackend } from '../../training/backend';
import { buildSpreadGraph, firstNeighbours, knnVote, nearestNeighbours, normaliseClassMass, scoresFromSeeds, spreadLabels, spreadSeeds, type KnnGraph } from '../../training/stages/label-spreading';

const C = 10;

/** S = D^-1/2 W D^-1/2 with W = A + A^T, A_ij = exp(-d_ij / sigma2), sigma2 the mean kNN distance. */
function normalisedAdjacency(graph: KnnGraph, rows: number): Matrix {
  const mean = graph.distances.reduce((a, b) => a + b, 0) / graph.distances.length || 1;
  const W = Matrix.zeros(rows, rows);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < graph.k; j++) {
      const n = graph.indices[i * graph.k + j];
      const w = Math.exp(-graph.distances[i * graph.k + j] / mean);
      W.set(i, n, W.get(i, n) + w);
      W.set(n, i, W.get(n, i) + w);
    }
  }
  const d = Array.from({ length: rows }, (_, i) => W.getRow(i).reduce((a, b) => a + b, 0));
  return new Matrix(rows, rows).apply(function (this: Matrix, i: number, j: number) {
    this.set(i, j, d[i] > 0 && d[j] > 0 ? W.get(i, j) / Math.sqrt(d[i] * d[j]) : 0);
  });
}

function oneHot(labels: Int8Array): Matrix {
  const Y = Matrix.zeros(labels.length, C);
  labels.forEach((l, i) => l >= 0 && Y.set(i, l, 1));
  return Y;
}

function rowNormalised(F: Matrix): number[][] {
  return F.to2DArray().map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return s > 0 ? row.map((v) => v / s) : row;
  });
}

function iterate(S: Matrix, Y: Matrix, alpha: number, iterations: number): Matrix {
  let F = Y.clone();
  for (let t = 0; t < iterations; t++) F = S.mmul(F).mul(alpha).add(Y.clone().mul(1 - alpha));
  return F;
}

function closedForm(S: Matrix, Y: Matrix, alpha: number): Matrix {
  const I = Matrix.eye(S.rows);
  return inverse(I.sub(S.clone().mul(alpha))).mmul(Y).mul(1 - alpha);
}

const toRows = (f: Float32Array, rows: number) => Array.from({ length: rows }, (_, i) => Array.from(f.subarray(i * C, (i + 1) * C)));
const argmax = (row: number[]) => row.indexOf(Math.max(...row));

function expectClose(actual: number[][], expected: number[][], tol: number): void {
  let worst = 0;
  actual.forEach((row, i) => row.forEach((v, c) => (worst = Math.max(worst, Math.abs(v - expected[i][c])))));
  expect(worst).toBeLessThan(tol);
}

/**
 * Two clusters on a line (0..5 and 10..15, step 1), each point joined to its 2 nearest neighbours.
 * Given labels: point 0 -> 2, point 5 -> 2, point 3 -> 7 (one dissenting label inside the first cluster),
 * point 12 -> 4.
 */
function lineGraph(): { graph: KnnGraph; labels: Int8Array; rows: number } {
  const xs = [0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15];
  const k = 2;
  const indices = new Int32Array(xs.length * k);
  const distances = new Float32Array(xs.length * k);
  xs.forEach((x, i) => {
    const order = xs.map((y, j) => ({ j, d: (x - y) ** 2 })).filter((o) => o.j !== i).sort((a, b) => a.d - b.d || a.j - b.j);
    for (let m = 0; m < k; m++) {
      indices[i * k + m] = order[m].j;
      distances[i * k + m] = order[m].d;
    }
  });
  const labels = new Int8Array(xs.length).fill(-1);
  labels[0] = 2;
  labels[5] = 2;
  labels[3] = 7;
  labels[8] = 4;
  return { graph: { indices, distances, k }, labels, rows: xs.length };
}

describe('spreadLabels against dense references', () => {
  it('equals the iteration F <- alpha S F + (1 - alpha) Y step for step (default alpha 0.99, 40 steps)', () => {
    const { graph, labels, rows } = lineGraph();
    const S = normalisedAdjacency(graph, rows);
    expectClose(toRows(spreadLabels(graph, labels), rows), rowNormalised(iterate(S, oneHot(labels), 0.99, 40)), 1e-5);
    expectClose(toRows(spreadLabels(graph, labels, { iterations: 3, alpha: 0.7 }), rows), rowNormalised(iterate(S, oneHot(labels), 0.7, 3)), 1e-5);
  });

  it('converges to the closed form (1 - alpha)(I - alpha S)^-1 Y', () => {
    const { graph, labels, rows } = lineGraph();
    const S = normalisedAdjacency(graph, rows);
    expectClose(toRows(spreadLabels(graph, labels, { alpha: 0.8, iterations: 300 }), rows), rowNormalised(closedForm(S, oneHot(labels), 0.8)), 1e-4);
  });

  it('clamps to the given labels: a dissenting labelled point keeps its label, and only the clamp keeps it', () => {
    const { graph, labels, rows } = lineGraph();
    const S = normalisedAdjacency(graph, rows);
    const scores = toRows(spreadLabels(graph, labels, { alpha: 0.5, iterations: 100 }), rows);
    expect(argmax(scores[3])).toBe(7); // its own label, though both neighbours lean to 2
    expect(argmax(scores[1])).toBe(2);
    expect(scores.slice(6).map(argmax)).toEqual([4, 4, 4, 4, 4, 4]);
    // without the (1 - alpha) Y term the same graph forgets point 3's label
    const unclamped = iterateWithoutClamp(S, oneHot(labels), 0.5, 100);
    expect(argmax(unclamped[3])).not.toBe(7);
  });

  it('takes a graph already built (buildSpreadGraph) as well as a kNN graph, and spreads the label 0', () => {
    const { graph, rows } = lineGraph();
    const labels = new Int8Array(rows).fill(-1);
    labels[0] = 0;
    labels[9] = 9;
    const S = normalisedAdjacency(graph, rows);
    const expected = rowNormalised(iterate(S, oneHot(labels), 0.9, 20));
    expectClose(toRows(spreadLabels(buildSpreadGraph(graph), labels, { alpha: 0.9, iterations: 20 }), rows), expected, 1e-5);
    expectClose(toRows(spreadLabels(graph, labels, { alpha: 0.9, iterations: 20 }), rows), expected, 1e-5);
    expect(argmax(toRows(spreadLabels(graph, labels), rows)[2])).toBe(0);
  });

  it('with classMass, divides each class\'s scores by its total mass before normalising rows', () => {
    const { graph, labels, rows } = lineGraph();
    const S = normalisedAdjacency(graph, rows);
    const F = iterate(S, oneHot(labels), 0.99, 40).to2DArray();
    const mass = Array.from({ length: C }, (_, c) => F.reduce((sum, row) => sum + row[c], 0));
    const expected = rowNormalised(new Matrix(F.map((row) => row.map((v, c) => (mass[c] > 0 ? v / mass[c] : v)))));
    expectClose(toRows(spreadLabels(graph, labels, { classMass: true }), rows), expected, 1e-5);
  });

  it('buildSpreadGraph stores each of the rows * k kNN edges in both of its rows', () => {
    const { graph, rows } = lineGraph();
    const g = buildSpreadGraph(graph);
    expect(g.rows).toBe(rows);
    expect(g.columns.length).toBe(2 * rows * graph.k);
    expect(g.weights.length).toBe(2 * rows * graph.k);
    expect(g.rowStart[rows]).toBe(2 * rows * graph.k);
  });

  it('refuses labels whose row count is not the graph\'s', () => {
    const { graph } = lineGraph();
    expect(() => spreadLabels(graph, new Int8Array(11).fill(-1))).toThrow('labels has 11 rows, the graph 12');
  });

  it('all-zero kNN distances: every edge weighs the same (no 0/0)', () => {
    const graph: KnnGraph = { indices: Int32Array.from([1, 2, 0]), distances: new Float32Array(3), k: 1 };
    // a triangle of equal weights: S has 1/2 off the diagonal
    const S = new Matrix([[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]);
    const labels = Int8Array.from([3, -1, -1]);
    expectClose(toRows(spreadLabels(graph, labels, { alpha: 0.5, iterations: 5 }), 3), rowNormalised(iterate(S, oneHot(labels), 0.5, 5)), 1e-6);
  });

  it('a far outlier whose edge weight underflows to 0 gets all-zero scores, and its neighbour stays finite', () => {
    // 750 points: 0..747 in pairs at distance 0, 748 at distance 0 from 0, and 749 (no one's neighbour) at
    // distance 1 from 0: sigma^2 = 1/750, so its edge weighs exp(-750) = 0 and its degree is 0
    const rows = 750;
    const indices = Int32Array.from({ length: rows }, (_, i) => (i >= rows - 2 ? 0 : i ^ 1));
    const distances = Float32Array.from({ length: rows }, (_, i) => (i === rows - 1 ? 1 : 0));
    const labels = new Int8Array(rows).fill(-1);
    labels[1] = 6;
    const scores = toRows(spreadLabels({ indices, distances, k: 1 }, labels, { iterations: 3 }), rows);
    expect(scores[rows - 1]).toEqual(new Array(C).fill(0));
    expect(scores[0][6]).toBeCloseTo(1, 6);
  });

  it('leaves a point with no labelled path at all-zero scores', () => {
    const graph: KnnGraph = { indices: Int32Array.from([1, 0, 3, 2]), distances: Float32Array.from([1, 1, 1, 1]), k: 1 };
    const scores = toRows(spreadLabels(graph, Int8Array.from([5, -1, -1, -1])), 4);
    expect(argmax(scores[1])).toBe(5);
    expect(scores[1][5]).toBeCloseTo(1, 6);
    expect(scores[2]).toEqual(new Array(C).fill(0));
  });
});

describe('per-seed spreading for cross-validation', () => {
  it('spreadSeeds: column j is the spread of seed row j alone', () => {
    const { graph, rows } = lineGraph();
    const S = normalisedAdjacency(graph, rows);
    const seedRows = [0, 3, 8];
    const columns = spreadSeeds(buildSpreadGraph(graph), seedRows, { alpha: 0.8, iterations: 10 });
    expect(columns.length).toBe(rows * seedRows.length);
    seedRows.forEach((row, j) => {
      const e = Matrix.zeros(rows, 1);
      e.set(row, 0, 1);
      const expected = iterate(S, e, 0.8, 10).getColumn(0);
      for (let i = 0; i < rows; i++) expect(columns[i * seedRows.length + j]).toBeCloseTo(expected[i], 5);
    });
  });

  /** per class c: the sum of the used seeds' columns whose label is c (dense: columns x one-hot labels) */
  function classScores(columns: number[][], seedLabels: number[], use: boolean[]): number[][] {
    const Y = Matrix.zeros(seedLabels.length, C);
    seedLabels.forEach((l, j) => use[j] && Y.set(j, l, 1));
    return new Matrix(columns).mmul(Y).to2DArray();
  }

  const columns = [
    [0.5, 0.1, 0.2, 0.0],
    [0.2, 0.4, 0.0, 0.1],
    [0.0, 0.3, 0.6, 0.2],
    [0.1, 0.0, 0.1, 0.7],
    [0.0, 0.0, 0.0, 0.0],
  ];
  const seedLabels = [1, 1, 4, 0];
  const use = [true, false, true, true];

  it('scoresFromSeeds: the used seeds\' columns summed per class, rows normalised; a row with no mass stays zero', () => {
    const out = scoresFromSeeds(Float32Array.from(columns.flat()), 5, seedLabels, use, false);
    expectClose(toRows(out, 5), rowNormalised(new Matrix(classScores(columns, seedLabels, use))), 1e-6);
    expect(toRows(out, 5)[4]).toEqual(new Array(C).fill(0));
  });

  it('scoresFromSeeds with class mass: each class divided by its total over all rows first; onlyRows picks rows in order', () => {
    const raw = classScores(columns, seedLabels, use);
    const mass = Array.from({ length: C }, (_, c) => raw.reduce((sum, row) => sum + row[c], 0));
    const expected = rowNormalised(new Matrix(raw.map((row) => row.map((v, c) => (mass[c] > 0 ? v / mass[c] : 0)))));
    expectClose(toRows(scoresFromSeeds(Float32Array.from(columns.flat()), 5, seedLabels, use, true), 5), expected, 1e-6);
    expectClose(toRows(scoresFromSeeds(Float32Array.from(columns.flat()), 5, seedLabels, use, true, [3, 0]), 2), [expected[3], expected[0]], 1e-6);
  });

  it('normaliseClassMass divides each class column by its sum and leaves a class without mass at zero', () => {
    const f = Float32Array.from([1, 0, 3, 0, 2, 0]); // 3 rows of 2 classes; class 1 has no mass
    normaliseClassMass(f, 2);
    expect(Array.from(f)).toEqual([1 / 6, 0, 3 / 6, 0, 2 / 6, 0].map(Math.fround));
  });
});

describe('firstNeighbours', () => {
  const graph: KnnGraph = { indices: Int32Array.from([4, 5, 6, 7, 8, 9]), distances: Float32Array.from([1, 2, 3, 4, 5, 6]), k: 3 };

  it('keeps the first k neighbours of each row, nearest first', () => {
    const two = firstNeighbours(graph, 2);
    expect(two.k).toBe(2);
    expect(Array.from(two.indices)).toEqual([4, 5, 7, 8]);
    expect(Array.from(two.distances)).toEqual([1, 2, 4, 5]);
    const one = firstNeighbours(graph, 1);
    expect(Array.from(one.indices)).toEqual([4, 7]);
  });

  it('returns the graph itself for its own k and refuses a larger k', () => {
    expect(firstNeighbours(graph, 3)).toBe(graph);
    expect(() => firstNeighbours(graph, 4)).toThrow('graph has 3 neighbours per row, asked for 4');
  });
});

function iterateWithoutClamp(S: Matrix, Y: Matrix, alpha: number, iterations: number): number[][] {
  let F = Y.clone();
  for (let t = 0; t < iterations; t++) F = S.mmul(F).mul(alpha);
  return rowNormalised(F);
}

describe('nearestNeighbours against brute force', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it.each([true, false])('excludeSelf=%s: the k nearest by squared distance, nearest first', (excludeSelf) => {
    const rng = new Rng(11);
    const dim = 3;
    const n = 40;
    const points = Float32Array.from({ length: n * dim }, () => rng.normal());
    const queries = excludeSelf ? points : Float32Array.from({ length: 7 * dim }, () => rng.normal());
    const k = 5;
    const graph = nearestNeighbours(queries, points, dim, k, excludeSelf);
    expect(graph.k).toBe(k);
    const q = queries.length / dim;
    expect(graph.indices.length).toBe(q * k);
    for (let i = 0; i < q; i++) {
      const all = Array.from({ length: n }, (_, j) => {
        let d = 0;
        for (let c = 0; c < dim; c++) d += (queries[i * dim + c] - points[j * dim + c]) ** 2;
        return { j, d };
      })
        .filter((o) => !(excludeSelf && o.j === i))
        .sort((a, b) => a.d - b.d);
      expect(Array.from(graph.indices.subarray(i * k, (i + 1) * k))).toEqual(all.slice(0, k).map((o) => o.j));
      Array.from(graph.distances.subarray(i * k, (i + 1) * k)).forEach((d, m) => expect(d).toBeCloseTo(all[m].d, 4));
    }
  });

  it.each([true, false])('excludeSelf=%s: more than one 512-row chunk of queries', (excludeSelf) => {
    const rng = new Rng(12);
    const dim = 2;
    const points = Float32Array.from({ length: 530 * dim }, () => rng.normal());
    const queries = excludeSelf ? points : Float32Array.from({ length: 520 * dim }, () => rng.normal());
    const k = 3;
    const graph = nearestNeighbours(queries, points, dim, k, excludeSelf);
    const q = queries.length / dim;
    expect(graph.indices.length).toBe(q * k);
    for (const i of [0, 511, 512, 519]) {
      const order = Array.from({ length: 530 }, (_, j) => ({ j, d: (queries[i * 2] - points[j * 2]) ** 2 + (queries[i * 2 + 1] - points[j * 2 + 1]) ** 2 }))
        .filter((o) => !(excludeSelf && o.j === i))
        .sort((a, b) => a.d - b.d);
      expect(Array.from(graph.indices.subarray(i * k, (i + 1) * k)), `query ${i}`).toEqual(order.slice(0, k).map((o) => o.j));
      Array.from(graph.distances.subarray(i * k, (i + 1) * k)).forEach((d, m) => expect(d).toBeCloseTo(order[m].d, 4));
    }
  });

  it('with duplicates of a point, still returns k neighbours and not the point itself', () => {
    const points = Float32Array.from([0, 0, 0, 0, 1, 1, 2, 2]); // rows 0 and 1 coincide
    const graph = nearestNeighbours(points, points, 2, 2, true);
    for (let i = 0; i < 4; i++) expect(Array.from(graph.indices.subarray(i * 2, i * 2 + 2))).not.toContain(i);
    expect(Array.from(graph.indices.subarray(0, 2))).toEqual([1, 2]);
  });

  it('with more duplicates than candidates (self may be outranked), still k other points at distance 0', () => {
    const points = Float32Array.from([5, 5, 5, 5, 5, 5, 5, 5, 9, 9]); // rows 0..3 coincide; k + 1 = 3 candidates
    const graph = nearestNeighbours(points, points, 2, 2, true);
    for (let i = 0; i < 4; i++) {
      const row = Array.from(graph.indices.subarray(i * 2, i * 2 + 2));
      expect(row, `row ${i}`).not.toContain(i);
      expect(new Set(row).size).toBe(2);
      row.forEach((n) => expect(n).toBeLessThan(4));
      expect(Array.from(graph.distances.subarray(i * 2, i * 2 + 2))).toEqual([0, 0]);
    }
  });
});

describe('knnVote', () => {
  it('takes each query\'s neighbours\' labels, nearer neighbours weighing more (1, 1/2, 1/3, ...)', () => {
    const labels = [3, 5, 5, 7, 7, 7];
    // query 0: neighbours 1, 2, 0 -> 5 (two votes); query 1: 0, 1, 2 -> 3 (1 > 1/2 + 1/3); query 2: 3, 4, 1 -> 7
    const graph: KnnGraph = { indices: Int32Array.from([1, 2, 0, 0, 1, 2, 3, 4, 1]), distances: new Float32Array(9), k: 3 };
    expect(Array.from(knnVote(graph, labels))).toEqual([5, 3, 7]);
  });

  it('counts only each query\'s own k neighbours (not the next row\'s)', () => {
    // query 0: labels 0, 1, 1 -> 1 against 1/2 + 1/3: class 0; the next row's first neighbour (label 1, 1/4) must not count
    const graph: KnnGraph = { indices: Int32Array.from([0, 1, 2, 1, 1, 1]), distances: new Float32Array(6), k: 3 };
    expect(Array.from(knnVote(graph, [0, 1, 1]))).toEqual([0, 1]);
  });

  it('breaks a tie between classes towards the lower class', () => {
    // class 2 at rank 1 (1) ties class 5 at ranks 2, 3 and 6 (1/2 + 1/3 + 1/6)
    const labels = [2, 5, 5, 8, 9, 5];
    const graph: KnnGraph = { indices: Int32Array.from([0, 1, 2, 3, 4, 5]), distances: new Float32Array(6), k: 6 };
    expect(Array.from(knnVote(graph, labels))).toEqual([2]);
    const swapped = [5, 2, 2, 8, 9, 2];
    expect(Array.from(knnVote(graph, swapped))).toEqual([2]);
  });

  it('with one neighbour, returns that neighbour\'s label', () => {
    const graph: KnnGraph = { indices: Int32Array.from([1, 0]), distances: new Float32Array(2), k: 1 };
    expect(Array.from(knnVote(graph, [9, 0]))).toEqual([0, 9]);
  });
});
