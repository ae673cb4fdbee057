import { defineConfig } from 'vitest/config';
import { wranglerRules } from './test/wrangler-rules';

/**
 * The tests `npm run test:mutation` (StrykerJS, stryker.config.mjs) runs against each mutant: the fast
 * Node-side tests of the mutated modules. Left out: tests that spawn child processes (Stryker's coverage
 * cannot see into them, and they take seconds per mutant) and the ones that train or export whole models
 * (a quick pipeline run, the full export, the layer-by-layer converter cases), which would make each mutant
 * cost 15-90 s: with them, one run over every glob of stryker.config.mjs was estimated at 3 h here.
 */
/**
 * MUTATION_TESTS=<glob,glob> runs only those tests (e.g. the unit tests of pure helpers, which the app-level
 * tests also cover: perTest coverage would otherwise re-run every model-loading app test for each of their
 * mutants).
 */
const only = process.env.MUTATION_TESTS?.split(',').filter(Boolean);

export default defineConfig({
  // the worker's .wasm and .onnx imports as wrangler bundles them (the route tests run edge/app.ts in Node)
  plugins: [wranglerRules()],
  test: {
    include: only ?? [
      'test/core/**/*.test.ts',
      'test/edge/encoding.test.ts',
      'test/edge/routes/**/*.test.ts',
      'test/training/idx.test.ts',
      'test/training/label-spreading.test.ts',
      'test/training/publish.test.ts',
      'test/export/parity-reference.test.ts',
    ],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    server: { deps: { inline: [/\.wasm$/] } },
  },
});
