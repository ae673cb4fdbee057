/** `npm run export` as a person runs it: help, and errors that name the bad value and what was expected. */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_IDS } from '../../core/contract';
import { defaultSourceDir, runIdFromSourceDir } from '../../training/export/source-dir';

const run = (args: string[]) =>
  promisify(execFile)('npx', ['tsx', 'training/export/cli.ts', ...args], { timeout: 60_000 }).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'export-cli-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('npm run export', () => {
  it('--help lists the flags', async () => {
    const { code, out } = await run(['--help']);
    expect(code).toBe(0);
    for (const flag of ['--from', '--out', '--run-id', '--measure-fused']) expect(out).toContain(flag);
  });

  it('names the incomplete --from dir and what is missing', async () => {
    const { code, out } = await run(['--from', join(root, 'nowhere'), '--out', join(root, 'out')]);
    expect(code).toBe(1);
    expect(out).toMatch(/--from .*nowhere is not a complete tfjs models dir: missing decoder\/model\.json/);
  });

  it('rejects a bad --seed with the expected range', async () => {
    const { code, out } = await run(['--seed', 'abc']);
    expect(code).not.toBe(0);
    expect(out).toContain('must be an integer 0..4294967295, got "abc"');
  });
});

describe('default source dir', () => {
  it('picks the newest complete runs/*/tfjs and falls back to models/tfjs', async () => {
    const runs = join(root, 'runs');
    const make = async (run: string, ids: readonly string[], mtime: number) => {
      for (const id of ids) {
        const dir = join(runs, run, 'tfjs', id);
        await mkdir(dir, { recursive: true });
        await writeFile(join(dir, 'weights.bin'), '');
        await writeFile(join(dir, 'model.json'), '{}');
        await utimes(join(dir, 'model.json'), mtime, mtime);
      }
    };
    expect(await defaultSourceDir(runs, join(root, 'models'))).toBe(join(root, 'models', 'tfjs'));
    await make('old', MODEL_IDS, 1_000);
    await make('new', MODEL_IDS, 2_000);
    await make('newest-but-partial', MODEL_IDS.slice(1), 3_000);
    expect(await defaultSourceDir(runs, join(root, 'models'))).toBe(join(runs, 'new', 'tfjs'));
    expect(runIdFromSourceDir(join(runs, 'new', 'tfjs'))).toBe('new');
    expect(runIdFromSourceDir(join(root, 'models', 'tfjs'))).toBeNull();
  });
});
