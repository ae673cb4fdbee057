/**
 * core/rng.ts against an implementation that is not ours: the reference C of xoshiro128** with splitmix32
 * seeding and Box-Muller (test/core/reference/xoshiro128starstar.c), compiled with the system C compiler
 * here. The API tells third parties to reproduce images with exactly these algorithms, so our numbers must
 * be theirs, bit for bit. (.ci/run installs gcc; a missing compiler fails the test, it does not skip it.)
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { noiseForSeed, Rng } from '../../core/rng';

const SOURCE = join(import.meta.dirname, 'reference', 'xoshiro128starstar.c');
const SEEDS = [0, 1, 42, 20240917, 0x7fffffff, 0x80000000, 0xffffffff];
let binary = '';

async function reference(seed: number, uints: number, normals: number): Promise<{ uints: number[]; normalBits: number[] }> {
  const { stdout } = await promisify(execFile)(binary, [String(seed), String(uints), String(normals)]);
  const lines = stdout.trim().split('\n');
  return { uints: lines.slice(0, uints).map(Number), normalBits: lines.slice(uints).map((h) => parseInt(h, 16)) };
}

const float32Bits = (values: Float32Array) => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

// compiled once per version of the C source (mutation testing re-runs this file for every mutant of core/rng.ts)
beforeAll(() => {
  const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'latent-digits-rng-reference');
  binary = join(dir, `xoshiro-${hash}`);
  if (existsSync(binary)) return;
  mkdirSync(dir, { recursive: true });
  const building = `${binary}.${process.pid}.tmp`;
  try {
    execFileSync('cc', ['-O2', '-std=c99', '-D_DEFAULT_SOURCE', '-o', building, SOURCE, '-lm'], { stdio: 'pipe' });
  } catch (err) {
    throw new Error(`cannot compile the reference RNG with cc (apt-get install gcc; .ci/run does): ${(err as Error).message}`);
  }
  renameSync(building, binary); // atomic: a concurrent run never executes a half-written binary
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

  it('shuffle() of n items draws exactly n - 1 outputs (the next draw is reference output n - 1)', async () => {
    const ref = await reference(78, 12, 0);
    for (const n of [0, 1, 2, 10]) {
      const rng = new Rng(78);
      const items = Array.from({ length: n }, (_, i) => i);
      expect(rng.shuffle(items)).toBe(items); // in place
      expect(rng.nextUint32(), `n = ${n}`).toBe(ref.uints[Math.max(0, n - 1)]);
    }
  });

  it('noiseForSeed(seed, rows, dim) is the first rows * dim reference normals, row-major', async () => {
    const ref = await reference(3, 0, 15);
    const noise = noiseForSeed(3, 3, 5);
    expect(noise.length).toBe(15);
    expect(float32Bits(noise)).toEqual(ref.normalBits);
  });

  it('normal() after an odd number of normals starts a new pair: interleaving with nextUint32 follows the reference draws', async () => {
    const ref = await reference(12, 6, 0);
    const rng = new Rng(12);
    rng.normal(); // draws outputs 0 and 1, keeps the second normal
    rng.normal(); // the kept one: draws nothing
    expect(rng.nextUint32()).toBe(ref.uints[2]);
    rng.normal(); // a fresh pair: outputs 3 and 4
    expect(rng.nextUint32()).toBe(ref.uints[5]);
  });
});

describe('seed range', () => {
  it('accepts 0 and 4294967295 and rejects -1, 1.5, 4294967296 and NaN, naming the value', () => {
    expect(() => new Rng(0)).not.toThrow();
    expect(() => new Rng(0xffffffff)).not.toThrow();
    expect(() => new Rng(-1)).toThrow(RangeError);
    expect(() => new Rng(-1)).toThrow(new RangeError('seed must be an integer 0..4294967295, got -1'));
    expect(() => new Rng(1.5)).toThrow(new RangeError('seed must be an integer 0..4294967295, got 1.5'));
    expect(() => new Rng(2 ** 32)).toThrow(new RangeError('seed must be an integer 0..4294967295, got 4294967296'));
    expect(() => new Rng(Number.NaN)).toThrow(/got NaN/);
  });
});

