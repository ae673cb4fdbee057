/**
 * The benchmark's worker: the production app (edge/app.ts over edge/bundle.ts, loaded at module scope
 * exactly like edge/index.ts) plus the measurement routes under /__bench. It has its own wrangler config
 * (bench/worker/wrangler.jsonc) and is only ever run by `npm run bench`; the deployed worker is edge/index.ts.
 */
import { createApp } from '../../edge/app';
import { BUNDLED_MANIFEST, BUNDLED_MODELS } from '../../edge/bundle';
import { ModelStore } from '../../edge/inference/model-store';
import { ort } from '../../edge/inference/ort';
import { benchRoutes } from '../app/bench-routes';
import { countOutputTensors, liveTensors, tensorsCreated } from '../app/tensor-count';
import { wasmHeapBytes, watchWasmMemory } from './wasm-memory';

watchWasmMemory();
countOutputTensors(ort);
const store = new ModelStore(BUNDLED_MODELS);
// Locally workerd's clock advances during startup work (only the deployed runtime freezes it between I/O).
const started = performance.now();
// sessions only, as edge/index.ts: the version is computed by the first request
await store.warm();
const startupMs = performance.now() - started;

const app = createApp({ store, files: BUNDLED_MODELS, manifest: BUNDLED_MANIFEST });
app.route(
  '/__bench',
  benchRoutes(store, {
    memory: () => ({ ortHeapBytes: wasmHeapBytes(), jsHeapBytes: null, jsHeapTotalBytes: null, arrayBufferBytes: null, rssBytes: null, liveTensors: liveTensors(), tensorsCreated: tensorsCreated() }),
    startupMs: () => startupMs,
  }),
);

export default app;
