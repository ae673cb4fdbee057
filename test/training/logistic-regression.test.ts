/**
 * The converged logistic regression against an independent solver: plain full-batch gradient descent on
 * the same penalised loss, written here from the formula, run until its gradient vanishes.
 */
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng';
import { fitLogisticRegression, predictLogistic } from '../../training/stages/logistic-regression';

/** Gradient descent on mean cross-entropy + l2/2 |theta|^2, theta [(dim+1), classes] with the bias as the last row. */
function gradientDescentReference(x: number[][], y: number[], classes: number, l2: number, steps: number, rate: number): number[][] {
  const dim = x[0].length;
  const theta = Array.from({ length: dim + 1 }, () => new Array(classes).fill(0));
  for (let s = 0; s < steps; s++) {
    const grad = Array.from({ length: dim + 1 }, () => new Array(classes).fill(0));
    x.forEach((row, i) => {
      const features = [...row, 1];
      const logits = Array.from({ length: classes }, (_, c) => features.reduce((z, f, j) => z + f * theta[j][c], 0));
      const max = Math.max(...logits);
      const e = logits.map((z) => Math.exp(z - max));
      const total = e.reduce((a, b) => a + b, 0);
      e.forEach((v, c) => {
        const residual = v / total - (y[i] === c ? 1 : 0);
        features.forEach((f, j) => (grad[j][c] += (f * residual) / x.length));
      });
    });
    theta.forEach((row, j) => row.forEach((v, c) => (theta[j][c] = v - rate * (grad[j][c] + l2 * v))));
  }
  return theta;
}

function problem(rows: number, dim: number, classes: number, seed: number) {
  const rng = new Rng(seed);
  const centres = Array.from({ length: classes }, () => Array.from({ length: dim }, () => 2 * rng.normal()));
  const y = Array.from({ length: rows }, (_, i) => i % classes);
  const x = y.map((c) => centres[c].map((m) => m + rng.normal()));
  return { x, y };
}

describe('fitLogisticRegression (Newton)', () => {
  it('matches an independent gradient-descent solution of the same penalised loss', () => {
    const { x, y } = problem(40, 3, 4, 11);
    const l2 = 0.05;
    const model = fitLogisticRegression(Float32Array.from(x.flat()), Uint8Array.from(y), 3, { l2, classes: 4 });
    expect(model.converged).toBe(true);
    expect(model.iterations).toBeLessThan(30);
    const reference = gradientDescentReference(x, y, 4, l2, 20000, 0.5);
    for (let j = 0; j <= 3; j++) for (let c = 0; c < 4; c++) expect(model.theta[j * 4 + c]).toBeCloseTo(reference[j][c], 4);
  });

  it('converges on separable data with a small penalty, predicting its training points', () => {
    const { x, y } = problem(50, 16, 10, 5);
    const model = fitLogisticRegression(Float32Array.from(x.flat()), Uint8Array.from(y), 16, { l2: 1e-3, classes: 10 });
    expect(model.converged).toBe(true);
    expect(model.gradientNorm).toBeLessThan(1e-7);
    const probs = predictLogistic(model, Float32Array.from(x.flat()));
    for (let i = 0; i < y.length; i++) {
      const row = Array.from(probs.subarray(i * 10, i * 10 + 10));
      expect(row.indexOf(Math.max(...row))).toBe(y[i]);
    }
  });
});
