/**
 * core/models-dir.ts step by step on a tiny fake models directory (two small files and a manifest written
 * here), not the real models/: the names of the staging and previous directories, the repair of each state
 * an interrupted swap can leave, the swap itself with a crash after each of its steps, the fsyncs, the
 * consistency check's every problem, and the file listing. The whole publish on the real models is in
 * test/training/publish.test.ts and publish-kill.test.ts.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fsyncPath, listFiles, MANIFEST_FILE, modelsDirProblems, previousDirFor, recoverModelsDir, stagingDirFor, swapInStaging } from '../../core/models-dir';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A manifest in the schema of core/manifest.ts naming `files` (name -> content) under model keys. */
function manifestFor(runId: string, files: Record<string, string>): string {
  const models: Record<string, unknown> = {};
  for (const [file, content] of Object.entries(files)) {
    models[file.replace(/\.onnx$/, '')] = {
      file,
      role: 'fake model',
      sha256: sha256(content),
      bytes: Buffer.byteLength(content),
      inputs: [{ name: 'x', shape: [-1, 2], dtype: 'float32' }],
      outputs: [{ name: 'y', shape: [-1, 1], dtype: 'float32' }],
      opset: 17,
      ir_version: 8,
    };
  }
  return JSON.stringify({ schema_version: 1, run_id: runId, created_at: '2026-11-28T00:00:00Z', dataset: 'fake', seed: 1, quick: true, models, metrics: {} });
}

const OLD = { 'a.onnx': 'old weights a', 'b.onnx': 'old weights b' };
const NEW = { 'a.onnx': 'new weights a!', 'b.onnx': 'new weights b!' };

/** Writes a set (its files and manifest.json) into `dir`. */
async function writeSet(dir: string, runId: string, files: Record<string, string>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(dir, name), content);
  await writeFile(join(dir, MANIFEST_FILE), manifestFor(runId, files));
}

/** The run_id of the set in `dir`, read from its manifest; null when there is no such directory. */
async function runIdAt(dir: string): Promise<string | null> {
  try {
    return JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')).run_id;
  } catch {
    return null;
  }
}

let root = '';
let parent = '';
let models = '';
let staging = '';
let previous = '';
let n = 0;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'models-dir-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
/** A fresh parent directory per case: models/ (the old set) and, as asked, a staged new set and a previous one. */
async function scene({ withModels = true, withStaging = false, withPrevious = false } = {}): Promise<void> {
  parent = join(root, `case-${++n}`);
  models = join(parent, 'models');
  staging = join(parent, '.models-staging');
  previous = join(parent, '.models-previous');
  await mkdir(parent, { recursive: true });
  if (withModels) await writeSet(models, withPrevious ? 'new-run' : 'old-run', withPrevious ? NEW : OLD);
  if (withStaging) await writeSet(staging, 'new-run', NEW);
  if (withPrevious) await writeSet(previous, 'old-run', OLD);
}
const entries = async () => (await readdir(parent)).sort();

describe('staging and previous directories', () => {
  it('sit beside the models directory, named .<name>-staging and .<name>-previous', () => {
    expect(stagingDirFor('/srv/app/models')).toBe('/srv/app/.models-staging');
    expect(previousDirFor('/srv/app/models')).toBe('/srv/app/.models-previous');
    expect(stagingDirFor('sets/current')).toBe('sets/.current-staging');
    expect(previousDirFor('sets/current')).toBe('sets/.current-previous');
  });
});

describe('recoverModelsDir', () => {
  it('does nothing and says nothing when no publish was interrupted', async () => {
    await scene();
    expect(await recoverModelsDir(models)).toEqual([]);
    expect(await entries()).toEqual(['models']);
    expect(await runIdAt(models)).toBe('old-run');
  });

  it('does nothing when there is no models directory at all', async () => {
    await scene({ withModels: false });
    expect(await recoverModelsDir(models)).toEqual([]);
    expect(await entries()).toEqual([]);
  });

  it('removes an unfinished staging directory and keeps the old set', async () => {
    await scene({ withStaging: true });
    expect(await recoverModelsDir(models)).toEqual([`removed ${staging} (an unfinished publish, or the old set after an exchange)`]);
    expect(await entries()).toEqual(['models']);
    expect(await runIdAt(models)).toBe('old-run');
    expect(await modelsDirProblems(models)).toEqual([]);
  });

  it('between the two renames (no models/, the old set in previous): renames the old set back', async () => {
    await scene({ withModels: false, withStaging: true, withPrevious: true });
    expect(await recoverModelsDir(models)).toEqual([
      `restored ${models} from ${previous} (a publish was interrupted between its two renames)`,
      `removed ${staging} (an unfinished publish, or the old set after an exchange)`,
    ]);
    expect(await entries()).toEqual(['models']);
    expect(await runIdAt(models)).toBe('old-run');
    expect(await readFile(join(models, 'a.onnx'), 'utf8')).toBe(OLD['a.onnx']);
    expect(await modelsDirProblems(models)).toEqual([]);
  });

  it('after the second rename (the new set in models/, the old in previous): removes previous, keeps the new set', async () => {
    await scene({ withPrevious: true });
    expect(await recoverModelsDir(models)).toEqual([`removed ${previous} (left by a publish that had already put the new set in place)`]);
    expect(await entries()).toEqual(['models']);
    expect(await runIdAt(models)).toBe('new-run');
    expect(await modelsDirProblems(models)).toEqual([]);
  });
});

describe('fsyncPath', () => {
  // fsync has no observable effect short of a power cut: a counting wrapper around the real FileHandle.sync
  // sees the calls; open file descriptors (Linux /proc) show that each handle is closed again
  let proto: { sync: () => Promise<void> };
  let realSync: () => Promise<void>;
  let syncs = 0;
  const openFds = () => readdirSync('/proc/self/fd').length;
  beforeAll(async () => {
    const handle = await open(import.meta.filename, 'r');
    proto = Object.getPrototypeOf(handle);
    await handle.close();
    realSync = proto.sync;
    proto.sync = function (this: unknown) {
      syncs++;
      return realSync.call(this);
    };
  });
  afterAll(() => {
    proto.sync = realSync;
  });

  it('fsyncs a file and a directory once each', async () => {
    await scene();
    syncs = 0;
    await fsyncPath(join(models, 'a.onnx'));
    await fsyncPath(models);
    expect(syncs).toBe(2);
  });

  it('closes what it opens: 20 calls leave no file descriptor open', async () => {
    await scene();
    const before = openFds();
    for (let i = 0; i < 20; i++) await fsyncPath(join(models, 'a.onnx'));
    expect(openFds() - before).toBeLessThan(5);
  });

  it('rejects a missing path with ENOENT', async () => {
    await expect(fsyncPath(join(root, 'nowhere'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('swapInStaging fsyncs the staged set before its renames and the parent directory after them', async () => {
    await scene({ withStaging: true });
    syncs = 0;
    await swapInStaging(models, (step) => {
      if (step === 'exchange staging <-> models') expect(syncs, 'the staged set before, the parent after the exchange').toBe(2);
    });
    expect(syncs).toBe(2);
  });
});

/** A scene with a staged set, then a swap that crashes right after `step`. */
async function swapCrashingAfter(step: string): Promise<void> {
  await scene({ withStaging: true });
  await expect(
    swapInStaging(models, (s) => {
      if (s === step) throw new Error(`crash after ${s}`);
    }),
  ).rejects.toThrow(`crash after ${step}`);
}

describe('swapInStaging', () => {
  it('exchanges models/ and the staged set in one step, then removes the old set; nothing is left beside it', async () => {
    await scene({ withStaging: true });
    const steps: string[] = [];
    await swapInStaging(models, (s) => void steps.push(s));
    expect(steps).toEqual(['exchange staging <-> models', 'remove old set']);
    expect(await entries()).toEqual(['models']);
    expect(await runIdAt(models)).toBe('new-run');
    expect(await readFile(join(models, 'b.onnx'), 'utf8')).toBe(NEW['b.onnx']);
    expect(await modelsDirProblems(models)).toEqual([]);
  });

  it('with no models/ yet, only renames the staged set into place', async () => {
    await scene({ withModels: false, withStaging: true });
    const steps: string[] = [];
    await swapInStaging(models, (s) => void steps.push(s));
    expect(steps).toEqual(['rename staging -> models']);
    expect(await entries()).toEqual(['models']);
    expect(await runIdAt(models)).toBe('new-run');
  });

  it('works without a step hook', async () => {
    await scene({ withStaging: true });
    await swapInStaging(models);
    expect(await entries()).toEqual(['models']);
    expect(await runIdAt(models)).toBe('new-run');
  });

  it('with nothing staged, fails before touching models/', async () => {
    await scene();
    await expect(swapInStaging(models)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await entries()).toEqual(['models']);
    expect(await runIdAt(models)).toBe('old-run');
  });

  it.each([
    ['exchange staging <-> models', ['.models-staging', 'models']],
    ['remove old set', ['models']],
  ])('a crash after "%s" leaves %j with the new set whole in models/ before any repair', async (step, left) => {
    await swapCrashingAfter(step);
    expect(await entries()).toEqual(left);
    expect(await runIdAt(models)).toBe('new-run');
    expect(await modelsDirProblems(models)).toEqual([]);
    await recoverModelsDir(models);
    expect(await entries()).toEqual(['models']);
    expect(await runIdAt(models)).toBe('new-run');
  });

  it('at every step of the swap models/ is one whole set, old or new (the two-rename swap has a step with none)', async () => {
    await scene({ withStaging: true });
    const seen: Array<string | null> = [];
    await swapInStaging(models, async () => {
      expect(await modelsDirProblems(models)).toEqual([]);
      seen.push(await runIdAt(models));
    });
    expect(seen).toEqual(['new-run', 'new-run']);
  });
});

describe('swapInStaging without renameat2 (MODELS_DIR_NO_EXCHANGE=1: the fallback of two renames)', () => {
  beforeAll(() => {
    process.env.MODELS_DIR_NO_EXCHANGE = '1';
  });
  afterAll(() => {
    delete process.env.MODELS_DIR_NO_EXCHANGE;
  });

  it('reports its three steps in order and ends with the new set', async () => {
    await scene({ withStaging: true });
    const steps: string[] = [];
    await swapInStaging(models, (s) => void steps.push(s));
    expect(steps).toEqual(['rename models -> previous', 'rename staging -> models', 'remove previous']);
    expect(await entries()).toEqual(['models']);
    expect(await runIdAt(models)).toBe('new-run');
  });

  it.each([
    ['rename models -> previous', ['.models-previous', '.models-staging'], 'old-run'],
    ['rename staging -> models', ['.models-previous', 'models'], 'new-run'],
    ['remove previous', ['models'], 'new-run'],
  ])('a crash after "%s" leaves %j; recoverModelsDir then leaves the %s set alone, whole', async (step, left, after) => {
    await swapCrashingAfter(step);
    expect(await entries()).toEqual(left);
    await recoverModelsDir(models);
    expect(await entries()).toEqual(['models']);
    expect(await runIdAt(models)).toBe(after);
    expect(await modelsDirProblems(models)).toEqual([]);
  });
});

describe('modelsDirProblems', () => {
  const manifestPath = () => join(models, MANIFEST_FILE);

  it('finds nothing wrong with a consistent set', async () => {
    await scene();
    expect(await modelsDirProblems(models)).toEqual([]);
  });

  it('says the manifest is missing', async () => {
    await scene();
    await rm(manifestPath());
    expect(await modelsDirProblems(models)).toEqual([`${manifestPath()} is missing`]);
  });

  it('says the manifest is not JSON, with the parser\'s reason', async () => {
    await scene();
    await writeFile(manifestPath(), '{"schema_version": 1,');
    let reason = '';
    try {
      JSON.parse('{"schema_version": 1,');
    } catch (err) {
      reason = (err as Error).message;
    }
    expect(await modelsDirProblems(models)).toEqual([`${manifestPath()} is not JSON: ${reason}`]);
  });

  it('says the manifest does not match the schema, naming the field', async () => {
    await scene();
    const json = JSON.parse(manifestFor('old-run', OLD));
    json.schema_version = 2;
    await writeFile(manifestPath(), JSON.stringify(json));
    const problems = await modelsDirProblems(models);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${manifestPath().replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} does not match the manifest schema: .*schema_version`, 's'));
  });

  it('names a missing file and still checks the others', async () => {
    await scene();
    await rm(join(models, 'a.onnx'));
    await writeFile(join(models, 'b.onnx'), 'old weights B'); // same length, other bytes
    expect(await modelsDirProblems(models)).toEqual([
      'manifest entry "a" names a.onnx, which is missing',
      `b.onnx has sha256 ${sha256('old weights B')}, the manifest says ${sha256(OLD['b.onnx'])}`,
    ]);
  });

  it('reports a file of other bytes by its hash only, even when its length differs too', async () => {
    await scene();
    await writeFile(join(models, 'a.onnx'), 'x');
    expect(await modelsDirProblems(models)).toEqual([`a.onnx has sha256 ${sha256('x')}, the manifest says ${sha256(OLD['a.onnx'])}`]);
  });

  it('reports a size that is not the manifest\'s when the hash matches', async () => {
    await scene();
    const json = JSON.parse(manifestFor('old-run', OLD));
    json.models.b.bytes = 99;
    await writeFile(manifestPath(), JSON.stringify(json));
    expect(await modelsDirProblems(models)).toEqual([`b.onnx has ${Buffer.byteLength(OLD['b.onnx'])} bytes, the manifest says 99`]);
  });
});

describe('listFiles', () => {
  it('lists every file below a directory as sorted relative paths, directories themselves left out', async () => {
    const dir = join(root, 'listing');
    // created out of order, so neither creation order nor its reverse is sorted
    for (const rel of ['m.txt', 'a/z.txt', 'z.txt', 'a/b/c.txt', 'c.txt', 'a/b.txt']) {
      await mkdir(join(dir, rel, '..'), { recursive: true });
      await writeFile(join(dir, rel), rel);
    }
    await mkdir(join(dir, 'empty'));
    expect(await listFiles(dir)).toEqual(['a/b.txt', 'a/b/c.txt', 'a/z.txt', 'c.txt', 'm.txt', 'z.txt']);
    expect(await listFiles(join(dir, 'a'), 'under')).toEqual(['under/b.txt', 'under/b/c.txt', 'under/z.txt']);
  });
});
