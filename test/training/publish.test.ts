/**
 * Publishing into models/ (training/publish.ts + core/models-dir.ts) on real model files: the quality gate
 * refuses a set under a floor and leaves models/ byte-identical, --force is recorded, and a publish that
 * crashes (an exception) after any of its file operations leaves, once check-models has run, exactly the
 * old set or exactly the new one: every file matching the manifest's sha256, every ONNX file from the
 * manifest's run, each loadable by onnxruntime. publish-kill.test.ts does the same with real SIGKILLs.
 */
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Manifest } from '../../core/manifest';
import { modelsDirProblems, previousDirFor, stagingDirFor } from '../../core/models-dir';
import { publishModels, QualityGateError } from '../../training/publish';
import { COMMITTED_MODELS, passingMetrics, readManifestAt, snapshot } from './model-sets';
import { publishFixture, type PublishFixture } from './publish-fixture';

let f: PublishFixture;
let root = '';
let fromDir = '';
let manifest: Manifest;
let oldSnapshot: Record<string, string>;
let newSnapshot: Record<string, string>;
let steps: string[] = [];
const oldModels = (name: string) => f.oldModels(name);
const expectOneWholeSet = (dir: string, label: string) => f.expectOneWholeSet(dir, label);

beforeAll(async () => {
  f = await publishFixture();
  ({ root, fromDir, manifest, oldSnapshot, newSnapshot, steps } = f);
}, 120_000);
afterAll(async () => {
  await f.cleanup();
});

describe('quality gate at publish', () => {
  it('refuses a set under a floor, naming the metric, the miss and the run directory; models/ stays byte-identical', async () => {
    const dir = await oldModels('refused');
    const metrics = passingMetrics();
    (metrics.cgan as Record<string, unknown>).frechet = 3;
    const err = await publishModels({ fromDir, modelsDir: dir, manifest: { ...manifest, metrics }, runDir: join(root, 'run') }).catch((e) => e);
    expect(err).toBeInstanceOf(QualityGateError);
    expect(err.message).toContain('metrics.cgan.frechet = 3 misses the floor <= 2.5 by 0.5');
    expect(err.message).toContain('metrics.cgan.frechet = 3 misses the floor <= metrics.baselines.class_gmm.frechet (2.29) by 0.71');
    expect(err.message).toContain(`the run's files are in ${join(root, 'run')}`);
    expect(err.message).toContain('--force');
    expect(err.message).not.toContain('metrics.gan.');
    expect(await snapshot(dir)).toEqual(oldSnapshot);
    expect((await readdir(join(dir, '..'))).sort()).toEqual(['models']);
  });

  it('refuses an old manifest that lacks the gated keys, naming each', async () => {
    const dir = await oldModels('old-manifest');
    const err = await publishModels({ fromDir, modelsDir: dir, manifest: { ...manifest, metrics: {} } }).catch((e) => e);
    expect(err.message).toMatch(/metrics\.cgan\.evaluator_accuracy is missing/);
    expect(err.message).toMatch(/metrics\.gan\.class_histogram is missing/);
    expect(err.message).toMatch(/metrics\.baselines\.class_mixture\.frechet is missing/);
    expect(await snapshot(dir)).toEqual(oldSnapshot);
  });

  it('--force publishes a set under a floor and records that in the manifest', async () => {
    const dir = await oldModels('forced');
    const metrics = passingMetrics();
    (metrics.gan as Record<string, unknown>).mean_confidence = 0.9;
    const published = await publishModels({ fromDir, modelsDir: dir, manifest: { ...manifest, metrics }, force: true });
    const written = await readManifestAt(dir);
    expect(written).toEqual(published);
    expect(written.quality_gate).toMatchObject({ passed: false, forced: true });
    expect(written.quality_gate!.misses).toEqual([expect.stringContaining('metrics.gan.mean_confidence = 0.9 misses the floor >= 0.95 by 0.05')]);
    expect(await modelsDirProblems(dir)).toEqual([]);
  });

  it('a passing set replaces every file and records passed, not forced', async () => {
    const dir = join(root, 'reference', 'models');
    expect(await snapshot(dir)).toEqual(newSnapshot);
    const written = await readManifestAt(dir);
    expect(written.quality_gate).toEqual({ passed: true, forced: false, floors: expect.any(Number), misses: [] });
    expect(await readFile(join(dir, 'REPORT.md'), 'utf8')).toBe('# report of new-run-for-publish-test\n');
    // the outgoing set's served files and manifest are kept, byte for byte, for the URLs pinned to it
    const oldRun = (await readManifestAt(COMMITTED_MODELS)).run_id;
    const archived = Object.keys(newSnapshot).filter((f) => f.startsWith('archive/'));
    const served = ['cgan-generator', 'classifier', 'decoder', 'encoder', 'generator', 'recognizer'].map((id) => `${id}.f16.onnx`);
    expect(archived.sort()).toEqual([...served, 'manifest.json'].map((f) => `archive/mnist-${oldRun}/${f}`).sort());
    for (const f of [...served, 'manifest.json']) expect(newSnapshot[`archive/mnist-${oldRun}/${f}`], f).toBe(oldSnapshot[f]);
    expect(Object.keys(newSnapshot).filter((f) => !f.startsWith('archive/')).sort()).toEqual(Object.keys(oldSnapshot).sort());
    // the MNIST set's own files (models/fashion-mnist/ is another dataset's set, kept as it was)
    for (const file of Object.keys(oldSnapshot).filter((f) => !f.startsWith('fashion-mnist/') && (f.endsWith('.onnx') || f === 'manifest.json' || f === 'REPORT.md'))) {
      expect(newSnapshot[file], file).not.toBe(oldSnapshot[file]);
    }
    expect(await expectOneWholeSet(dir, 'reference')).toBe('new');
  });

  it('keeps what the old models/ holds and the new set does not bring (a re-export without report)', async () => {
    const dir = await oldModels('keep');
    const partial = join(root, 'keep', 'partial');
    await cp(fromDir, partial, { recursive: true });
    await rm(join(partial, 'REPORT.md'));
    await publishModels({ fromDir: partial, modelsDir: dir, manifest });
    expect(await readFile(join(dir, 'REPORT.md'), 'utf8')).toBe(await readFile(join(COMMITTED_MODELS, 'REPORT.md'), 'utf8'));
    expect((await readManifestAt(dir)).run_id).toBe(manifest.run_id);
  });

  it('refuses a staged file whose hash is not the manifest\'s, touching nothing', async () => {
    const dir = await oldModels('tampered');
    const tampered = join(root, 'tampered', 'from');
    await cp(fromDir, tampered, { recursive: true });
    await writeFile(join(tampered, 'generator.f16.onnx'), 'not the exported bytes');
    await expect(publishModels({ fromDir: tampered, modelsDir: dir, manifest })).rejects.toThrow(/generator\.f16\.onnx has sha256 [0-9a-f]{64}, the manifest says/);
    expect(await snapshot(dir)).toEqual(oldSnapshot);
    expect((await readdir(join(dir, '..'))).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('crash-safe publishing', () => {
  it('has a file operation per staged entry, the manifest, and the swap', () => {
    expect(steps[0]).toBe('mkdir staging');
    expect(steps.slice(-3)).toEqual(['stage manifest.json', 'exchange staging <-> models', 'remove old set']);
    expect(steps.length).toBeGreaterThanOrEqual(10);
  });

  it('an exception after any file operation leaves the old or the new set whole, never a mix', async () => {
    const outcomes: string[] = [];
    for (let k = 1; k <= steps.length; k++) {
      const dir = await oldModels(`throw-${k}`);
      let n = 0;
      const crash = () => {
        if (++n === k) throw new Error(`crash after step ${k}`);
      };
      await expect(publishModels({ fromDir, modelsDir: dir, manifest, onStep: crash })).rejects.toThrow(`crash after step ${k}`);
      outcomes.push(`${steps[k - 1]}: ${await expectOneWholeSet(dir, `after ${steps[k - 1]}`)}`);
      await rm(join(root, `throw-${k}`), { recursive: true, force: true });
    }
    // the switch happens at the exchange, not before
    const firstNew = outcomes.findIndex((o) => o.endsWith(': new'));
    expect(steps[firstNew]).toBe('exchange staging <-> models');
    expect(outcomes.slice(firstNew).every((o) => o.endsWith(': new'))).toBe(true);
  }, 120_000);

  it('the next publish cleans up after one killed after its exchange, and succeeds', async () => {
    const dir = await oldModels('repair');
    // killed right after the exchange: models/ is the new set, .models-staging holds the old one
    const k = steps.indexOf('exchange staging <-> models') + 1;
    await publishModels({ fromDir, modelsDir: dir, manifest, onStep: (s) => { if (s === steps[k - 1]) throw new Error('crash'); } }).catch(() => {});
    expect(await readdir(join(dir, '..'))).toEqual(expect.arrayContaining(['models', '.models-staging']));
    const log: string[] = [];
    await publishModels({ fromDir, modelsDir: dir, manifest, log: (l) => log.push(l) });
    expect(log.join('\n')).toMatch(/removed .*\.models-staging \(an unfinished publish, or the old set after an exchange\)/);
    expect(await expectOneWholeSet(dir, 'repaired')).toBe('new');
    expect(stagingDirFor(dir)).toBe(join(root, 'repair', '.models-staging'));
    expect(previousDirFor(dir)).toBe(join(root, 'repair', '.models-previous'));
  });
});
