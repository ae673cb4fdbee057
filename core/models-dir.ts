/**
 * models/ as one unit: it is replaced whole, never file by file, so the worker (which bundles
 * models/*.f16.onnx and models/manifest.json at build time, edge/bundle.ts) and the tools never see new
 * weights under an old manifest. Node-only (node:fs); used by training's publish step and by
 * edge/cli/check-models.ts, never by the worker bundle.
 *
 * Layout beside models/ (same parent, so the same filesystem and rename(2) is atomic):
 *   .models-staging/   the complete new set, manifest.json written last, every file fsynced
 *   .models-previous/  the old set, between the two renames below
 * Replacing: rename(models -> .models-previous), rename(.models-staging -> models), remove .models-previous.
 * A crash leaves one of these states, each repaired by recoverModelsDir (run before every publish and by
 * `npm start` / `npm run deploy` through check-models):
 *   - .models-staging only: an unfinished staging          -> removed, models/ is the old set
 *   - no models/, .models-previous present (between renames) -> renamed back: the old set
 *   - models/ and .models-previous present                  -> .models-previous removed: the new set
 * A plain directory keeps wrangler's static imports, the Data rule and git working unchanged.
 */
import { createHash } from 'node:crypto';
import { open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { manifestSchema } from './manifest';

export const MANIFEST_FILE = 'manifest.json';

/** Called after every file operation of a publish; tests throw or kill the process here to simulate a crash. */
export type StepHook = (step: string) => void | Promise<void>;

export function stagingDirFor(modelsDir: string): string {
  return join(dirname(modelsDir), `.${basename(modelsDir)}-staging`);
}

export function previousDirFor(modelsDir: string): string {
  return join(dirname(modelsDir), `.${basename(modelsDir)}-previous`);
}

const exists = (path: string) => stat(path).then(() => true, () => false);

/** Repairs what an interrupted replaceModelsDir left; returns what it did (empty when nothing was needed). */
export async function recoverModelsDir(modelsDir: string): Promise<string[]> {
  const done: string[] = [];
  const staging = stagingDirFor(modelsDir);
  const previous = previousDirFor(modelsDir);
  if (await exists(previous)) {
    if (await exists(modelsDir)) {
      await rm(previous, { recursive: true, force: true });
      done.push(`removed ${previous} (left by a publish that had already put the new set in place)`);
    } else {
      await rename(previous, modelsDir);
      done.push(`restored ${modelsDir} from ${previous} (a publish was interrupted between its two renames)`);
    }
  }
  if (await exists(staging)) {
    await rm(staging, { recursive: true, force: true });
    done.push(`removed ${staging} (an unfinished publish)`);
  }
  return done;
}

/** Flushes a file or directory to disk, so a rename never points at data still in the page cache. */
export async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Puts the complete set in `stagingDirFor(modelsDir)` in place of models/ (see the header). The caller has
 * filled and verified the staging directory; this fsyncs it and does the two renames and the clean-up.
 */
export async function swapInStaging(modelsDir: string, onStep: StepHook = () => {}): Promise<void> {
  const staging = stagingDirFor(modelsDir);
  const previous = previousDirFor(modelsDir);
  await fsyncPath(staging);
  const hadModels = await exists(modelsDir);
  if (hadModels) {
    await rename(modelsDir, previous);
    await onStep('rename models -> previous');
  }
  await rename(staging, modelsDir);
  await fsyncPath(dirname(modelsDir));
  await onStep('rename staging -> models');
  if (hadModels) {
    await rm(previous, { recursive: true, force: true });
    await onStep('remove previous');
  }
}

/**
 * What is wrong with a models directory as a set: manifest.json missing or not matching the schema, a file
 * the manifest names missing, or its sha256 or size not the manifest's. Empty when consistent.
 */
export async function modelsDirProblems(modelsDir: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(modelsDir, MANIFEST_FILE), 'utf8');
  } catch {
    return [`${join(modelsDir, MANIFEST_FILE)} is missing`];
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return [`${join(modelsDir, MANIFEST_FILE)} is not JSON: ${(err as Error).message}`];
  }
  const parsed = manifestSchema.safeParse(json);
  if (!parsed.success) return [`${join(modelsDir, MANIFEST_FILE)} does not match the manifest schema: ${parsed.error.message}`];
  const problems: string[] = [];
  for (const [key, entry] of Object.entries(parsed.data.models)) {
    let bytes: Buffer;
    try {
      bytes = await readFile(join(modelsDir, entry.file));
    } catch {
      problems.push(`manifest entry "${key}" names ${entry.file}, which is missing`);
      continue;
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== entry.sha256) problems.push(`${entry.file} has sha256 ${sha}, the manifest says ${entry.sha256}`);
    else if (bytes.length !== entry.bytes) problems.push(`${entry.file} has ${bytes.length} bytes, the manifest says ${entry.bytes}`);
  }
  return problems;
}

/** Every file under `dir`, relative paths, sorted (for tests and logs). */
export async function listFiles(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(join(dir, e.name), rel)));
    else out.push(rel);
  }
  return out.sort();
}
