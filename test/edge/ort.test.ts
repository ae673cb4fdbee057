/**
 * edge/inference/ort.ts in Node: configureOrt() points onnxruntime-web at the precompiled wasm module by a
 * placeholder "binary" and a wrapped WebAssembly.instantiate. The wrapper must answer exactly the placeholder
 * (as bytes or as an ArrayBuffer) with ORT's module, and pass every other source through untouched.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configureOrt, ort } from '../../edge/inference/ort';
import ortWasm from '../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';

/** The smallest valid wasm module: magic and version, no sections; and one exporting `answer() = 42`. */
const EMPTY_WASM = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
const ANSWER_WASM = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type section: () -> i32
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x07, 0x0a, 0x01, 0x06, 0x61, 0x6e, 0x73, 0x77, 0x65, 0x72, 0x00, 0x00, // export "answer" = func 0
  0x0a, 0x06, 0x01, 0x04, 0x00, 0x41, 0x2a, 0x0b, // code: i32.const 42
]);

/** Imports that satisfy ORT's wasm module (a shared memory and 100 functions under "a"). */
function ortImports(): WebAssembly.Imports {
  const a: Record<string, WebAssembly.ImportValue> = {};
  for (const i of WebAssembly.Module.imports(ortWasm)) {
    a[i.name] = i.kind === 'memory' ? new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true }) : () => 0;
  }
  return { a };
}

let placeholder: Uint8Array;

beforeAll(() => {
  configureOrt();
  configureOrt(); // idempotent
  placeholder = new Uint8Array(ort.env.wasm.wasmBinary as ArrayBuffer).slice();
});

describe('configureOrt', () => {
  it('sets one thread, no proxy worker, error-level logging, and a placeholder binary that is not wasm', () => {
    expect([ort.env.wasm.numThreads, ort.env.wasm.proxy, ort.env.logLevel]).toEqual([1, false, 'error']);
    expect(ort.env.wasm.wasmBinary).toBeInstanceOf(ArrayBuffer);
    expect(new TextDecoder().decode(placeholder)).toBe('latent-digits:compiled-ort-wasm');
  });

  it('answers the placeholder, as bytes or as an ArrayBuffer, with an instance of ORT\'s precompiled module', async () => {
    for (const source of [placeholder.slice(), placeholder.slice().buffer]) {
      const result = (await WebAssembly.instantiate(source, ortImports())) as WebAssembly.WebAssemblyInstantiatedSource;
      expect(result.module).toBe(ortWasm);
      expect(result.instance).toBeInstanceOf(WebAssembly.Instance);
      expect(Object.keys(result.instance.exports).sort()).toEqual(WebAssembly.Module.exports(ortWasm).map((e) => e.name).sort());
    }
  });

  it('passes other bytes through: a real module instantiates as itself', async () => {
    const result = (await WebAssembly.instantiate(ANSWER_WASM, {})) as WebAssembly.WebAssemblyInstantiatedSource;
    expect(result.module).not.toBe(ortWasm);
    expect((result.instance.exports.answer as () => number)()).toBe(42);
    const empty = (await WebAssembly.instantiate(EMPTY_WASM.buffer.slice(0), {})) as WebAssembly.WebAssemblyInstantiatedSource;
    expect(WebAssembly.Module.exports(empty.module)).toEqual([]);
  });

  it('passes a compiled module through: instantiate(module) gives an Instance of that module', async () => {
    const module = new WebAssembly.Module(ANSWER_WASM);
    const instance = (await WebAssembly.instantiate(module, {})) as WebAssembly.Instance;
    expect(instance).toBeInstanceOf(WebAssembly.Instance);
    expect((instance.exports.answer as () => number)()).toBe(42);
  });

  it('is not fooled by bytes that only resemble the placeholder: one byte changed, one more, one fewer', async () => {
    const changed = placeholder.slice();
    changed[changed.length - 1] ^= 1;
    const longer = Uint8Array.from([...placeholder, 0]);
    const shorter = placeholder.slice(0, -1);
    for (const bytes of [changed, longer, shorter, new Uint8Array(0)]) {
      await expect(WebAssembly.instantiate(bytes, ortImports()), `${bytes.length} bytes`).rejects.toBeInstanceOf(WebAssembly.CompileError);
    }
  });

  it('lets ORT create a session from the placeholder setup (the decoder model)', async () => {
    const bytes = readFileSync(resolve(import.meta.dirname, '../../models/decoder.f16.onnx'));
    const session = await ort.InferenceSession.create(new Uint8Array(bytes));
    expect([session.inputNames, session.outputNames]).toEqual([['latent'], ['image']]);
    await session.release();
  });
});
