/**
 * The worker's app in Node: edge/app.ts over the models edge/bundle.ts ships (models/*.f16.onnx and the
 * manifest), run by the same onnxruntime-web wasm build the worker uses (imported as wrangler does it,
 * through test/wrangler-rules.ts).
 *
 * Load the store once per test file (beforeAll: the five sessions take ~1 s) and build the app inside each
 * test (`workerApp(...).request`, a few ms): mutation testing (Stryker, perTest coverage) only counts code
 * run inside a test, and route set-up code run in a beforeAll would be ignored as "static".
 */
import { createApp } from '../../edge/app';
import { BUNDLED_MANIFEST, BUNDLED_MODELS } from '../../edge/bundle';
import { ModelStore } from '../../edge/inference/model-store';
import { Scheduler } from '../../edge/inference/scheduler';

export const ORIGIN = 'https://latent-digits.test';

/** A real scheduler that also records the cost of every job it is given (what a route estimated). */
export class RecordingScheduler extends Scheduler {
  readonly costs: number[] = [];
  override run<T>(cost: number, job: () => Promise<T> | T, signal?: AbortSignal): Promise<T> {
    this.costs.push(cost);
    return super.run(cost, job, signal);
  }
}

/** The bundled models, loaded, with a RecordingScheduler. */
export async function loadedStore() {
  const scheduler = new RecordingScheduler();
  const store = new ModelStore(BUNDLED_MODELS, { scheduler });
  const models = await store.load();
  return { store, scheduler, models, version: models.version };
}

/** A fresh app over `store` (and the bundled manifest unless another is given). */
export function workerApp(store: ModelStore, manifest: unknown = BUNDLED_MANIFEST) {
  const app = createApp({ store, files: BUNDLED_MODELS, manifest });
  return { app, request: (path: string, init?: RequestInit, env?: object) => app.request(ORIGIN + path, init, env) };
}
