import { defineConfig } from 'vitest/config';
import { compiledWasm, COMPILED_WASM } from './test/edge/compiled-wasm-plugin';

/**
 * The tests `npm run test:mutation` (StrykerJS, stryker.config.mjs) runs against each mutant: the fast
 * Node-side tests of the mutated modules. Left out: tests that spawn child processes (Stryker's coverage
 * cannot see into them, and they take seconds per mutant) and the ones that train or export whole models
 * (a quick pipeline run, the full export, the layer-by-layer converter cases), which would make each mutant
 * cost 15-90 s: with them, one run over every glob of stryker.config.mjs was estimated at 3 h here.
 */
export default defineConfig({
  plugins: [compiledWasm()],
  test: {
    include: [
      'test/core/**/*.test.ts',
      'test/edge/encoding.test.ts',
      'test/edge/normalise.test.ts',
      'test/edge/normalise-steps.test.ts',
      'test/edge/scheduler.test.ts',
      'test/edge/model-store.test.ts',
      'test/edge/version.test.ts',
      'test/edge/sampling.test.ts',
      'test/edge/ort.test.ts',
      'test/edge/jpeg.test.ts',
      'test/edge/image-input.test.ts',
      'test/training/idx.test.ts',
      'test/training/label-spreading.test.ts',
      'test/training/publish.test.ts',
      'test/export/parity-reference.test.ts',
    ],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    server: { deps: { inline: [COMPILED_WASM] } },
  },
});
