// Node module hooks for the plain-Node baseline: edge/inference/*.ts import the runtime as './ort'
// (onnxruntime-web plus a wasm file Node cannot import); here that one import resolves to
// ./native-ort.ts instead, so the edge code itself runs unchanged on onnxruntime-node.
const NATIVE = new URL('./native-ort.ts', import.meta.url).href;
// edge/encoding/jpeg.ts imports the JPEG codec's wasm compiled (wrangler's CompiledWasm rule); Node gets the same.
const MOZJPEG = new URL('./mozjpeg-wasm.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === './ort' && context.parentURL?.includes('/edge/inference/')) {
    return { url: NATIVE, shortCircuit: true };
  }
  if (specifier.endsWith('/mozjpeg_dec.wasm') && context.parentURL?.includes('/edge/encoding/')) {
    return { url: MOZJPEG, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
