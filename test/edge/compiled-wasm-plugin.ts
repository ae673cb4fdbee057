/**
 * The worker's `.wasm` imports in Node tests. wrangler's CompiledWasm rule hands the worker a compiled
 * `WebAssembly.Module` as the default export of `import x from '....wasm'` (edge/modules.d.ts); Vite has no
 * such rule and vitest would leave a file under node_modules to Node, which refuses `.wasm`. This plugin
 * turns such an import into a virtual module compiling the same file, so edge/inference/ort.ts and
 * edge/encoding/jpeg.ts run unchanged under vitest.
 */
import { resolve, dirname } from 'node:path';
import type { Plugin } from 'vite';

const SUFFIX = '?compiled-wasm';
/** For `test.server.deps.inline`: vitest must transform these ids itself, not hand them to Node. */
export const COMPILED_WASM = /\.wasm\?compiled-wasm$/;

export function compiledWasm(): Plugin {
  return {
    name: 'latent-digits:compiled-wasm',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!source.endsWith('.wasm') || !importer || !source.startsWith('.')) return null;
      return resolve(dirname(importer.split('?')[0]), source) + SUFFIX;
    },
    load(id) {
      if (!id.endsWith(SUFFIX)) return null;
      const file = id.slice(0, -SUFFIX.length);
      return `import { readFileSync } from 'node:fs';\nexport default new WebAssembly.Module(readFileSync(${JSON.stringify(file)}));`;
    },
  };
}
