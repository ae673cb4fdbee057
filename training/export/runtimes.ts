/**
 * The two ONNX runtimes the models must agree with: onnxruntime-node (native CPU) and onnxruntime-web
 * (the wasm build the edge worker runs, here in Node with one thread). One narrow session API over both.
 */

export const RUNTIMES = ['onnxruntime-node', 'onnxruntime-web'] as const;
export type RuntimeName = (typeof RUNTIMES)[number];

/** A float32 batch: data row-major with dims [N, ...features]. */
export interface Batch {
  data: Float32Array;
  dims: number[];
}

export interface OnnxSession {
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(feeds: Record<string, Batch>): Promise<Record<string, Float32Array>>;
  release(): Promise<void>;
}

type OrtModule = typeof import('onnxruntime-node');

async function loadRuntime(runtime: RuntimeName): Promise<OrtModule> {
  if (runtime === 'onnxruntime-node') return import('onnxruntime-node');
  // The same entry the worker bundles; its types are onnxruntime-common's, like onnxruntime-node's.
  const ort = (await import('onnxruntime-web/wasm')) as unknown as OrtModule;
  ort.env.wasm.numThreads = 1;
  return ort;
}

export async function createSession(runtime: RuntimeName, model: Uint8Array): Promise<OnnxSession> {
  const ort = await loadRuntime(runtime);
  const session = await ort.InferenceSession.create(model);
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds) {
      const tensors = Object.fromEntries(Object.entries(feeds).map(([name, b]) => [name, new ort.Tensor('float32', b.data, b.dims)]));
      const results = await session.run(tensors);
      const out: Record<string, Float32Array> = {};
      for (const [name, tensor] of Object.entries(results)) {
        out[name] = tensor.data as Float32Array;
        tensor.dispose();
      }
      return out;
    },
    release: () => session.release(),
  };
}
