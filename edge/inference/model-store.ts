/**
 * ONNX sessions for the bundled models, created once per isolate and reused by every request.
 * A failed load is not cached: the error is reported (503 with the reason) and the next request tries
 * again. Runs are serialised because the single-threaded wasm runtime shares one heap between sessions.
 */
import { MODEL_SPECS, type ModelId } from '../../core/contract';
import { configureOrt, ort } from './ort';

/** The models the worker serves; each is a `MODEL_SPECS` id with `edge: true`. */
export const EDGE_MODEL_IDS = ['generator', 'decoder', 'cgan-generator', 'encoder', 'classifier'] as const satisfies readonly ModelId[];
export type EdgeModelId = (typeof EDGE_MODEL_IDS)[number];

export interface ModelFile {
  /** file name under models/, e.g. generator.f16.onnx */
  file: string;
  bytes: ArrayBuffer;
}
export type ModelFiles = Record<EdgeModelId, ModelFile>;

export interface LoadedModels {
  sessions: Record<EdgeModelId, ort.InferenceSession>;
  /**
   * The model version: first 12 hex digits of sha256 over the bundled files' bytes, concatenated in
   * EDGE_MODEL_IDS order. It changes exactly when any served weight changes, so it keys ETags.
   */
  version: string;
}

/** Why the models cannot serve; reported as 503 JSON. */
export class ModelsUnavailableError extends Error {
  override readonly name = 'ModelsUnavailableError';
}

export async function modelVersion(files: ModelFiles): Promise<string> {
  const parts = EDGE_MODEL_IDS.map((id) => new Uint8Array(files[id].bytes));
  const all = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  return [...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function openSession(id: EdgeModelId, { file, bytes }: ModelFile): Promise<ort.InferenceSession> {
  let session: ort.InferenceSession;
  try {
    // A copy: ORT may take ownership of what it is given, and a retry needs the original intact.
    session = await ort.InferenceSession.create(new Uint8Array(bytes).slice(), { graphOptimizationLevel: 'all' });
  } catch (err) {
    throw new ModelsUnavailableError(`cannot load ${file}: ${err instanceof Error ? err.message : String(err)}`);
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
  private loading: Promise<LoadedModels> | null = null;
  private lastError: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly files: ModelFiles) {}

  /** The loaded models; starts loading on first use and after a failure. */
  load(): Promise<LoadedModels> {
    if (!this.loading) {
      this.loading = this.open().then(
        (models) => {
          this.lastError = null;
          return models;
        },
        (err: unknown) => {
          this.loading = null; // the next request retries
          const reason = err instanceof Error ? err.message : String(err);
          this.lastError = reason;
          throw err instanceof ModelsUnavailableError ? err : new ModelsUnavailableError(reason);
        },
      );
    }
    return this.loading;
  }

  /** Runs `work` with the loaded models, one run at a time. */
  use<T>(work: (models: LoadedModels) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => work(await this.load()));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The reason of the last failed load, if the models are not loaded. */
  get failure(): string | null {
    return this.lastError;
  }

  private async open(): Promise<LoadedModels> {
    configureOrt();
    const sessions = {} as Record<EdgeModelId, ort.InferenceSession>;
    try {
      for (const id of EDGE_MODEL_IDS) sessions[id] = await openSession(id, this.files[id]);
      return { sessions, version: await modelVersion(this.files) };
    } catch (err) {
      await Promise.allSettled(Object.values(sessions).map((s) => s.release()));
      throw err;
    }
  }
}
