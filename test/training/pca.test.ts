/**
 * PCA against constructed data whose answer is known by hand: points on a line have that line as their
 * first direction; images spanned by two patterns are rebuilt exactly from two components and not from one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_PIXELS } from '../../core/contract';
import { Rng } from '../../core/rng';
import { selectBackend } from '../../training/backend';
import { principalComponents, project } from '../../training/metrics/pca';
import { pcaReconstruction } from '../../training/stages/autoencoder';

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('principal components', () => {
  it('finds the direction of points spread along a line, and projects onto it', () => {
    const rng = new Rng(3);
    const direction = [3 / 13, 4 / 13, 12 / 13]; // unit length
    const t = Array.from({ length: 400 }, () => rng.normal() * 5);
    const x = Float32Array.from(t.flatMap((s) => direction.map((d, j) => 1 + j + s * d + rng.normal() * 0.01)));
    const { mean, basis } = principalComponents(x, 3, 2);
    const first = [basis[0], basis[2], basis[4]];
    const dot = first.reduce((a, v, j) => a + v * direction[j], 0);
    expect(Math.abs(dot)).toBeCloseTo(1, 4);
    const tMean = t.reduce((a, b) => a + b) / t.length;
    [1, 2, 3].forEach((m, j) => expect(mean[j]).toBeCloseTo(m + tMean * direction[j], 2));
    const coords = project(x, 3, { mean, basis }, 2);
    // the first coordinate is +-(t - mean t)
    for (let i = 0; i < 5; i++) expect(Math.abs(coords[i * 2])).toBeCloseTo(Math.abs(t[i] - tMean), 1);
  });

  it('rebuilds images spanned by two patterns from two components exactly, and not from one', () => {
    const rng = new Rng(4);
    const a = Float32Array.from({ length: IMAGE_PIXELS }, (_, i) => (i % 28 < 14 ? 0.4 : 0));
    const b = Float32Array.from({ length: IMAGE_PIXELS }, (_, i) => (i < 392 ? 0.5 : 0.1));
    const make = (n: number) => {
      const out = new Float32Array(n * IMAGE_PIXELS);
      for (let r = 0; r < n; r++) {
        const [u, v] = [rng.uniform(), rng.uniform()];
        for (let i = 0; i < IMAGE_PIXELS; i++) out[r * IMAGE_PIXELS + i] = u * a[i] + v * b[i];
      }
      return out;
    };
    const train = make(300);
    const test = make(50);
    expect(pcaReconstruction(train, test, 2).mse).toBeLessThan(1e-9);
    expect(pcaReconstruction(train, test, 1).mse).toBeGreaterThan(1e-4);
  });
});
