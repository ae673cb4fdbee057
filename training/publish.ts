/**
 * Publishing a model set into models/: the quality gate (core/quality-floors.ts), then one atomic
 * replacement of the whole directory (core/models-dir.ts). Used by `npm run train` (the pipeline's last
 * step), `npm run export` and `npm run publish-models`.
 *
 * Gate: a set whose manifest misses a floor of its dataset (core/quality-floors.ts `floorsFor`) does not replace models/; the error says which metric missed,
 * by how much, and where the run's files are. `force` publishes anyway and records the misses in the
 * manifest (`quality_gate`). Quick runs are gated like full ones (their small models miss the floors), so
 * publishing one needs `force`; by default a quick run publishes nowhere.
 */
import { copyFile, cp, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { MODEL_SPECS, float16File } from '../core/contract';
import { datasetIdOf, manifestSchema, type Manifest } from '../core/manifest';
import { exists, fsyncPath, listFiles, MANIFEST_FILE, modelsDirProblems, recoverModelsDir, stagingDirFor, swapInStaging, withModelsDirLock, type StepHook } from '../core/models-dir';
import { checkQualityFloors, floorsFor, formatMisses } from '../core/quality-floors';
import { readManifest } from './export/manifest-file';

export interface PublishOptions {
  /** the staged set: every file the manifest names, plus optional tfjs/, figures/, REPORT.md */
  fromDir: string;
  modelsDir: string;
  /** the manifest to publish; its quality_gate is (re)computed here */
  manifest: Manifest;
  /** publish even if a floor is missed; the manifest records it */
  force?: boolean;
  /** named in the refusal message: where the run's files are */
  runDir?: string;
  log?: (line: string) => void;
  /** test hook, called after every file operation */
  onStep?: StepHook;
}

/** Thrown when the gate refuses a set; models/ is untouched. */
export class QualityGateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QualityGateError';
  }
}

/** Where an outgoing set's served files go when another replaces it: models/archive/<dataset>-<run id>/. */
export const ARCHIVE_DIR = 'archive';

/**
 * Keeps the set being replaced servable to the URLs pinned to it: its served (float16) files and manifest
 * are staged under archive/<dataset>-<run id>/, which `npm start`'s seeding publishes into local R2 as a
 * version that is never promoted (the account's R2 keeps every published version anyway). Nothing is
 * archived when there is no old set, or it is the same run.
 */
async function archiveOutgoingSet(modelsDir: string, staging: string, incoming: Manifest, onStep: StepHook, log: (line: string) => void): Promise<void> {
  // a manifest that is missing or unreadable has no set to keep
  const old = await readManifest(join(modelsDir, MANIFEST_FILE)).catch(() => null);
  if (!old || old.run_id === incoming.run_id) return;
  const dir = join(staging, ARCHIVE_DIR, `${datasetIdOf(old)}-${old.run_id}`);
  if (await exists(join(dir, MANIFEST_FILE))) return; // already archived (kept above)
  await mkdir(dir, { recursive: true });
  for (const spec of Object.values(MODEL_SPECS).filter((m) => m.edge)) {
    const file = float16File(spec.file);
    if (await exists(join(modelsDir, file))) await copyFile(join(modelsDir, file), join(dir, file));
  }
  await copyFile(join(modelsDir, MANIFEST_FILE), join(dir, MANIFEST_FILE));
  await onStep(`archive ${old.run_id}`);
  log(`archived the outgoing set ${old.run_id} in ${relative(process.cwd(), join(modelsDir, ARCHIVE_DIR)) || ARCHIVE_DIR}/ (served to pinned URLs)`);
}

/** Gates, stages and atomically swaps in a model set. Returns the manifest as published. */
export async function publishModels(opts: PublishOptions): Promise<Manifest> {
  const log = opts.log ?? (() => {});
  const onStep = opts.onStep ?? (() => {});
  const dataset = datasetIdOf(opts.manifest);
  const floors = floorsFor(dataset);
  const gate = checkQualityFloors(opts.manifest.metrics, floors);
  if (!gate.passed && !opts.force) {
    const where = opts.runDir ?? opts.fromDir;
    throw new QualityGateError(
      `quality gate: ${gate.misses.length} of the floors in core/quality-floors.ts missed, so ${opts.modelsDir} was not replaced:\n` +
        `${formatMisses(gate)}\n` +
        `the run's files are in ${where}; publish them anyway with \`npm run publish-models -- ${where} --into-models --force\` (recorded in the manifest)`,
    );
  }
  const manifest = manifestSchema.parse({
    ...opts.manifest,
    dataset_id: dataset,
    quality_gate: {
      passed: gate.passed,
      forced: !gate.passed,
      floors: floors.length,
      misses: gate.misses.map((m) => m.message),
    },
  });
  if (!gate.passed) log(`quality gate missed, publishing anyway (--force; recorded in manifest.quality_gate):\n${formatMisses(gate)}`);

  // one publish at a time: they share .models-staging (core/models-dir.ts withModelsDirLock)
  await withModelsDirLock(opts.modelsDir, `publish ${manifest.run_id} into ${opts.modelsDir}`, async () => {
    for (const line of await recoverModelsDir(opts.modelsDir)) log(line);
    const staging = stagingDirFor(opts.modelsDir);
    await mkdir(staging, { recursive: true });
    await onStep('mkdir staging');

    // the new set, then whatever the old models/ holds that the new set does not bring (e.g. REPORT.md and
    // figures/ when only the ONNX files are re-exported), manifest.json last
    const brought = new Set(await readdir(opts.fromDir));
    for (const name of brought) {
      if (name === MANIFEST_FILE) continue;
      await copyEntry(join(opts.fromDir, name), join(staging, name));
      await onStep(`stage ${name}`);
    }
    for (const name of await readdir(opts.modelsDir).catch(() => [] as string[])) {
      // dot-entries and *.tmp are leftovers of older tools, not part of a set
      if (brought.has(name) || name === MANIFEST_FILE || name.startsWith('.') || name.endsWith('.tmp')) continue;
      await copyEntry(join(opts.modelsDir, name), join(staging, name));
      await onStep(`keep ${name}`);
    }
    await archiveOutgoingSet(opts.modelsDir, staging, manifest, onStep, log);
    await writeFile(join(staging, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
    await fsyncPath(join(staging, MANIFEST_FILE));
    await onStep(`stage ${MANIFEST_FILE}`);

    const problems = await modelsDirProblems(staging);
    for (const spec of Object.values(MODEL_SPECS).filter((s) => s.edge)) {
      const file = float16File(spec.file);
      if (!(await exists(join(staging, file)))) problems.push(`${file} (bundled by the worker) is missing`);
    }
    if (problems.length > 0) {
      await rm(staging, { recursive: true, force: true });
      throw new Error(`not publishing ${relative(process.cwd(), opts.fromDir) || opts.fromDir}: the staged set is inconsistent:\n  - ${problems.join('\n  - ')}`);
    }

    for (const file of await listFiles(staging)) await fsyncPath(join(staging, file));
    await swapInStaging(opts.modelsDir, onStep);
  });
  return manifest;
}

/** Copies a file or a directory tree (fsynced before the swap). */
async function copyEntry(from: string, to: string): Promise<void> {
  if ((await stat(from)).isDirectory()) {
    await cp(from, to, { recursive: true });
    return;
  }
  await copyFile(from, to);
}
