import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The tests `npm run test:mutation` (StrykerJS, stryker.config.mjs) runs against each mutant: the fast
 * Node-side tests of the mutated modules. Left out: tests that spawn child processes (Stryker's coverage
 * cannot see into them, and they take seconds per mutant) and the ones that train or export whole models
 * (a quick pipeline run, the full export, the layer-by-layer converter cases), which would make each mutant
 * cost 15-90 s: with them, one run over every glob of stryker.config.mjs was estimated at 3 h here. Also left
 * out, for their slow inputs: the RNG's large-sample statistics (test/core/rng.test.ts; rng-reference.test.ts
 * pins the same code bit for bit), the real 70k MNIST (test/training/mnist-real.test.ts; idx.test.ts uses
 * small IDX files) and the publish tests that copy models/ per case (test/training/publish.test.ts;
 * test/core/models-dir.test.ts runs each step on a tiny fake set).
 */
export default defineConfig({
  test: {
    include: [
      'test/core/**/*.test.ts',
      'test/edge/encoding.test.ts',
      'test/training/idx.test.ts',
      'test/training/label-spreading.test.ts',
      'test/export/parity-reference.test.ts',
    ],
    exclude: [...configDefaults.exclude, 'test/core/rng.test.ts'],
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
