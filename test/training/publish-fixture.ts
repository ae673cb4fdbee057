/**
 * Shared by the publish tests: a staged "new" set made from the committed models, the committed models as
 * the "old" set, the steps of one uninterrupted publish, and the check that a models directory is one
 * whole set (old or new) as the worker and tools need it.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { expect } from 'vitest';
import type { Manifest } from '../../core/manifest';
import { modelsDirProblems } from '../../core/models-dir';
import { checkModels } from '../../edge/cli/check-models';
import { publishModels } from '../../training/publish';
import { COMMITTED_MODELS, makeStagedSet, onnxRunId, readManifestAt, snapshot } from './model-sets';

export interface PublishFixture {
  root: string;
  fromDir: string;
  manifestFile: string;
  manifest: Manifest;
  oldSnapshot: Record<string, string>;
  newSnapshot: Record<string, string>;
  /** the file operations of one uninterrupted publish, in order */
  steps: string[];
  /** a fresh copy of the committed models/ at <root>/<name>/models */
  oldModels(name: string): Promise<string>;
  /** asserts `modelsDir` is exactly the old or the new set, consistent, loadable; says which */
  expectOneWholeSet(modelsDir: string, label: string): Promise<'old' | 'new'>;
  cleanup(): Promise<void>;
}

export async function publishFixture(): Promise<PublishFixture> {
  const root = await mkdtemp(join(tmpdir(), 'publish-'));
  const fromDir = join(root, 'run', 'publish');
  const manifest = await makeStagedSet(fromDir, 'new-run-for-publish-test');
  const manifestFile = join(root, 'run', 'manifest.json');
  await writeFile(manifestFile, JSON.stringify(manifest));
  const oldSnapshot = await snapshot(COMMITTED_MODELS);
  const oldModels = async (name: string) => {
    const dir = join(root, name, 'models');
    await cp(COMMITTED_MODELS, dir, { recursive: true });
    return dir;
  };
  // the reference outcome: one uninterrupted publish, every step recorded
  const steps: string[] = [];
  const reference = await oldModels('reference');
  await publishModels({ fromDir, modelsDir: reference, manifest, onStep: (s) => void steps.push(s) });
  const newSnapshot = await snapshot(reference);

  const expectOneWholeSet = async (modelsDir: string, label: string): Promise<'old' | 'new'> => {
    expect(await checkModels({ dir: modelsDir }), label).toEqual([]);
    expect(await modelsDirProblems(modelsDir), label).toEqual([]);
    const m = await readManifestAt(modelsDir);
    for (const entry of Object.values(m.models)) {
      const bytes = await readFile(join(modelsDir, entry.file));
      expect(onnxRunId(bytes), `${label}: ${entry.file}`).toBe(m.run_id);
      if (entry.file.endsWith('.f16.onnx')) await (await ort.InferenceSession.create(bytes)).release();
    }
    const snap = await snapshot(modelsDir);
    const which = m.run_id === manifest.run_id ? 'new' : 'old';
    expect(snap, label).toEqual(which === 'new' ? newSnapshot : oldSnapshot);
    const leftovers = (await readdir(join(modelsDir, '..'))).filter((n) => n.startsWith('.'));
    expect(leftovers, label).toEqual([]);
    return which;
  };
  return { root, fromDir, manifestFile, manifest, oldSnapshot, newSnapshot, steps, oldModels, expectOneWholeSet, cleanup: () => rm(root, { recursive: true, force: true }) };
}
