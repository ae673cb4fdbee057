// Module types for the non-JS files the worker bundles (see the `rules` in wrangler.jsonc).

/** ONNX models arrive through wrangler's `Data` rule as raw bytes. */
declare module '*.onnx' {
  const bytes: ArrayBuffer;
  export default bytes;
}

/** WebAssembly arrives through wrangler's `CompiledWasm` rule already compiled: workerd forbids compiling at run time. */
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}

/** Typed loosely on purpose: the worker validates it with core/manifest.ts before serving it. */
declare module '*/models/manifest.json' {
  const manifest: unknown;
  export default manifest;
}

