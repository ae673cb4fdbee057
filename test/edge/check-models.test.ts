/**
 * edge/cli/check-models.ts as `npm start` (prestart) and `npm run deploy` (predeploy, --floors) run it:
 * a consistent set passes, a set under a floor is refused for deploy only, an inconsistent or incomplete
 * set is refused always, each with what is wrong.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishModels } from '../../training/publish';
import { makeStagedSet, passingMetrics } from '../training/model-sets';

const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const checkModels = (...args: string[]) =>
  promisify(execFile)(TSX, ['edge/cli/check-models.ts', ...args]).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );

let root = '';
/** A published set whose metrics are `metrics` (forced past the gate when they miss it). */
async function publishedSet(name: string, metrics: Record<string, unknown>): Promise<string> {
  const from = join(root, name, 'from');
  const manifest = await makeStagedSet(from, `run-${name}`, metrics);
  const dir = join(root, name, 'models');
  await publishModels({ fromDir: from, modelsDir: dir, manifest, force: true });
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'check-models-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('check-models', () => {
  it('passes a consistent set that meets the floors, with and without --floors', async () => {
    const dir = await publishedSet('good', passingMetrics());
    expect(await checkModels('--dir', dir)).toEqual({ code: 0, out: '' });
    expect(await checkModels('--dir', dir, '--floors')).toEqual({ code: 0, out: '' });
  });

  it('--floors (npm run deploy) refuses a set under a floor, even one published with --force; npm start accepts it', async () => {
    const metrics = passingMetrics();
    (metrics.cgan as Record<string, unknown>).per_digit_accuracy = [0.99, 0.99, 0.99, 0.99, 0.99, 0.62, 0.99, 0.99, 0.66, 0.99];
    const dir = await publishedSet('under', metrics);
    const deploy = await checkModels('--dir', dir, '--floors');
    expect(deploy.code).toBe(1);
    expect(deploy.out).toContain('refusing to deploy: models/ (run run-under (it was published with --force)) misses 2 quality floor(s)');
    expect(deploy.out).toContain('metrics.cgan.per_digit_accuracy[5] = 0.62 misses the floor >= 0.95 by 0.33');
    expect(deploy.out).toContain('metrics.cgan.per_digit_accuracy[8] = 0.66 misses the floor >= 0.95 by 0.29');
    expect((await checkModels('--dir', dir)).code).toBe(0);
  });

  it('refuses a set whose file is not the manifest\'s, naming the file', async () => {
    const dir = await publishedSet('mixed', passingMetrics());
    await writeFile(join(dir, 'decoder.f16.onnx'), await readFile(join(process.cwd(), 'models', 'decoder.f16.onnx')));
    const res = await checkModels('--dir', dir);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/models\/ is not a consistent set:\n {2}- decoder\.f16\.onnx has sha256 [0-9a-f]{64}, the manifest says [0-9a-f]{64}/);
  });

  it('names bundled files that are missing and how to make them', async () => {
    const dir = await publishedSet('missing', passingMetrics());
    await rm(join(dir, 'generator.f16.onnx'));
    const res = await checkModels('--dir', dir);
    expect(res.code).toBe(1);
    expect(res.out).toContain('these files are missing: generator.f16.onnx');
    expect(res.out).toContain('npm run train');
  });

  it('names a manifest entry whose file is gone', async () => {
    const dir = await publishedSet('gone', passingMetrics());
    await rm(join(dir, 'evaluator.onnx'));
    const res = await checkModels('--dir', dir);
    expect(res.code).toBe(1);
    expect(res.out).toContain('manifest entry "evaluator" names evaluator.onnx, which is missing');
  });

  it('--help says what it checks', async () => {
    const res = await checkModels('--help');
    expect(res.code).toBe(0);
    expect(res.out).toContain('--floors');
  });
});
