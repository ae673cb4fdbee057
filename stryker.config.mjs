// @ts-check
/**
 * Mutation testing (issue 12): `npm run test:mutation` plants small bugs (mutants) in the files below one at
 * a time and runs the fast Node tests that cover each (vitest.mutation.config.ts); a mutant no test notices
 * "survives". Not part of `npm test` / .ci/run: see reports/mutation/SUMMARY.md for scores and duration.
 * One file or folder: `npm run test:mutation -- --mutate core/png.ts`.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: { configFile: 'vitest.mutation.config.ts' },
  mutate: [
    'core/**/*.ts',
    'edge/routes/**/*.ts',
    'edge/inference/**/*.ts',
    'edge/encoding/**/*.ts',
    'training/stages/label-spreading.ts',
    'training/export/**/*.ts',
    'training/data/**/*.ts',
  ],
  // the project's TypeScript 7 (native) has no JS API for Stryker's tsconfig rewriting, which this flat
  // tsconfig (no extends/references) does not need: point it at no file
  tsconfigFile: 'no-tsconfig-rewrite.json',
  coverageAnalysis: 'perTest',
  // the machine has 2 cores shared with training runs
  concurrency: 1,
  // module-level constants would re-run every test per mutant; they are listed as ignored instead
  ignoreStatic: true,
  // a mutant that loops forever costs this much; 15 s is several times the slowest covering test here
  timeoutMS: 15_000,
  // the first (unmutated) run of every test file can take minutes on a loaded 2-core machine
  dryRunTimeoutMinutes: 30,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  ignorePatterns: ['runs', 'dist', '.wrangler', 'reports', 'bench', '.models-staging', '.models-previous'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
