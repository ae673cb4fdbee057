/**
 * core/rng.ts against an implementation that is not ours: the reference C of xoshiro128** with splitmix32
 * seeding and Box-Muller (test/core/reference/xoshiro128starstar.c), compiled with the system C compiler
 * here. The API tells third parties to reproduce images with exactly these algorithms, so our numbers must
 * be theirs, bit for bit. (.ci/run installs gcc; a missing compiler fails the test, it does not skip it.)
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { noiseForSeed, Rng } from '../../core/rng';

const SOURCE = join(import.meta.dirname, 'reference', 'xoshiro128starstar.c');
const SEEDS = [0, 1, 42, 20240917, 0x7fffffff, 0x80000000, 0xffffffff];
let dir = '';
let binary = '';

async function reference(seed: number, uints: number, normals: number): Promise<{ uints: number[]; normalBits: number[] }> {
  const { stdout } = await promisify(execFile)(binary, [String(seed), String(uints), String(normals)]);
  const lines = stdout.trim().split('\n');
  return { uints: lines.slice(0, uints).map(Number), normalBits: lines.slice(uints).map((h) => parseInt(h, 16)) };
}

const float32Bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rng-reference-'));
  binary = join(dir, 'xoshiro');
  try {
    execFileSync('cc', ['-O2', '-std=c99', '-D_DEFAULT_SOURCE', '-o', binary, SOURCE, '-lm'], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`cannot compile the reference RNG with cc (apt-get install gcc; .ci/run does): ${(err as Error).message}`);
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('core/rng.ts against the reference C', () => {
  it.each(SEEDS)('seed %i: the first 1000 uint32 outputs are xoshiro128** seeded by splitmix32', async (seed) => {
    const ref = await reference(seed, 1000, 0);
    const rng = new Rng(seed);
    expect(Array.from({ length: 1000 }, () => rng.nextUint32())).toEqual(ref.uints);
  });

  it.each(SEEDS)('seed %i: noiseForSeed is Box-Muller on those outputs, float32 bit for bit', async (seed) => {
    const n = 1001; // odd: the last pair is cut in half
    const ref = await reference(seed, 0, n);
    expect(float32Bits(noiseForSeed(seed, 1, n))).toEqual(ref.normalBits);
  });

  it('uniform() and int() are the reference outputs scaled by 2^-32', async () => {
    const ref = await reference(9, 200, 0);
    const a = new Rng(9);
    const b = new Rng(9);
    for (const x of ref.uints.slice(0, 100)) expect(a.uniform()).toBe(x / 2 ** 32);
    for (const x of ref.uints.slice(0, 100)) expect(b.int(10)).toBe(Math.floor((x / 2 ** 32) * 10));
  });

  it('shuffle() is Fisher-Yates (Durstenfeld) driven by the reference outputs', async () => {
    const ref = await reference(77, 60, 0);
    const items = Array.from({ length: 50 }, (_, i) => i);
    // written from Knuth's Algorithm P: for i = n-1 down to 1, swap item i with item j uniform in 0..i
    const expected = items.slice();
    let next = 0;
    for (let i = expected.length - 1; i > 0; i--) {
      const j = Math.floor((ref.uints[next++] / 2 ** 32) * (i + 1));
      [expected[i], expected[j]] = [expected[j], expected[i]];
    }
    expect(new Rng(77).shuffle(items.slice())).toEqual(expected);
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
