/**
 * Writing the model registry (the worker reads it in edge/registry/; the layout is `REGISTRY` in
 * core/manifest.ts): publish a set as an immutable version, promote a version to its dataset's channel, roll
 * the channel back. Used by `npm run publish-models`, `npm run promote`, `npm run rollback` and the prestart seed.
 *
 * Safety, in the order things happen:
 * - every operation on a dataset holds `locks/<dataset>.json`, taken with a conditional put (only if absent):
 *   two publishes or promotes at once are serialised, the loser waits and then gives up with a message naming
 *   the holder. A lock whose process is gone (same host, pid not alive) or older than LOCK_STALE_MS is taken over.
 *   A put of the lock that fails (R2's transient 500s) is retried up to LOCK_PUT_RETRIES times in a row.
 * - publish uploads every file of the version first and its manifest.json last: a version is visible (listed,
 *   pinnable, promotable) only once its manifest exists, so a publish killed at any point leaves no partial
 *   version, and re-running it completes the same version (same bytes, same address).
 * - promote checks the version is complete (manifest and every file present) and passes its dataset's quality
 *   gate (core/quality-floors.ts), or is `--force`d (recorded in the history with the misses).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { MODEL_SPECS } from '../core/contract';
import {
  channelSchema,
  datasetIdOf,
  manifestSchema,
  REGISTRY,
  servedHashes,
  servedKey,
  setVersion,
  type Channel,
  type DatasetId,
  type HistoryEntry,
  type Manifest,
} from '../core/manifest';
import { deadHolder, MANIFEST_FILE, type LockHolder, type StepHook } from '../core/models-dir';
import { checkQualityFloors, floorsFor, formatMisses } from '../core/quality-floors';

/** The edge models (core/contract.ts `edge: true`): their float16 files are what a version holds. */
export const EDGE_IDS = Object.values(MODEL_SPECS)
  .filter((s) => s.edge)
  .map((s) => s.id);

/** The part of an R2 bucket the operations use (the binding's API: wrangler's local proxy, or remote). */
export interface WritableBucket {
  get(key: string): Promise<{ text(): Promise<string>; arrayBuffer(): Promise<ArrayBuffer> } | null>;
  head(key: string): Promise<unknown>;
  put(key: string, value: ArrayBuffer | Uint8Array | string, options?: { onlyIf?: { etagDoesNotMatch?: string } }): Promise<unknown>;
  delete(key: string): Promise<void>;
}

export class RegistryRefusal extends Error {
  override readonly name = 'RegistryRefusal';
}

const LOCK_STALE_MS = 10 * 60_000;
const LOCK_WAIT_MS = 30_000;
/** transient errors of the lock's conditional put tolerated in a row before giving up */
const LOCK_PUT_RETRIES = 5;


/** Runs `work` holding the dataset's lock (see the header). */
export async function withLock<T>(bucket: WritableBucket, dataset: DatasetId, what: string, work: () => Promise<T>, waitMs = LOCK_WAIT_MS): Promise<T> {
  const key = REGISTRY.lockKey(dataset);
  const mine: LockHolder = { host: hostname(), pid: process.pid, at: new Date().toISOString(), what };
  const deadline = Date.now() + waitMs;
  let failuresInRow = 0;
  let anyFailed = false;
  for (;;) {
    // null: the precondition failed, someone holds it
    let taken: unknown;
    try {
      taken = await bucket.put(key, JSON.stringify(mine), { onlyIf: { etagDoesNotMatch: '*' } });
    } catch (err) {
      // R2 can answer a conditional put with a transient 500 (wrangler's local R2 does when two processes
      // poll one lock): retried a few times, and a put that did land before failing is recognised below
      anyFailed = true;
      if (++failuresInRow > LOCK_PUT_RETRIES || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    failuresInRow = 0;
    if (taken) break;
    const held = await bucket.get(key);
    const holder = held ? (JSON.parse(await held.text()) as LockHolder) : null;
    if (holder && anyFailed && JSON.stringify(holder) === JSON.stringify(mine)) break; // ours, from a put that failed late
    const stale = holder && (deadHolder(holder) || Date.now() - Date.parse(holder.at) > LOCK_STALE_MS);
    if (!holder || stale) {
      await bucket.delete(key);
      continue;
    }
    if (Date.now() > deadline) {
      throw new RegistryRefusal(
        `the ${dataset} registry is locked by "${holder.what}" (pid ${holder.pid} on ${holder.host} since ${holder.at}); ` +
          'try again when it has finished',
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  try {
    return await work();
  } finally {
    await bucket.delete(key);
  }
}

export async function readChannel(bucket: WritableBucket, dataset: DatasetId): Promise<Channel> {
  const object = await bucket.get(REGISTRY.channelKey(dataset));
  if (!object) return { dataset, current: null, history: [] };
  return channelSchema.parse(JSON.parse(await object.text()));
}

async function writeChannel(bucket: WritableBucket, channel: Channel): Promise<void> {
  await bucket.put(REGISTRY.channelKey(channel.dataset), `${JSON.stringify(channel, null, 2)}\n`);
}

const entry = (action: HistoryEntry['action'], version: string, extra: Partial<HistoryEntry> = {}): HistoryEntry => ({
  action,
  version,
  at: new Date().toISOString(),
  forced: false,
  ...extra,
});

export async function readVersionManifest(bucket: WritableBucket, dataset: DatasetId, version: string): Promise<Manifest | null> {
  const object = await bucket.get(REGISTRY.manifestKey(dataset, version));
  return object ? manifestSchema.parse(JSON.parse(await object.text())) : null;
}

export interface PublishSetOptions {
  bucket: WritableBucket;
  /** a directory holding manifest.json and the files it names (models/, models/fashion-mnist/, a run's publish/) */
  dir: string;
  /** the manifest, when it is not dir/manifest.json (a run keeps it beside publish/) */
  manifest?: Manifest;
  /** default: read from the manifest (core/manifest.ts datasetIdOf) */
  dataset?: DatasetId;
  log?: (line: string) => void;
  /** test hook, called after every upload */
  onStep?: StepHook;
}

export interface Published {
  dataset: DatasetId;
  version: string;
  /** false: the version was already complete in the registry (same files, same address) */
  uploaded: boolean;
  gate: ReturnType<typeof checkQualityFloors>;
}

/** Uploads a set as a version (files first, manifest last) and records the publish in the channel's history. */
export async function publishSet(opts: PublishSetOptions): Promise<Published> {
  const log = opts.log ?? (() => {});
  const onStep = opts.onStep ?? (() => {});
  const base = opts.manifest ?? manifestSchema.parse(JSON.parse(await readFile(join(opts.dir, MANIFEST_FILE), 'utf8')));
  const dataset = opts.dataset ?? datasetIdOf(base);
  const floors = floorsFor(dataset);
  const gate = checkQualityFloors(base.metrics, floors);
  const served = servedHashes(base, EDGE_IDS);
  if (Object.keys(served).length === 0) throw new RegistryRefusal(`not publishing ${opts.dir}: its manifest lists none of the served models (${EDGE_IDS.map(servedKey).join(', ')})`);
  const version = await setVersion(served);
  const manifest: Manifest = manifestSchema.parse({
    ...base,
    dataset_id: dataset,
    quality_gate: { passed: gate.passed, forced: false, floors: floors.length, misses: gate.misses.map((m) => m.message) },
  });

  return withLock(opts.bucket, dataset, `publish ${dataset} ${version}`, async () => {
    if (await readVersionManifest(opts.bucket, dataset, version)) {
      log(`${dataset} version ${version} is already in the registry`);
      // a publish killed between its manifest and its history record: record it now
      const channel = await readChannel(opts.bucket, dataset);
      if (!channel.history.some((h) => h.action === 'publish' && h.version === version)) {
        channel.history.push(entry('publish', version));
        await writeChannel(opts.bucket, channel);
      }
      return { dataset, version, uploaded: false, gate };
    }
    for (const id of Object.keys(served)) {
      const file = manifest.models[servedKey(id)].file;
      const bytes = await readFile(join(opts.dir, file));
      // hash what is uploaded: a file that is not the manifest's must never go up under this address
      const sha = createHash('sha256').update(bytes).digest('hex');
      if (sha !== served[id]) throw new RegistryRefusal(`not publishing ${opts.dir}: ${file} has sha256 ${sha}, the manifest says ${served[id]}`);
      // a plain copy: wrangler's proxy refuses a Node Buffer (a view into a shared pool)
      await opts.bucket.put(REGISTRY.fileKey(dataset, version, file), new Uint8Array(bytes));
      log(`  uploaded ${file} (${(bytes.length / 1024).toFixed(0)} KB)`);
      await onStep(`upload ${file}`);
    }
    await opts.bucket.put(REGISTRY.manifestKey(dataset, version), `${JSON.stringify(manifest, null, 2)}\n`);
    await onStep(`upload ${MANIFEST_FILE}`);
    const channel = await readChannel(opts.bucket, dataset);
    channel.history.push(entry('publish', version, gate.passed ? {} : { note: `quality gate missed:\n${formatMisses(gate)}` }));
    await writeChannel(opts.bucket, channel);
    await onStep('record publish');
    return { dataset, version, uploaded: true, gate };
  });
}

/** Why `version` cannot serve: not uploaded at all, or incomplete (manifest or a file missing); null if complete. */
async function incompleteReason(bucket: WritableBucket, dataset: DatasetId, version: string): Promise<string | null> {
  const manifest = await readVersionManifest(bucket, dataset, version);
  if (!manifest) {
    return `${dataset} version ${version} is not in the registry or not fully uploaded (its manifest.json, uploaded last, is missing)`;
  }
  for (const id of EDGE_IDS) {
    const e = manifest.models[servedKey(id)];
    if (e && !(await bucket.head(REGISTRY.fileKey(dataset, version, e.file)))) return `${dataset} version ${version} is incomplete: ${e.file} is missing`;
  }
  return null;
}

/** Points the channel at `version`: it must be complete and pass the gate, or be forced (recorded). */
export async function promote(bucket: WritableBucket, dataset: DatasetId, version: string, opts: { force?: boolean } = {}): Promise<Channel> {
  return withLock(bucket, dataset, `promote ${dataset} ${version}`, async () => {
    const incomplete = await incompleteReason(bucket, dataset, version);
    if (incomplete) throw new RegistryRefusal(`not promoting: ${incomplete}`);
    const manifest = (await readVersionManifest(bucket, dataset, version))!;
    const gate = checkQualityFloors(manifest.metrics, floorsFor(dataset));
    if (!gate.passed && !opts.force) {
      throw new RegistryRefusal(
        `not promoting ${dataset} version ${version}: it misses ${gate.misses.length} quality floor(s) of core/quality-floors.ts:\n${formatMisses(gate)}\n` +
          'it stays published and pinnable (v=); promote it anyway with --force (recorded in the history)',
      );
    }
    const channel = await readChannel(bucket, dataset);
    channel.current = version;
    channel.history.push(entry('promote', version, gate.passed ? {} : { forced: true, note: `forced past the quality gate:\n${formatMisses(gate)}` }));
    await writeChannel(bucket, channel);
    return channel;
  });
}

/** The channel's versions in the order they became current (promotes and rollbacks). */
export function currents(channel: Channel): string[] {
  return channel.history.filter((h) => h.action === 'promote' || h.action === 'rollback').map((h) => h.version);
}

/** Points the channel back at the version current before the last change (or at `to`, which must be complete). */
export async function rollback(bucket: WritableBucket, dataset: DatasetId, to?: string): Promise<Channel> {
  return withLock(bucket, dataset, `rollback ${dataset}`, async () => {
    const channel = await readChannel(bucket, dataset);
    const from = channel.current;
    const seq = currents(channel);
    const target = to ?? seq.slice(0, -1).reverse().find((v) => v !== from);
    if (!target) throw new RegistryRefusal(`cannot roll back ${dataset}: its channel has no earlier version (history: ${seq.join(' -> ') || 'empty'})`);
    const incomplete = await incompleteReason(bucket, dataset, target);
    if (incomplete) throw new RegistryRefusal(`cannot roll back to ${target}: ${incomplete}`);
    channel.current = target;
    channel.history.push(entry('rollback', target, { note: `from ${from}` }));
    await writeChannel(bucket, channel);
    return channel;
  });
}

/**
 * Deletes a version: recorded in the history first (the worker answers 410 for it from then on, also where it
 * is still open), then its manifest (it stops being a version), then its files. The channel's current version
 * cannot be deleted: promote another or roll back first.
 */
export async function deleteVersion(bucket: WritableBucket, dataset: DatasetId, version: string): Promise<Channel> {
  return withLock(bucket, dataset, `delete ${dataset} ${version}`, async () => {
    const channel = await readChannel(bucket, dataset);
    if (channel.current === version) throw new RegistryRefusal(`not deleting ${dataset} version ${version}: it is the channel's current version; promote another or roll back first`);
    const manifest = await readVersionManifest(bucket, dataset, version);
    if (!manifest) throw new RegistryRefusal(`not deleting: ${dataset} version ${version} is not in the registry`);
    channel.history.push(entry('delete', version));
    await writeChannel(bucket, channel);
    await bucket.delete(REGISTRY.manifestKey(dataset, version));
    for (const id of EDGE_IDS) {
      const e = manifest.models[servedKey(id)];
      if (e) await bucket.delete(REGISTRY.fileKey(dataset, version, e.file));
    }
    return channel;
  });
}
