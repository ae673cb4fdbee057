import { Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng';
import { fitGaussian, frechetDistance } from '../../training/metrics/frechet';
import { knnVote, nearestNeighbours, spreadLabels } from '../../training/stages/label-spreading';
import { selectBackend } from '../../training/backend';
import { summarise, drawLabelled } from '../../training/stages/classifier-study';

describe('Frechet distance', () => {
  it('is zero for identical Gaussians and matches the closed form for diagonal ones', () => {
    const a = { mean: Float64Array.from([0, 0]), cov: Matrix.diag([1, 4]) };
    expect(frechetDistance(a, a)).toBeCloseTo(0, 10);
    const b = { mean: Float64Array.from([3, 0]), cov: Matrix.diag([4, 1]) };
    // |mu|^2 + sum (sqrt(s1) - sqrt(s2))^2 for commuting covariances = 9 + (1-2)^2 + (2-1)^2
    expect(frechetDistance(a, b)).toBeCloseTo(11, 8);
  });

  it('fits mean and covariance from samples', () => {
    const rng = new Rng(3);
    const rows = 20000;
    const x = new Float32Array(rows * 2);
    for (let r = 0; r < rows; r++) {
      const z = rng.normal();
      x[2 * r] = 1 + z;
      x[2 * r + 1] = 2 * z + 0.5 * rng.normal();
    }
    const g = fitGaussian(x, 2);
    expect(g.mean[0]).toBeCloseTo(1, 1);
    expect(g.cov.get(0, 1)).toBeCloseTo(2, 1);
    expect(g.cov.get(1, 1)).toBeCloseTo(4.25, 1);
  });
});

describe('label spreading on a kNN graph', () => {
  it('labels two well-separated clusters from one seed label each', async () => {
    await selectBackend('cpu');
    const rng = new Rng(5);
    const perCluster = 200;
    const dim = 4;
    const points = new Float32Array(2 * perCluster * dim);
    const truth = new Uint8Array(2 * perCluster);
    for (let i = 0; i < 2 * perCluster; i++) {
      truth[i] = i < perCluster ? 3 : 7;
      for (let j = 0; j < dim; j++) points[i * dim + j] = (truth[i] === 3 ? 0 : 6) + rng.normal();
    }
    const seeds = new Int8Array(2 * perCluster).fill(-1);
    seeds[0] = 3;
    seeds[perCluster] = 7;
    const graph = nearestNeighbours(points, points, dim, 8, true);
    for (let i = 0; i < 2 * perCluster; i++) expect(Array.from(graph.indices.subarray(i * 8, (i + 1) * 8))).not.toContain(i);
    const scores = spreadLabels(graph, seeds);
    let correct = 0;
    for (let i = 0; i < truth.length; i++) {
      const predicted = scores[i * 10 + 3] > scores[i * 10 + 7] ? 3 : 7;
      if (predicted === truth[i]) correct++;
    }
    expect(correct / truth.length).toBeGreaterThan(0.98);
    // a new point near cluster 7 is voted 7 by its neighbours
    const query = Float32Array.from([6, 6, 6, 6]);
    expect(knnVote(nearestNeighbours(query, points, dim, 5, false), truth)[0]).toBe(7);
  });
});

describe('study helpers', () => {
  it('draws a stratified labelled set, repeatably per seed', () => {
    const labels = Uint8Array.from({ length: 1000 }, (_, i) => i % 10);
    const split = { images: new Float32Array(0), labels, count: 1000 };
    const a = drawLabelled(split, 5, new Rng(9));
    expect(a).toHaveLength(50);
    expect(new Set(a).size).toBe(50);
    const perClass = new Array(10).fill(0);
    a.forEach((r) => perClass[labels[r]]++);
    expect(perClass).toEqual(new Array(10).fill(5));
    expect(drawLabelled(split, 5, new Rng(9))).toEqual(a);
    expect(drawLabelled(split, 5, new Rng(10))).not.toEqual(a);
  });

  it('summarises runs with the sample standard deviation', () => {
    expect(summarise([0.7, 0.8, 0.9])).toEqual({ mean: 0.8, std: 0.1, runs: [0.7, 0.8, 0.9] });
  });
});
