/**
 * Finds onnxruntime-web's WebAssembly memory so the bench worker can report the ORT heap size.
 * ORT does not expose its instance, so this wraps `WebAssembly.instantiate` before edge/inference/ort.ts
 * installs its own wrapper (which then calls this one) and remembers the Memory the instance exports or
 * imports (the threaded build imports it). Bench-only: edge/ knows nothing of it.
 */
let memory: WebAssembly.Memory | null = null;

function findMemory(...sources: unknown[]): WebAssembly.Memory | null {
  for (const source of sources) {
    if (source instanceof WebAssembly.Memory) return source;
    if (source && typeof source === 'object') {
      for (const value of Object.values(source)) {
        if (value instanceof WebAssembly.Memory) return value;
        if (value && typeof value === 'object' && !(value instanceof WebAssembly.Module)) {
          for (const inner of Object.values(value)) if (inner instanceof WebAssembly.Memory) return inner;
        }
      }
    }
  }
  return null;
}

/** Call before the first ModelStore.load(). */
export function watchWasmMemory(): void {
  const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (
    source: BufferSource | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ) => Promise<WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance>;
  WebAssembly.instantiate = (async (source: BufferSource | WebAssembly.Module, imports?: WebAssembly.Imports) => {
    const result = await instantiate(source, imports);
    const instance = result instanceof WebAssembly.Instance ? result : result.instance;
    memory ??= findMemory(instance.exports, imports);
    return result;
  }) as typeof WebAssembly.instantiate;
}

/** Bytes of ORT's wasm heap (it only grows: a leak shows as growth under steady load), or null if unseen. */
export function wasmHeapBytes(): number | null {
  return memory ? memory.buffer.byteLength : null;
}
