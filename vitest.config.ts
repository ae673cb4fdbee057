import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
import { wranglerRules } from './test/wrangler-rules';

export default defineConfig({
  test: {
    projects: [
      {
        // the worker's .wasm and .onnx imports as wrangler bundles them (test/edge/harness.ts runs the app in Node)
        plugins: [wranglerRules()],
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/worker/**', 'test/robustness/**', 'test/served/**', 'test/browser/**'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // tfjs and onnxruntime keep global state; one file at a time keeps the 2-core machine responsive
          fileParallelism: false,
          // node_modules files are loaded by Node itself unless inlined, and Node cannot import .wasm
          server: { deps: { inline: [/\.wasm$/] } },
        },
      },
      {
        // Inside workerd, against the worker built from wrangler.jsonc (SELF.fetch).
        plugins: [cloudflareTest({ wrangler: { configPath: './wrangler.jsonc' } })],
        test: {
          name: 'worker',
          include: ['test/worker/**/*.test.ts', 'test/robustness/**/*.test.ts'],
          // the first load of onnxruntime-web's 14 MB wasm into workerd takes ~13 s
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // From Node against `wrangler dev` (started once in global-setup): parity with onnxruntime-node,
        // the evaluator's score of what the API serves, the OpenAPI document, the demo page in Chromium.
        test: {
          name: 'served',
          include: ['test/served/**/*.test.ts', 'test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/served/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
