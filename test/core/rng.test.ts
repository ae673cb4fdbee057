/**
 * Statistical properties of core/rng.ts on large samples (slow: left out of mutation testing, whose fast
 * bit-for-bit checks against the reference C are in rng-reference.test.ts).
 */
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

  it('gives row i of a seed independently of how many rows are asked for', () => {
    const one = noiseForSeed(7, 1, 32);
    const many = noiseForSeed(7, 16, 32);
    expect(Array.from(many.subarray(0, 32))).toEqual(Array.from(one));
  });

  it('draws normals with mean 0 and variance 1 (200k draws) and int(10) uniformly (100k draws)', () => {
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
});

describe('shuffle is unbiased', () => {
  it('gives each of the 6 orders of 3 items about 1/6 of the time, the identity included', () => {
    const rng = new Rng(5);
    const counts = new Map<string, number>();
    const n = 60_000;
    for (let t = 0; t < n; t++) {
      const key = rng.shuffle(['a', 'b', 'c']).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['abc', 'acb', 'bac', 'bca', 'cab', 'cba']);
    // binomial sd = sqrt(n p (1-p)) ~ 91; 5 sd
    for (const c of counts.values()) expect(Math.abs(c - n / 6)).toBeLessThan(460);
  });

  it('puts each item at each position equally often', () => {
    const rng = new Rng(6);
    const size = 8;
    const n = 40_000;
    const at = Array.from({ length: size }, () => new Array(size).fill(0));
    for (let t = 0; t < n; t++) rng.shuffle(Array.from({ length: size }, (_, i) => i)).forEach((item, pos) => at[item][pos]++);
    for (const row of at) for (const c of row) expect(Math.abs(c - n / size)).toBeLessThan(5 * Math.sqrt((n / size) * (1 - 1 / size)));
  });
});
