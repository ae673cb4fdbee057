/**
 * The deployed worker: the app over the bundled models. The ONNX sessions are created at module load so
 * the ~0.4 s runtime start-up happens during worker startup rather than inside the first request; if it
 * fails, requests report 503 with a short reason and Retry-After, and the load is retried with backoff.
 */
import { createApp } from './app';
import { BUNDLED_MANIFEST, BUNDLED_MODELS } from './bundle';
import { ModelStore } from './inference/model-store';

const store = new ModelStore(BUNDLED_MODELS);
// Sessions only: the first request computes the model version (load() then reports failures with backoff).
// The PNG encoder it runs once used CompressionStream, which workerd allows only inside a handler; it now
// deflates with node:zlib, and computing the version at startup instead has not been tried.
await store.warm();

export default createApp({ store, files: BUNDLED_MODELS, manifest: BUNDLED_MANIFEST });
