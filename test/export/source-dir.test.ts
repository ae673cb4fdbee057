/**
 * Where `npm run export` reads from (training/export/source-dir.ts) and the manifest file helpers
 * (manifest-file.ts), on directories and files made here.
 */
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_IDS } from '../../core/contract';
import type { ExportResult } from '../../training/export/index';
import { composeManifest, MANIFEST_FILE, readManifest } from '../../training/export/manifest-file';
import { defaultSourceDir, missingModels, runIdFromSourceDir } from '../../training/export/source-dir';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'source-dir-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** runs/<run>/tfjs/<id>/{model.json, weights.bin} for `ids`, model.json dated mtime(id) (seconds) */
async function makeRun(runs: string, run: string, ids: readonly string[], mtime: (id: string) => number): Promise<void> {
  for (const id of ids) {
    const dir = join(runs, run, 'tfjs', id);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'weights.bin'), '');
    await writeFile(join(dir, 'model.json'), '{}');
    await utimes(join(dir, 'model.json'), mtime(id), mtime(id));
  }
}

describe('missingModels', () => {
  it('lists <id>/model.json and <id>/weights.bin for every contract model not there, in contract order', async () => {
    expect(await missingModels(join(root, 'nothing'))).toEqual(MODEL_IDS.flatMap((id) => [`${id}/model.json`, `${id}/weights.bin`]));
  });

  it('counts a directory where a file should be as missing, and nothing when all files are there', async () => {
    const runs = join(root, 'complete-runs');
    await makeRun(runs, 'r', MODEL_IDS, () => 1_000);
    const dir = join(runs, 'r', 'tfjs');
    expect(await missingModels(dir)).toEqual([]);
    await rm(join(dir, 'encoder', 'weights.bin'));
    await mkdir(join(dir, 'encoder', 'weights.bin'));
    expect(await missingModels(dir)).toEqual(['encoder/weights.bin']);
  });
});

describe('defaultSourceDir', () => {
  it('falls back to <models>/tfjs without a runs dir or without a complete run', async () => {
    expect(await defaultSourceDir(join(root, 'no-runs'), join(root, 'models'))).toBe(join(root, 'models', 'tfjs'));
    const runs = join(root, 'partial-runs');
    await makeRun(runs, 'only-part', MODEL_IDS.slice(1), () => 1_000);
    expect(await defaultSourceDir(runs, join(root, 'models'))).toBe(join(root, 'models', 'tfjs'));
  });

  it('picks the complete run whose newest model.json is newest', async () => {
    const runs = join(root, 'runs');
    await makeRun(runs, 'a-old', MODEL_IDS, () => 1_000);
    // mostly older than b, but one model re-exported last
    await makeRun(runs, 'c-one-new', MODEL_IDS, (id) => (id === 'classifier' ? 5_000 : 500));
    await makeRun(runs, 'b-mid', MODEL_IDS, () => 2_000);
    await makeRun(runs, 'd-newest-but-partial', MODEL_IDS.slice(0, 5), () => 9_000);
    expect(await defaultSourceDir(runs, join(root, 'models'))).toBe(join(runs, 'c-one-new', 'tfjs'));
    await utimes(join(runs, 'b-mid', 'tfjs', 'decoder', 'model.json'), 6_000, 6_000);
    expect(await defaultSourceDir(runs, join(root, 'models'))).toBe(join(runs, 'b-mid', 'tfjs'));
  });
});

describe('runIdFromSourceDir', () => {
  it('is <runId> for .../runs/<runId>/tfjs and null for any other layout', () => {
    expect(runIdFromSourceDir('/x/runs/2024-09-17-full/tfjs')).toBe('2024-09-17-full');
    expect(runIdFromSourceDir('runs/abc/tfjs')).toBe('abc');
    expect(runIdFromSourceDir('/x/models/tfjs')).toBeNull();
    expect(runIdFromSourceDir('/x/runs/abc/other')).toBeNull();
    expect(runIdFromSourceDir('/x/not-runs/abc/tfjs')).toBeNull();
  });
});

const ENTRY = {
  file: 'decoder.onnx',
  role: 'r',
  sha256: 'a'.repeat(64),
  bytes: 10,
  inputs: [{ name: 'latent', shape: [-1, 16], dtype: 'float32' as const }],
  outputs: [{ name: 'image', shape: [-1, 784], dtype: 'float32' as const }],
  opset: 17,
  ir_version: 8,
  weights: 'float32' as const,
};

describe('manifest file', () => {
  it('readManifest: null when there is none, the parsed manifest (defaults filled) when valid', async () => {
    expect(MANIFEST_FILE).toBe('manifest.json');
    expect(await readManifest(join(root, 'none.json'))).toBeNull();
    const file = join(root, 'valid.json');
    const { weights: _omitted, ...withoutWeights } = ENTRY;
    const manifest = { schema_version: 1, run_id: 'r1', created_at: 't', dataset: 'mnist', seed: 3, quick: false, models: { decoder: withoutWeights }, metrics: { ae: 1 } };
    await writeFile(file, JSON.stringify(manifest));
    expect(await readManifest(file)).toEqual({ ...manifest, models: { decoder: ENTRY } });
  });

  it('readManifest: a malformed or off-schema manifest, or an unreadable path, is an error, not "none"', async () => {
    const bad = join(root, 'bad.json');
    await writeFile(bad, '{ not json');
    await expect(readManifest(bad)).rejects.toThrow(SyntaxError);
    const off = join(root, 'off.json');
    await writeFile(off, JSON.stringify({ schema_version: 2 }));
    await expect(readManifest(off)).rejects.toThrow(`${off} does not match the manifest schema: `);
    await expect(readManifest(root)).rejects.toThrow(/EISDIR/);
  });

  it('composeManifest: the run fields, created now, models, and training metrics with the export checks under metrics.export', () => {
    const result: ExportResult = { models: { decoder: ENTRY }, checks: { sizes: { decoder: { bytes: 10 } } } };
    const before = Date.now();
    const manifest = composeManifest(result, { runId: 'r9', dataset: 'fashion', seed: 42, quick: true, metrics: { ae: { bce: 0.1 }, export: { stale: true } } });
    const created = Date.parse(manifest.created_at);
    expect(created).toBeGreaterThanOrEqual(before);
    expect(created).toBeLessThanOrEqual(Date.now());
    expect(manifest.created_at).toBe(new Date(created).toISOString());
    expect(manifest).toEqual({
      schema_version: 1,
      run_id: 'r9',
      created_at: manifest.created_at,
      dataset: 'fashion',
      seed: 42,
      quick: true,
      models: { decoder: ENTRY },
      metrics: { ae: { bce: 0.1 }, export: { sizes: { decoder: { bytes: 10 } } } },
    });
  });

  it('composeManifest refuses what the schema refuses', () => {
    const result = { models: { decoder: { ...ENTRY, sha256: 'short' } }, checks: {} } as ExportResult;
    expect(() => composeManifest(result, { runId: 'r', dataset: 'd', seed: 0, quick: false, metrics: {} })).toThrow(/sha256/);
  });
});
