/**
 * ONNX sessions for the bundled models, created once per isolate and reused by every request, and the
 * scheduler their runs go through (one at a time: the single-threaded wasm runtime shares one heap
 * between sessions; see scheduler.ts for the bound and why it is safe across requests).
 *
 * A failed load is not cached forever, but not retried by every request either: after a failure the
 * next attempt waits 1 s, then 2, 4, ... up to 60 s (`retryAfterSeconds` says how long is left). The
 * reason is logged in full; clients get a short one naming the file, never the runtime's internals.
 */
import { MODEL_SPECS, type ModelId } from '../../core/contract';
import { configureOrt, ort } from './ort';
import { Scheduler } from './scheduler';
import { modelVersion } from './version';

/** The models the worker serves; each is a `MODEL_SPECS` id with `edge: true`. */
export const EDGE_MODEL_IDS = ['generator', 'decoder', 'cgan-generator', 'encoder', 'classifier', 'recognizer'] as const satisfies readonly ModelId[];
export type EdgeModelId = (typeof EDGE_MODEL_IDS)[number];

export interface ModelFile {
  /** file name under models/, e.g. generator.f16.onnx */
  file: string;
  bytes: ArrayBuffer;
}
export type ModelFiles = Record<EdgeModelId, ModelFile>;

export interface LoadedModels {
  sessions: Record<EdgeModelId, ort.InferenceSession>;
  /** The model version (version.ts): covers the weights, onnxruntime-web and the encoders. */
  version: string;
}

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

export interface ModelStoreOptions {
  scheduler?: Scheduler;
  /** clock for the retry backoff (ms) */
  now?: () => number;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 60_000;

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

export class ModelStore {
  readonly scheduler: Scheduler;
  private readonly now: () => number;
  private loading: Promise<LoadedModels> | null = null;
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
    this.loading = this.open().then(
      (models) => {
        this.loaded = models;
        this.lastError = null;
        this.failures = 0;
        this.loading = null;
        return models;
      },
      (err: unknown) => {
        this.loading = null;
        const error = err instanceof ModelsUnavailableError ? err : new ModelsUnavailableError('the models failed to load');
        if (!(err instanceof ModelsUnavailableError)) console.error('model load failed:', err);
        const delayMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** this.failures);
        this.failures++;
        this.retryAt = this.now() + delayMs;
        this.lastError = new ModelsUnavailableError(error.message, Math.ceil(delayMs / 1000));
        throw this.lastError;
      },
    );
    return this.loading;
  }

  /**
   * A load started by another request: wait for it on this request's own timer rather than on that
   * request's promise, which would continue in (and die with) the other request's context (see
   * scheduler.ts for why that matters in workerd).
   */
  private async awaitOtherLoad(): Promise<LoadedModels> {
    while (this.loading) await new Promise((resolve) => setTimeout(resolve, 5));
    if (this.loaded) return this.loaded;
    throw this.lastError ?? new ModelsUnavailableError('the models failed to load');
  }

  /**
   * Runs `work` with the loaded models when the scheduler gives this request its turn. `cost` is
   * `estimateCost(...)` of the job; `signal` (the request's) drops the job if the client leaves while
   * it waits. Throws OverloadedError when too much work is queued, ModelsUnavailableError when the
   * models cannot load.
   */
  async use<T>(cost: number, work: (models: LoadedModels) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const models = await this.load();
    // `return await`, not `return`: run() may reject at once (overloaded), and a promise returned already
    // rejected is adopted a microtask later, which workerd reports as an unhandled rejection meanwhile
    return await this.scheduler.run(cost, () => work(models), signal);
  }

  /** The reason of the last failed load, if the models are not loaded. */
  get failure(): string | null {
    return this.lastError?.message ?? null;
  }

  /**
   * Opens the sessions at worker startup (global scope), without the model version: computing it runs the
   * PNG encoder, whose CompressionStream workerd forbids outside a handler. The first load() takes these
   * sessions and adds the version. A failure here is left to that load (and its backoff).
   */
  async warm(): Promise<void> {
    if (this.loaded || this.warmSessions) return;
    configureOrt();
    const sessions = {} as Record<EdgeModelId, ort.InferenceSession>;
    try {
      for (const id of EDGE_MODEL_IDS) sessions[id] = await openSession(id, this.files[id]);
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
      for (const id of EDGE_MODEL_IDS) sessions[id] ??= await openSession(id, this.files[id]);
      return { sessions, version: await modelVersion(this.files) };
    } catch (err) {
      await Promise.allSettled(Object.values(sessions).map((s) => s.release()));
      throw err;
    }
  }
}
