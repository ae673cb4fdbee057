/**
 * models/ as one unit: it is replaced whole, never file by file, so the worker (which bundles
 * models/*.f16.onnx and models/manifest.json at build time, edge/bundle.ts) and the tools never see new
 * weights under an old manifest. Node-only (node:fs); used by training's publish step and by
 * edge/cli/check-models.ts, never by the worker bundle.
 *
 * Layout beside models/ (same parent, so the same filesystem and rename(2) is atomic):
 *   .models-staging/   the complete new set, manifest.json written last, every file fsynced
 *   .models-previous/  the old set, between the two renames of the fallback below
 *   .models.lock       held by the one publish at a time (pid, host, time; see withModelsDirLock)
 * Replacing, on Linux: one renameat2(RENAME_EXCHANGE) of .models-staging and models/, so at every moment
 * models/ is a whole set (old before the exchange, new after it); then .models-staging (now the old set) is
 * removed. Where the exchange is unavailable (not Linux, a filesystem without it, no python3) the fallback
 * is two renames, rename(models -> .models-previous) then rename(.models-staging -> models), which leaves a
 * moment with no models/; recoverModelsDir repairs a crash there.
 * A crash leaves one of these states, each repaired by recoverModelsDir (run before every publish, by
 * `npm start` / every wrangler build command through check-models / deploy-gate, and by `npm run bench`):
 *   - .models-staging only: an unfinished staging, or the old set after the exchange -> removed
 *   - no models/, .models-previous present (between the fallback's renames) -> renamed back: the old set
 *   - models/ and .models-previous present                  -> .models-previous removed: the new set
 * While a live publish holds the lock, recoverModelsDir leaves its staging alone.
 * A plain directory keeps wrangler's static imports, the Data rule and git working unchanged.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { link, open, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
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

export function lockFileFor(modelsDir: string): string {
  return join(dirname(modelsDir), `.${basename(modelsDir)}.lock`);
}

/** Whether `path` exists (anything stat can see). */
export const exists = (path: string) => stat(path).then(() => true, () => false);

/** Who holds a publish lock (models/'s lock file, the registry's lock object in training/registry-ops.ts). */
export interface LockHolder {
  pid: number;
  host: string;
  at: string;
  what: string;
}

const readHolder = (lock: string): Promise<LockHolder | null> =>
  readFile(lock, 'utf8').then((t) => JSON.parse(t) as LockHolder, () => null);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A holder on this host whose process is gone; a holder on another host is never presumed dead. */
export const deadHolder = (h: LockHolder | null) => h !== null && h.host === hostname() && !alive(h.pid);

/** Thrown when another publish held the lock for longer than the wait. */
export class ModelsDirLockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelsDirLockedError';
  }
}

/**
 * Runs `work` holding models/'s lock, so two publishes never share .models-staging. The lock file is made
 * complete beside and then link(2)ed into place, which fails with EEXIST when held: no reader ever sees a
 * half-written holder. A dead holder's lock (same host, pid gone) is taken over; a live one is waited for
 * (publishes are serialised) up to `waitMs`, then refused naming the holder.
 */
export async function withModelsDirLock<T>(modelsDir: string, what: string, work: () => Promise<T>, waitMs = 10 * 60_000): Promise<T> {
  const lock = lockFileFor(modelsDir);
  const mine: LockHolder = { pid: process.pid, host: hostname(), at: new Date().toISOString(), what };
  const draft = `${lock}.${process.pid}.${Date.now()}`;
  await writeFile(draft, `${JSON.stringify(mine)}\n`);
  const deadline = Date.now() + waitMs;
  try {
    for (let delay = 20; ; delay = Math.min(delay * 2, 500)) {
      try {
        await link(draft, lock);
        break;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = await readHolder(lock);
      if (deadHolder(holder)) {
        // moved aside, then checked: if another process took over first, the lock moved is not the dead one
        const aside = `${lock}.stale.${process.pid}`;
        if (await rename(lock, aside).then(() => true, () => false)) {
          const moved = await readHolder(aside);
          if (moved && !deadHolder(moved)) await link(aside, lock).catch(() => {});
          await rm(aside, { force: true });
        }
        continue;
      }
      if (Date.now() >= deadline) {
        throw new ModelsDirLockedError(
          holder
            ? `${modelsDir} is being published by "${holder.what}" (pid ${holder.pid} on ${holder.host} since ${holder.at}); not publishing "${what}". ` +
                `Wait for it to finish, or if that process is gone remove ${lock}.`
            : `${modelsDir} is locked (${lock}); not publishing "${what}"`,
        );
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  } finally {
    await rm(draft, { force: true });
  }
  try {
    return await work();
  } finally {
    const holder = await readHolder(lock);
    if (holder && holder.pid === mine.pid && holder.host === mine.host && holder.at === mine.at) await unlink(lock).catch(() => {});
  }
}

/** Repairs what an interrupted replaceModelsDir left; returns what it did (empty when nothing was needed). */
export async function recoverModelsDir(modelsDir: string): Promise<string[]> {
  const done: string[] = [];
  const holder = await readHolder(lockFileFor(modelsDir));
  if (holder && holder.pid !== process.pid && !deadHolder(holder)) {
    return [`left ${dirname(modelsDir)} alone: "${holder.what}" (pid ${holder.pid} on ${holder.host}) is publishing; models/ stays whole throughout`];
  }
  if (deadHolder(holder)) {
    await rm(lockFileFor(modelsDir), { force: true });
    done.push(`removed ${lockFileFor(modelsDir)} (its publish, pid ${holder!.pid}, is gone)`);
  }
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
    done.push(`removed ${staging} (an unfinished publish, or the old set after an exchange)`);
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

// Node has no binding for renameat2 and no npm package for it is in reach here (coreutils' `mv --exchange`
// is 9.5+, this Debian has 9.1): glibc's renameat2 is called through python3's ctypes, one short process.
const EXCHANGE_PY = [
  'import ctypes, os, sys',
  'libc = ctypes.CDLL(None, use_errno=True)',
  'f = getattr(libc, "renameat2", None)',
  'sys.exit(3) if f is None else None',
  'r = f(-100, os.fsencode(sys.argv[1]), -100, os.fsencode(sys.argv[2]), 2)',  // AT_FDCWD, RENAME_EXCHANGE
  'e = ctypes.get_errno()',
  'sys.exit(0) if r == 0 else (print(os.strerror(e)), sys.exit(3 if e in (22, 38, 95) else 4))',  // EINVAL, ENOSYS, EOPNOTSUPP
].join('\n');

/**
 * Atomically exchanges two directories (renameat2 RENAME_EXCHANGE). false when the platform or filesystem
 * cannot (the caller falls back); throws on any other failure.
 */
export function exchangeDirs(a: string, b: string): boolean {
  if (process.platform !== 'linux' || process.env.MODELS_DIR_NO_EXCHANGE === '1') return false;
  const py = spawnSync('/usr/bin/python3', ['-c', EXCHANGE_PY, a, b], { encoding: 'utf8' });
  if (py.error || py.status === 3) return false;
  if (py.status !== 0) throw new Error(`renameat2(RENAME_EXCHANGE, ${a}, ${b}) failed: ${py.stdout.trim() || py.stderr.trim() || py.status}`);
  return true;
}

/**
 * Puts the complete set in `stagingDirFor(modelsDir)` in place of models/ (see the header). The caller has
 * filled and verified the staging directory; this fsyncs it, exchanges it with models/ (or, where that is
 * unavailable, does the two renames) and removes the old set.
 */
export async function swapInStaging(modelsDir: string, onStep: StepHook = () => {}): Promise<void> {
  const staging = stagingDirFor(modelsDir);
  const previous = previousDirFor(modelsDir);
  await fsyncPath(staging);
  const hadModels = await exists(modelsDir);
  if (hadModels && exchangeDirs(staging, modelsDir)) {
    await fsyncPath(dirname(modelsDir));
    await onStep('exchange staging <-> models');
    await rm(staging, { recursive: true, force: true });
    await onStep('remove old set');
    return;
  }
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
