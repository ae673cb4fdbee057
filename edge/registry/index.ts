/**
 * The model registry: which model sets exist, which one each dataset's channel serves, and their sessions.
 * The one place in edge/ that knows where a version's bytes live. Its API is three calls:
 * - `resolve(bucket, dataset, pinned?)`: the set a request is for (the channel's version, or the pinned one);
 * - `list(bucket)`: every dataset with its channel, versions and history (GET /v1/models);
 * - `embeddedSet()`: the default set shipped in the bundle (/health, start-up).
 *
 * Where versions live:
 * - the default MNIST set is embedded in the script bundle (edge/bundle.ts), so a fresh deploy and a fresh
 *   clone serve it with no registry state, its sessions open at start-up;
 * - every other version is in R2 (binding MODELS, layout `REGISTRY` in core/manifest.ts): its files under
 *   `sets/<dataset>/<version>/`, `manifest.json` written last (present = complete), and the channel
 *   `channels/<dataset>.json` naming the current version and the history. Without a channel object the MNIST
 *   channel is the embedded set.
 * A version is content-addressed (core/manifest.ts `setVersion`) and immutable: its manifest is cached for the
 * isolate's life, and its files are checked against the manifest's sha256 when its sessions open (model-store.ts).
 *
 * Memory: sessions open on first use; at most `maxOpenSets` versions keep open sessions (the least recently used
 * idle one is released first; the embedded set is never released). bench/stages/registry.ts measures what one
 * open set costs.
 *
 * Cross-request rules (scheduler.ts header): nothing here shares a promise between requests. Two requests opening
 * the same version both read it; the first to finish registers its store and the other adopts that one.
 */
import {
  DATASET_IDS,
  DATASETS,
  DEFAULT_DATASET,
  REGISTRY,
  VERSION_PATTERN,
  channelSchema,
  datasetIdOf,
  isDatasetId,
  manifestSchema,
  servedHashes,
  servedKey,
  setVersion,
  type Channel,
  type DatasetId,
  type Manifest,
} from '../../core/manifest';
import { EDGE_MODEL_IDS, ModelStore, modelsOf, ModelsUnavailableError, type EdgeModelId, type ModelFiles } from '../inference/model-store';
import type { Scheduler } from '../inference/scheduler';

/** The part of an R2 bucket binding the registry reads. */
export interface RegistryBucket {
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer>; text(): Promise<string> } | null>;
  list(options: { prefix: string; delimiter?: string }): Promise<{ delimitedPrefixes: string[] }>;
}

/** The worker's bindings the registry reads (wrangler.jsonc `r2_buckets`, `vars`). */
export interface RegistryEnv {
  MODELS?: RegistryBucket;
  /** ms a read channel is trusted (default DEFAULT_CHANNEL_TTL_MS); the served tests set 0 */
  CHANNEL_TTL_MS?: string;
}

/** One version of one dataset, ready to serve (its sessions may not be open yet). */
export interface ModelSet {
  dataset: DatasetId;
  version: string;
  manifest: Manifest;
  store: ModelStore;
  /** the edge models the set has */
  models: EdgeModelId[];
  classes: readonly string[];
}

/** A request the registry cannot serve: becomes JSON with `status` and `code` in the app's error handler. */
export class RegistryError extends Error {
  override readonly name = 'RegistryError';
  constructor(
    readonly status: 400 | 404 | 410,
    readonly code: 'unknown_dataset' | 'unknown_version' | 'version_deleted' | 'model_missing',
    message: string,
    readonly parameter?: string,
  ) {
    super(message);
  }
}

export interface EmbeddedSet {
  manifest: unknown;
  files: ModelFiles;
  store: ModelStore;
}

export interface RegistryOptions {
  embedded: EmbeddedSet;
  scheduler: Scheduler;
  /** versions whose sessions stay open at once (the memory budget, see the header) */
  maxOpenSets?: number;
  /** how long a read channel is trusted before R2 is asked again */
  channelTtlMs?: number;
  /** longest wait for one R2 read (default DEFAULT_READ_TIMEOUT_MS) */
  readTimeoutMs?: number;
  now?: () => number;
}

export const DEFAULT_MAX_OPEN_SETS = REGISTRY.maxOpenSets;
export const DEFAULT_CHANNEL_TTL_MS = 5000;
/** longest wait for one R2 read (an object and its body) before the request is answered 503 */
export const DEFAULT_READ_TIMEOUT_MS = 10_000;

/**
 * `read`, or past `ms` a 503 naming what did not arrive: an R2 read that never answers must not hold the
 * request (and its client) until the platform ends it. On this request's own timer; a read that answers
 * late is dropped.
 */
async function withinDeadline<T>(read: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      console.error(`registry: no answer reading ${what} within ${ms} ms`);
      reject(new ModelsUnavailableError(`the model registry did not answer reading ${what} within ${ms / 1000} s`, 5));
    }, ms);
  });
  try {
    return await Promise.race([read, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface DatasetListing {
  id: DatasetId;
  title: string;
  classes: readonly string[];
  /** the version unpinned requests get; null when the dataset has none yet */
  channel: string | null;
  versions: Array<{ version: string; run_id: string; created_at: string; quality_gate: Manifest['quality_gate'] | null; metrics: Manifest['metrics'] }>;
  history: Channel['history'];
}

const datasetList = DATASET_IDS.join(', ');

export class Registry {
  private readonly sets = new Map<string, { set: ModelSet; usedAt: number }>();
  /** parsed manifests by `dataset@version`: immutable, so kept (a few KB each) */
  private readonly manifests = new Map<string, Manifest>();
  private readonly channels = new Map<DatasetId, { channel: Channel | null; readAt: number }>();
  private embedded: ModelSet | null = null;
  private readonly now: () => number;
  private readonly maxOpenSets: number;
  private channelTtlMs: number;
  private readonly readTimeoutMs: number;

  constructor(private readonly options: RegistryOptions) {
    this.now = options.now ?? Date.now;
    this.readTimeoutMs = options.readTimeoutMs ?? DEFAULT_READ_TIMEOUT_MS;
    this.maxOpenSets = options.maxOpenSets ?? DEFAULT_MAX_OPEN_SETS;
    this.channelTtlMs = options.channelTtlMs ?? DEFAULT_CHANNEL_TTL_MS;
  }

  /** The set shipped in the bundle (its version from the manifest's hashes; the store checks the bytes). */
  async embeddedSet(): Promise<ModelSet> {
    if (this.embedded) return this.embedded;
    const parsed = manifestSchema.safeParse(this.options.embedded.manifest);
    if (!parsed.success) {
      console.error('the bundled manifest is invalid:', parsed.error.message);
      throw new ModelsUnavailableError('the bundled models/manifest.json is invalid', 60);
    }
    const { files, store } = this.options.embedded;
    const manifest = parsed.data;
    const hashes: Record<string, string> = {};
    for (const id of modelsOf(files)) hashes[id] = files[id]!.sha256 ?? manifest.models[servedKey(id)]?.sha256 ?? '';
    const dataset = datasetIdOf(manifest);
    this.embedded = { dataset, version: await setVersion(hashes), manifest, store, models: modelsOf(files), classes: DATASETS[dataset].classes };
    return this.embedded;
  }

  /**
   * The set a request for `dataset` (default MNIST) is for: the pinned version, or the channel's. Throws
   * RegistryError (unknown dataset or version: 404, deleted version: 410) or ModelsUnavailableError (503:
   * a missing or corrupt object of that version, or no version promoted yet).
   */
  async resolve(env: RegistryEnv | undefined, dataset: string | undefined, pinned?: string): Promise<ModelSet> {
    const bucket = env?.MODELS;
    this.ttlFrom(env);
    const id = dataset ?? DEFAULT_DATASET;
    if (!isDatasetId(id)) {
      throw new RegistryError(404, 'unknown_dataset', `dataset ${JSON.stringify(id.slice(0, 64))} is not served; datasets: ${datasetList}`, 'dataset');
    }
    if (pinned !== undefined && !VERSION_PATTERN.test(pinned)) {
      // the routes' schemas refuse this first; kept for callers without them
      throw new RegistryError(400, 'unknown_version', `v must be a model version (12 hex digits), got ${JSON.stringify(pinned.slice(0, 64))}`, 'v');
    }
    if (pinned !== undefined) {
      // a deleted version is gone even where it is still open: its deletion is in the channel's history
      const channel = await this.readChannel(bucket, id, false);
      if (channel && deleted(channel, pinned)) {
        throw new RegistryError(410, 'version_deleted', `version ${pinned} of ${id} was deleted from the registry; the served version is ${channel.current}`, 'v');
      }
    }
    const version = pinned ?? (await this.channelVersion(bucket, id));
    return this.open(bucket, id, version, pinned !== undefined);
  }

  /** Every dataset: its channel, its versions (newest first) and its history. */
  async list(env: RegistryEnv | undefined): Promise<DatasetListing[]> {
    const bucket = env?.MODELS;
    const embedded = await this.embeddedSet();
    const out: DatasetListing[] = [];
    for (const id of DATASET_IDS) {
      const channel = await this.readChannel(bucket, id, true);
      const versions = new Map<string, Manifest>();
      if (embedded.dataset === id) versions.set(embedded.version, embedded.manifest);
      if (bucket) {
        const listed = await withinDeadline(bucket.list({ prefix: `sets/${id}/`, delimiter: '/' }), this.readTimeoutMs, `the list of sets/${id}/`);
        for (const prefix of listed.delimitedPrefixes) {
          const version = prefix.slice(`sets/${id}/`.length, -1);
          if (!VERSION_PATTERN.test(version) || versions.has(version)) continue;
          const manifest = await this.manifestOf(bucket, id, version).catch(() => null);
          if (manifest) versions.set(version, manifest); // no manifest: not completely uploaded, not a version
        }
      }
      const current = channel?.current ?? (embedded.dataset === id ? embedded.version : null);
      out.push({
        id,
        title: DATASETS[id].title,
        classes: DATASETS[id].classes,
        channel: current,
        versions: [...versions]
          .map(([version, m]) => ({ version, run_id: m.run_id, created_at: m.created_at, quality_gate: m.quality_gate ?? null, metrics: m.metrics }))
          .sort((a, b) => b.created_at.localeCompare(a.created_at)),
        history: channel?.history ?? [],
      });
    }
    return out;
  }

  private ttlFrom(env: RegistryEnv | undefined): void {
    const ms = Number(env?.CHANNEL_TTL_MS);
    if (env?.CHANNEL_TTL_MS !== undefined && Number.isFinite(ms) && ms >= 0) this.channelTtlMs = ms;
  }

  private async channelVersion(bucket: RegistryBucket | undefined, dataset: DatasetId): Promise<string> {
    const channel = await this.readChannel(bucket, dataset, false);
    if (channel?.current) return channel.current;
    const embedded = await this.embeddedSet();
    if (embedded.dataset === dataset) return embedded.version;
    throw new ModelsUnavailableError(`${dataset} has no promoted version yet (npm run publish-models, then npm run promote)`, 60);
  }

  /** channels/<dataset>.json, trusted for channelTtlMs (`fresh`: read it now). null when there is none. */
  private async readChannel(bucket: RegistryBucket | undefined, dataset: DatasetId, fresh: boolean): Promise<Channel | null> {
    if (!bucket) return null;
    const cached = this.channels.get(dataset);
    if (!fresh && cached && this.now() - cached.readAt < this.channelTtlMs) return cached.channel;
    const text = await this.readText(bucket, REGISTRY.channelKey(dataset));
    let channel: Channel | null = null;
    if (text !== null) {
      const parsed = channelSchema.safeParse(JSON.parse(text));
      if (!parsed.success) {
        console.error(`${REGISTRY.channelKey(dataset)} is invalid:`, parsed.error.message);
        throw new ModelsUnavailableError(`the ${dataset} channel is unreadable`, 5);
      }
      channel = parsed.data;
    }
    this.channels.set(dataset, { channel, readAt: this.now() });
    return channel;
  }

  private async manifestOf(bucket: RegistryBucket, dataset: DatasetId, version: string): Promise<Manifest | null> {
    const key = `${dataset}@${version}`;
    const known = this.manifests.get(key);
    if (known) return known;
    const text = await this.readText(bucket, REGISTRY.manifestKey(dataset, version));
    if (text === null) return null;
    const parsed = manifestSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      console.error(`${REGISTRY.manifestKey(dataset, version)} is invalid:`, parsed.error.message);
      throw new ModelsUnavailableError(`the manifest of ${dataset} version ${version} is invalid`, 60);
    }
    // the address must be the content: a manifest under the wrong version would serve other bytes under a pin
    const actual = await setVersion(servedHashes(parsed.data, EDGE_MODEL_IDS));
    if (actual !== version) {
      console.error(`${REGISTRY.manifestKey(dataset, version)} lists files of version ${actual}`);
      throw new ModelsUnavailableError(`the manifest of ${dataset} version ${version} does not match its version`, 60);
    }
    this.manifests.set(key, parsed.data);
    return parsed.data;
  }

  private async open(bucket: RegistryBucket | undefined, dataset: DatasetId, version: string, pinned: boolean): Promise<ModelSet> {
    const key = `${dataset}@${version}`;
    const open = this.sets.get(key);
    if (open?.set.store.retryDue) {
      // its last load failed (e.g. a corrupt object) and the backoff has passed: read the objects again,
      // so a re-uploaded file is seen without a restart
      this.sets.delete(key);
    } else if (open) {
      open.usedAt = this.now();
      return open.set;
    }
    const embedded = await this.embeddedSet();
    if (embedded.dataset === dataset && embedded.version === version) return embedded;
    const manifest = bucket ? await this.manifestOf(bucket, dataset, version) : null;
    if (!manifest) throw await this.notFound(bucket, dataset, version, pinned);

    const files: ModelFiles = {};
    // all reads at once (this request's own promises): the first request's wall time is the slowest read, not the sum
    const ids = EDGE_MODEL_IDS.filter((id) => manifest.models[servedKey(id)]);
    const reads = await Promise.all(
      ids.map(async (id) => {
        const entry = manifest.models[servedKey(id)];
        return { id, entry, bytes: await this.readBytes(bucket!, REGISTRY.fileKey(dataset, version, entry.file)) };
      }),
    );
    for (const { id, entry, bytes } of reads) {
      if (!bytes) {
        console.error(`${REGISTRY.fileKey(dataset, version, entry.file)} is missing`);
        throw new ModelsUnavailableError(`${entry.file} of ${dataset} version ${version} is missing from the registry`, 60);
      }
      files[id] = { file: entry.file, bytes, sha256: entry.sha256 };
    }
    const raced = this.sets.get(key); // another request finished opening it while this one read
    if (raced) return raced.set;
    const set: ModelSet = {
      dataset,
      version,
      manifest,
      store: new ModelStore(files, { scheduler: this.options.scheduler }),
      models: modelsOf(files),
      classes: DATASETS[dataset].classes,
    };
    this.sets.set(key, { set, usedAt: this.now() });
    await this.evict();
    return set;
  }

  /** An object's text (null when there is none), within the read deadline. */
  private readText(bucket: RegistryBucket, key: string): Promise<string | null> {
    return withinDeadline((async () => (await bucket.get(key))?.text() ?? null)(), this.readTimeoutMs, key);
  }

  /** An object's bytes (null when there is none), within the read deadline. */
  private readBytes(bucket: RegistryBucket, key: string): Promise<ArrayBuffer | null> {
    return withinDeadline((async () => (await bucket.get(key))?.arrayBuffer() ?? null)(), this.readTimeoutMs, key);
  }

  /** Releases the least recently used idle versions past the budget (the embedded set does not count). */
  private async evict(): Promise<void> {
    const idle = [...this.sets].filter(([, s]) => !s.set.store.inUse).sort(([, a], [, b]) => a.usedAt - b.usedAt);
    let excess = this.sets.size - this.maxOpenSets;
    for (const [key, { set }] of idle) {
      if (excess <= 0) break;
      this.sets.delete(key);
      await set.store.release();
      excess--;
    }
  }

  /** 410 for a version the channel's history knows but whose manifest is gone, else 404 naming what is served. */
  private async notFound(bucket: RegistryBucket | undefined, dataset: DatasetId, version: string, pinned: boolean): Promise<Error> {
    const channel = await this.readChannel(bucket, dataset, true);
    if (!pinned) return new ModelsUnavailableError(`the ${dataset} channel names version ${version}, which is not in the registry`, 60);
    const served = channel?.current ?? (await this.embeddedSet()).version;
    if (channel?.history.some((h) => h.version === version)) {
      return new RegistryError(410, 'version_deleted', `version ${version} of ${dataset} was deleted from the registry; the served version is ${served}`, 'v');
    }
    return new RegistryError(404, 'unknown_version', `v=${version} is not a version of ${dataset}; the served version is ${served} (see /v1/models)`, 'v');
  }
}

/** The channel's last word on `version` is its deletion. */
const deleted = (channel: Channel, version: string) => channel.history.filter((h) => h.version === version).at(-1)?.action === 'delete';

/** 400 unless the set has every model a route needs (a set may lack some, e.g. a recognizer). */
export function requireModels(set: ModelSet, needed: readonly EdgeModelId[]): void {
  const missing = needed.filter((id) => !set.models.includes(id));
  if (missing.length > 0) {
    throw new RegistryError(
      400,
      'model_missing',
      `${set.dataset} version ${set.version} has no ${missing.join(', ')} model (it has ${set.models.join(', ')})`,
    );
  }
}
