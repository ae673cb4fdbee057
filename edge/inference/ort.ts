/**
 * onnxruntime-web, set up to run inside workerd.
 *
 * workerd refuses to compile WebAssembly from bytes at run time, so the runtime's wasm must come in
 * as a module compiled at deploy time (wrangler's CompiledWasm rule). ORT has no public way to accept a
 * compiled module: it only instantiates from bytes (`env.wasm.wasmBinary`). So we hand it a small
 * placeholder as the "binary" and wrap `WebAssembly.instantiate` so that a call carrying exactly those
 * bytes instantiates the compiled module instead. This rests on ORT internals (checked against
 * onnxruntime-web 1.30.0, pinned); test/worker/endpoints.test.ts guards it.
 */
import * as ort from 'onnxruntime-web/wasm';
// A relative path, not the package export: wrangler's module-rule resolver (4.86) does not follow the
// `exports` map of onnxruntime-web and would look for the file next to this one.
import ortWasm from '../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';

export { ort };

/** Which runtime computes the pixels; part of the model version (version.ts). */
export const RUNTIME = `onnxruntime-web@${ort.env.versions.web}`;

// Not a wasm module (the real magic is "\0asm"), so it cannot be mistaken for one.
const PLACEHOLDER = new TextEncoder().encode('latent-digits:compiled-ort-wasm');

function isPlaceholder(source: unknown): boolean {
  let bytes: Uint8Array;
  if (source instanceof Uint8Array) bytes = source;
  // Stryker disable next-line ConditionalExpression: equivalent; the only other sources are compiled modules, and new Uint8Array(module) is empty, never the placeholder
  else if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else return false;
  return bytes.length === PLACEHOLDER.length && bytes.every((b, i) => b === PLACEHOLDER[i]);
}

let configured = false;

/** Points ORT at the compiled wasm module. Idempotent; call before the first `InferenceSession.create`. */
export function configureOrt(): void {
  // Stryker disable next-line ConditionalExpression,BooleanLiteral: equivalent; a second configuration wraps the wrapper, whose outer layer routes the placeholder and whose inner one passes the module through: same results
  if (configured) return;
  // Stryker disable next-line BooleanLiteral: equivalent, as above
  configured = true;
  const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (
    source: BufferSource | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ) => Promise<WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance>;
  WebAssembly.instantiate = (async (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    if (!isPlaceholder(source)) return instantiate(source, imports);
    // ORT asked for bytes -> {instance, module}; answer the same shape from the precompiled module.
    const instance = (await instantiate(ortWasm, imports)) as WebAssembly.Instance;
    return { instance, module: ortWasm };
  }) as typeof WebAssembly.instantiate;

  ort.env.wasm.wasmBinary = PLACEHOLDER.slice().buffer;
  // No threads and no proxy worker: workerd has neither Web Workers nor SharedArrayBuffer threads.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = 'error';
}
