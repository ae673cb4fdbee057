/**
 * ONNX sessions for one model set (one version of one dataset), created once per isolate and reused by every
 * request, and the scheduler their runs go through (one at a time: the single-threaded wasm runtime shares one
 * heap between sessions, so every store of an isolate shares one scheduler; see scheduler.ts for the bound and
 * why it is safe across requests). edge/registry/ makes one store per open version.
 *
 * A set has the edge models its manifest lists, not necessarily all of EDGE_MODEL_IDS (a route needing a
 * model the set lacks answers 4xx before it gets here). Every file given with a sha256 is checked against it
 * when the sessions open: a corrupt file makes this version unavailable (503), never another one.
 *
 * A failed load is not cached forever, but not retried by every request either: after a failure the
 * next attempt waits 1 s, then 2, 4, ... up to 60 s (`retryAfterSeconds` says how long is left). The
 * reason is logged in full; clients get a short one naming the file, never the runtime's internals.
 */
import { MODEL_SPECS, TENSOR, type ModelId } from '../../core/contract';
import { configureOrt, ort } from './ort';
import { Scheduler, sleep } from './scheduler';
import { setVersionOf } from './version';

/** The models the worker serves; each is a `MODEL_SPECS` id with `edge: true`. */
export const EDGE_MODEL_IDS = ['generator', 'decoder', 'cgan-generator', 'encoder', 'classifier', 'recognizer'] as const satisfies readonly ModelId[];
export type EdgeModelId = (typeof EDGE_MODEL_IDS)[number];

export interface ModelFile {
  /** file name in the set, e.g. generator.f16.onnx */
  file: string;
  bytes: ArrayBuffer;
  /** the manifest's sha256 of the file: checked before the runtime sees the bytes */
  sha256?: string;
}
/** The set's served files; a set may lack some edge models (e.g. a dataset without a recognizer). */
export type ModelFiles = Partial<Record<EdgeModelId, ModelFile>>;

export interface LoadedModels {
  /** one session per model of the set (`models`); routes check `models` before touching a session */
  sessions: Record<EdgeModelId, ort.InferenceSession>;
  /** the edge models this set has, in EDGE_MODEL_IDS order */
  models: EdgeModelId[];
  /** The set's version (version.ts): content address of its served files. */
  version: string;
  /** Width of this set's latent code, read from its decoder's input (sets differ: 16 before issue 20, 32 after). */
  latentDim: number;
}

/**
 * The code width of a set: the last dimension of its decoder's input (or its encoder's output), as the
 * graph declares it. A set whose graphs declare no fixed width, or disagree, cannot be served.
 */
export function latentDimOf(sessions: Partial<Record<EdgeModelId, ort.InferenceSession>>): number {
  const widthOf = (meta: readonly ort.InferenceSession.ValueMetadata[] | undefined, name: string) => {
    const value = meta?.find((m) => m.name === name);
    const last = value && value.isTensor ? value.shape.at(-1) : undefined;
    return typeof last === 'number' && Number.isInteger(last) && last > 0 ? last : undefined;
  };
  const widths = [
    widthOf(sessions.decoder?.inputMetadata, TENSOR.latent),
    widthOf(sessions.encoder?.outputMetadata, TENSOR.latent),
    widthOf(sessions.classifier?.inputMetadata, TENSOR.latent),
    widthOf(sessions.generator?.outputMetadata, TENSOR.latent),
    widthOf(sessions['cgan-generator']?.outputMetadata, TENSOR.latent),
  ].filter((w): w is number => w !== undefined);
  if (widths.length === 0) throw new ModelsUnavailableError('the model set declares no latent code width');
  if (widths.some((w) => w !== widths[0])) throw new ModelsUnavailableError(`the model set's latent code widths disagree (${widths.join(', ')})`);
  return widths[0];
}

/** The edge models present in `files`, in EDGE_MODEL_IDS order. */
export const modelsOf = (files: ModelFiles): EdgeModelId[] => EDGE_MODEL_IDS.filter((id) => files[id] !== undefined);

/** Why the models cannot serve; reported as 503 JSON with Retry-After. The message is for clients: short. */
export class ModelsUnavailableError extends Error {
  override readonly name = 'ModelsUnavailableError';
  constructor(
    message: string,
    /** seconds until the next load attempt */
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** Filled by `use`: how long the job waited for the scheduler and how long its work took (ms). */
export interface UseTiming {
  queue_ms?: number;
  model_ms?: number;
  /** the estimates of the request's jobs, summed */
  cost?: number;
}

/** Adds a scheduler job's estimate to the request's total (its log line and Server-Timing show it). */
export function addCost(timing: UseTiming | undefined, cost: number): void {
  if (timing) timing.cost = Math.round(((timing.cost ?? 0) + cost) * 100) / 100;
}

export interface ModelStoreOptions {
  scheduler?: Scheduler;
  /** clock for the retry backoff (ms) */
  now?: () => number;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;
/**
 * A load another request started and that has not settled in this long is taken as dead: workerd never resumes
 * the continuations of a request that was cancelled (its client left), so its load would hold `loading` forever
 * and every later request would wait on it. A cold load takes ~1 s here; a slow one only costs a second load.
 */
export const LOAD_STALL_MS = 10_000;

async function openSession(id: EdgeModelId, { file, bytes }: ModelFile): Promise<ort.InferenceSession> {
  let session: ort.InferenceSession;
  try {
    // A copy: ORT may take ownership of what it is given, and a retry needs the original intact.
    session = await ort.InferenceSession.create(new Uint8Array(bytes).slice(), { graphOptimizationLevel: 'all' });
  } catch (err) {
    console.error(`cannot load ${file}:`, err);
    throw new ModelsUnavailableError(`cannot load ${file}: the runtime rejected the file`);
  }
  const spec = MODEL_SPECS[id];
  const expect = (kind: string, want: string[], got: readonly string[]) => {
    if (want.length !== got.length || want.some((name) => !got.includes(name))) {
      throw new ModelsUnavailableError(`${file}: expected ${kind} [${want.join(', ')}], got [${got.join(', ')}]`);
    }
  };
  expect('inputs', spec.inputs.map((t) => t.name), session.inputNames);
  expect('outputs', spec.outputs.map((t) => t.name), session.outputNames);
  return session;
}

const hex = (bytes: ArrayBuffer) => [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');

/** sha256 of every file; a mismatch with the manifest's is this version's 503, naming the file. */
async function checkedHashes(files: ModelFiles): Promise<Record<string, string>> {
  const hashes: Record<string, string> = {};
  for (const id of modelsOf(files)) {
    const { file, bytes, sha256 } = files[id]!;
    const actual = hex(await crypto.subtle.digest('SHA-256', bytes));
    if (sha256 !== undefined && actual !== sha256) {
      console.error(`${file}: sha256 ${actual}, the manifest says ${sha256}`);
      throw new ModelsUnavailableError(`${file} is corrupt (its sha256 does not match the manifest)`);
    }
    hashes[id] = actual;
  }
  return hashes;
}

export class ModelStore {
  readonly scheduler: Scheduler;
  private readonly now: () => number;
  private loading: Promise<LoadedModels> | null = null;
  /** when `loading` began, on `now`: awaitOtherLoad gives it up after LOAD_STALL_MS */
  private loadStartedAt = 0;
  private loaded: LoadedModels | null = null;
  private lastError: ModelsUnavailableError | null = null;
  private failures = 0;
  private retryAt = 0;
  /** sessions opened at startup by `warm()`, taken by the first load */
  private warmSessions: Record<EdgeModelId, ort.InferenceSession> | null = null;

  constructor(
    private readonly files: ModelFiles,
    options: ModelStoreOptions = {},
  ) {
    this.scheduler = options.scheduler ?? new Scheduler();
    this.now = options.now ?? Date.now;
  }

  /**
   * The loaded models; starts loading on first use, and again after a failure once the backoff has
   * passed. Until then it rejects at once with the last failure and the seconds left.
   */
  load(): Promise<LoadedModels> {
    if (this.loaded) return Promise.resolve(this.loaded);
    if (!this.loading && this.lastError) {
      const waitMs = this.retryAt - this.now();
      if (waitMs > 0) {
        return Promise.reject(new ModelsUnavailableError(this.lastError.message, Math.ceil(waitMs / 1000)));
      }
    }
    if (this.loading) return this.awaitOtherLoad();
    const attempt: Promise<LoadedModels> = this.open().then(
      (models) => {
        if (this.loaded) {
          // two attempts finished (one had been given up as stalled): the first to finish is kept
          void Promise.allSettled(Object.values(models.sessions).map((s) => s.release()));
        } else {
          this.loaded = models;
          this.lastError = null;
          this.failures = 0;
        }
        if (this.loading === attempt) this.loading = null;
        return this.loaded;
      },
      (err: unknown) => {
        const current = this.loading === attempt;
        if (current) this.loading = null;
        const error = err instanceof ModelsUnavailableError ? err : new ModelsUnavailableError('the models failed to load');
        if (!(err instanceof ModelsUnavailableError)) console.error('model load failed:', err);
        if (!current) throw error;
        const delayMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failures);
        this.failures++;
        this.retryAt = this.now() + delayMs;
        this.lastError = new ModelsUnavailableError(error.message, Math.ceil(delayMs / 1000));
        throw this.lastError;
      },
    );
    this.loading = attempt;
    this.loadStartedAt = this.now();
    return attempt;
  }

  /**
   * A load started by another request: wait for it on this request's own timer rather than on that
   * request's promise, which would continue in (and die with) the other request's context (see
   * scheduler.ts for why that matters in workerd). A load that has not settled within LOAD_STALL_MS
   * is given up, and this request starts its own.
   */
  private async awaitOtherLoad(): Promise<LoadedModels> {
    while (this.loading && !this.loaded && this.now() - this.loadStartedAt < LOAD_STALL_MS) {
      await sleep(5);
    }
    if (this.loaded) return this.loaded;
    if (this.loading) {
      console.error(`a model load gave no answer in ${LOAD_STALL_MS / 1000} s (its request was likely cancelled); loading again`);
      this.loading = null;
      return this.load();
    }
    throw this.lastError ?? new ModelsUnavailableError('the models failed to load');
  }

  /**
   * Runs `work` with the loaded models when the scheduler gives this request its turn. `cost` is
   * `estimateCost(...)` of the job; `signal` (the request's) drops the job if the client leaves while
   * it waits. Throws OverloadedError when too much work is queued, ModelsUnavailableError when the
   * models cannot load.
   */
  async use<T>(cost: number, work: (models: LoadedModels) => Promise<T>, signal?: AbortSignal, timing?: UseTiming): Promise<T> {
    this.active++;
    addCost(timing, cost);
    try {
      const models = await this.load();
      const queued = performance.now();
      // `return await`, not `return`: run() may reject at once (overloaded), and a promise returned already
      // rejected is adopted a microtask later, which workerd reports as an unhandled rejection meanwhile
      return await this.scheduler.run(
        cost,
        async () => {
          const started = performance.now();
          if (timing) timing.queue_ms = Math.round(started - queued);
          try {
            return await work(models);
          } finally {
            if (timing) timing.model_ms = Math.round(performance.now() - started);
          }
        },
        signal,
      );
    } finally {
      this.active--;
    }
  }

  /** The last load failed and its backoff has passed (the next load() tries again). */
  get retryDue(): boolean {
    return !this.loaded && !this.loading && this.lastError !== null && this.retryAt <= this.now();
  }

  /** Whether the sessions are open (a request using them now does no load work). */
  get isOpen(): boolean {
    return this.loaded !== null;
  }

  /** Jobs of this store's requests still running or waiting: a store in use is never released. */
  private active = 0;
  get inUse(): boolean {
    return this.active > 0 || this.loading !== null;
  }

  /** Releases the sessions (the registry evicting a version no request uses); a later load reopens them. */
  async release(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = null;
    if (loaded) await Promise.allSettled(Object.values(loaded.sessions).map((s) => s.release()));
  }

  /** The reason of the last failed load, if the models are not loaded. */
  get failure(): string | null {
    return this.lastError?.message ?? null;
  }

  /**
   * Opens the sessions at worker startup (global scope), without the model version, which the first load()
   * adds to these sessions (see edge/index.ts for why it is not computed at startup). A failure here is
   * left to that load (and its backoff).
   */
  async warm(): Promise<void> {
    if (this.loaded || this.warmSessions) return;
    configureOrt();
    const sessions = {} as Record<EdgeModelId, ort.InferenceSession>;
    try {
      for (const id of modelsOf(this.files)) sessions[id] = await openSession(id, this.files[id]!);
      this.warmSessions = sessions;
    } catch {
      await Promise.allSettled(Object.values(sessions).map((s) => s.release()));
    }
  }

  private async open(): Promise<LoadedModels> {
    configureOrt();
    const sessions = this.warmSessions ?? ({} as Record<EdgeModelId, ort.InferenceSession>);
    this.warmSessions = null;
    try {
      // hashes first: the runtime never parses a file that is not the manifest's
      const version = await setVersionOf(await checkedHashes(this.files));
      const models = modelsOf(this.files);
      for (const id of models) sessions[id] ??= await openSession(id, this.files[id]!);
      return { sessions, models, version, latentDim: latentDimOf(sessions) };
    } catch (err) {
      await Promise.allSettled(Object.values(sessions).map((s) => s.release()));
      throw err;
    }
  }
}
