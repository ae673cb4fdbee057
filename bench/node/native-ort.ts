/**
 * Stands in for edge/inference/ort.ts in the plain-Node baseline: the same `ort` surface the edge code
 * uses (Tensor, InferenceSession.create), backed by onnxruntime-node's native CPU runtime with one
 * thread, the fair match for one single-threaded worker isolate. Swapped in by ./runtime-hooks.mjs.
 */
import native from 'onnxruntime-node';

let created = 0;

const InferenceSession = {
  create(model: Uint8Array, options: native.InferenceSession.SessionOptions = {}) {
    created++;
    return native.InferenceSession.create(model, {
      ...options,
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
  },
};

export const ort = { Tensor: native.Tensor, InferenceSession };

/** Stands in for ort.ts `RUNTIME`: this runtime's name for the model version. */
export const RUNTIME = `onnxruntime-node@${(native.env.versions as Record<string, string | undefined>).node ?? 'unknown'}`;

/** Nothing to configure: the wasm set-up of the edge runtime does not apply to the native one. */
export function configureOrt(): void {}

/** Sessions created through this module: proves the swap happened (the server checks it after loading). */
export function nativeSessionsCreated(): number {
  return created;
}
