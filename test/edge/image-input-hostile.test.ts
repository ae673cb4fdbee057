/**
 * Issue 21's hostile uploads as named regression cases (test/robustness/hostile-cases.ts), each decoded in
 * a process of its own (image-input-probe.ts) so its CPU and its rise of the process's peak memory are
 * its own. The bounds here are loose on purpose (this machine is shared and timing is noisy): they catch
 * the seconds and gigabytes the cases took before; the 100 ms / 64 MiB targets are measured inside workerd
 * by `npm run bench -- --only uploads`. The bomb builders are checked against Node's zlib.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateBomb, hostileCases } from '../robustness/hostile-cases';

const run = promisify(execFile);
const PROBE = resolve(import.meta.dirname, 'image-input-probe.ts');
const CASES = hostileCases();
/** loose: the cases took 3.5-34 s and 2-4.7 GB before the fix */
const CPU_BOUND_MS = 1000;
const MEMORY_BOUND_MIB = 64;

describe('hostile case builders', () => {
  it('deflateBomb inflates (by Node\'s zlib) to zeros at ~1032:1', () => {
    const bomb = deflateBomb(5_000_000);
    const out = inflateRawSync(bomb.subarray(2, bomb.length - 4));
    expect(out.length).toBeGreaterThanOrEqual(5_000_000);
    expect(out.length).toBeLessThan(5_000_000 + 258);
    expect(out.every((v) => v === 0)).toBe(true);
    expect(out.length / bomb.length).toBeGreaterThan(1000);
  });

  it('every case fits the 2 MB upload limit', () => {
    for (const c of CASES) expect(c.bytes.length, c.name).toBeLessThanOrEqual(2 * 1024 * 1024);
  });
});

describe('hostile uploads, each in its own process', () => {
  for (const c of CASES) {
    it(`${c.name} -> ${c.expect.status} ${c.expect.code} (was: ${c.attack})`, { timeout: 60_000 }, async () => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', PROBE, c.name], { maxBuffer: 1 << 20 });
      const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { outcome: string; cpuMs: number; peakAddedMiB: number };
      expect(result.outcome).toBe(c.expect.status === 200 ? '200' : `${c.expect.status} ${c.expect.code}`);
      expect(result.cpuMs).toBeLessThan(CPU_BOUND_MS);
      expect(result.peakAddedMiB).toBeLessThan(MEMORY_BOUND_MIB);
    });
  }
});
