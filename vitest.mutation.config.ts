import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { wranglerRules } from './test/wrangler-rules';

/**
 * The tests `npm run test:mutation` (StrykerJS, stryker.config.mjs) runs against each mutant: the fast
 * Node-side tests of the mutated modules. Left out: tests that spawn child processes (Stryker's coverage
 * cannot see into them, and they take seconds per mutant) and the ones that train or export whole models
 * (a quick pipeline run, the full export, the layer-by-layer converter cases), which would make each mutant
 * cost 15-90 s. Also left out, for their slow inputs: the RNG's large-sample statistics (test/core/rng.test.ts;
 * rng-reference.test.ts pins the same code bit for bit), the real 70k MNIST (test/training/mnist-real.test.ts;
 * idx.test.ts uses small IDX files) and the publish tests that copy models/ per case
 * (test/training/publish.test.ts; test/core/models-dir.test.ts runs each step on a tiny fake set).
 */
const INCLUDE = [
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
  'test/edge/routes/**/*.test.ts',
  'test/training/idx.test.ts',
  'test/training/label-spreading.test.ts',
  // training/export on tiny hand-weighted models (seconds, not minutes): see each file's header; fastest first
  'test/export/float16.test.ts',
  'test/export/check-model-absent.test.ts',
  'test/export/source-dir.test.ts',
  'test/export/onnx-graph.test.ts',
  'test/export/fused.test.ts',
  'test/export/convert-small.test.ts',
  'test/export/float16-check.test.ts',
  'test/export/stage-model.test.ts',
  'test/export/parity-reference.test.ts',
  'test/export/export-tiny.test.ts',
  'test/export/cli-run.test.ts',
];

/**
 * Runs the test files in INCLUDE's order (fast files first) instead of vitest's slowest-first: Stryker bails at
 * the first failing test, so a mutant killed by a fast file never waits for the slow ones.
 */
class IncludeOrderSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const i = INCLUDE.findIndex((pattern) => {
        const prefix = pattern.split('*')[0];
        return pattern.includes('*') ? file.moduleId.includes(`/${prefix}`) : file.moduleId.endsWith(`/${pattern}`);
      });
      return i < 0 ? INCLUDE.length : i;
    };
    return [...files].sort((a, b) => rank(a) - rank(b));
  }
}

/**
 * MUTATION_SKIP_SLOW=1 leaves out the two tests that run a whole export (10-15 s each, much more on a shared
 * machine): for the export modules below index.ts and cli.ts, whose own fast tests should kill their mutants.
 * A mutant only those two could kill then counts as surviving, never the other way round.
 */
const SLOW = ['test/export/export-tiny.test.ts', 'test/export/cli-run.test.ts'];

/**
 * MUTATION_TESTS=<glob,glob> runs only those tests (e.g. the unit tests of pure helpers, which the app-level
 * tests also cover: perTest coverage would otherwise re-run every model-loading app test for each of their
 * mutants).
 */
const only = process.env.MUTATION_TESTS?.split(',').filter(Boolean);

export default defineConfig({
  // the worker's .wasm and .onnx imports as wrangler bundles them (the edge tests run edge/ modules in Node)
  plugins: [wranglerRules()],
  test: {
    include: only ?? (process.env.MUTATION_SKIP_SLOW === '1' ? INCLUDE.filter((f) => !SLOW.includes(f)) : INCLUDE),
    exclude: [...configDefaults.exclude, 'test/core/rng.test.ts'],
    sequence: { sequencer: IncludeOrderSequencer },
    environment: 'node',
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    // node_modules files are loaded by Node itself unless inlined, and Node cannot import .wasm
    server: { deps: { inline: [/\.wasm$/] } },
  },
});
