import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/worker/**'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // tfjs and onnxruntime keep global state; one file at a time keeps the 2-core machine responsive
          fileParallelism: false,
        },
      },
    ],
  },
});
