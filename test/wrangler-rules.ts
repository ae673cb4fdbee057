/**
 * wrangler.jsonc's module `rules` for Vite, so the Node test projects can import the worker's modules as
 * wrangler bundles them: `*.wasm` as a compiled WebAssembly.Module (CompiledWasm: onnxruntime-web's and the
 * JPEG codec's runtimes) and `*.onnx` as an ArrayBuffer (Data: the models of edge/bundle.ts). With them,
 * edge/app.ts runs in Node on the real onnxruntime-web and the bundled models (test/edge/harness.ts).
 */
import type { Plugin } from 'vite';

export function wranglerRules(): Plugin {
  return {
    name: 'latent-digits:wrangler-rules',
    enforce: 'pre',
    load(id) {
      const file = id.split('?')[0];
      if (file.endsWith('.wasm')) {
        return `import { readFileSync } from 'node:fs';\nexport default new WebAssembly.Module(readFileSync(${JSON.stringify(file)}));\n`;
      }
      if (file.endsWith('.onnx')) {
        return (
          `import { readFileSync } from 'node:fs';\nconst bytes = readFileSync(${JSON.stringify(file)});\n` +
          'export default bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);\n'
        );
      }
      return null;
    },
  };
}
