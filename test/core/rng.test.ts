import { describe, expect, it } from 'vitest';
import { noiseForSeed, Rng } from '../../core/rng';

describe('seeded RNG', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it('keeps the noise of a seed stable across releases (served images depend on it)', () => {
    // Pinned values: changing the generator changes every image the API has ever served for a seed.
    expect(Array.from(noiseForSeed(0, 1, 4)).map((v) => Number(v.toFixed(6)))).toMatchSnapshot();
    expect(Array.from(noiseForSeed(4294967295, 1, 4)).map((v) => Number(v.toFixed(6)))).toMatchSnapshot();
  });

  it('gives row i of a seed independently of how many rows are asked for', () => {
    const one = noiseForSeed(7, 1, 32);
    const many = noiseForSeed(7, 16, 32);
    expect(Array.from(many.subarray(0, 32))).toEqual(Array.from(one));
  });

  it('draws standard normals and uniform values', () => {
    const rng = new Rng(1);
    const n = 200_000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const v = rng.normal();
      s += v;
      s2 += v * v;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.01);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.01);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) counts[rng.int(10)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });

  it('rejects seeds outside 0..4294967295', () => {
    expect(() => new Rng(-1)).toThrow(/seed must be an integer 0\.\.4294967295, got -1/);
    expect(() => new Rng(1.5)).toThrow(/got 1\.5/);
    expect(() => new Rng(2 ** 32)).toThrow(/got 4294967296/);
  });
});
