// Node module hooks for the plain-Node baseline: edge/inference/*.ts import the runtime as './ort'
// (onnxruntime-web plus a wasm file Node cannot import); here that one import resolves to
// ./native-ort.ts instead, so the edge code itself runs unchanged on onnxruntime-node.
const NATIVE = new URL('./native-ort.ts', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === './ort' && context.parentURL?.includes('/edge/inference/')) {
    return { url: NATIVE, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
