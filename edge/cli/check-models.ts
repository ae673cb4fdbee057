/**
 * Runs before `npm start` (prestart): the worker bundles models/*.f16.onnx and models/manifest.json at
 * build time, so name what is missing and how to make it, instead of letting the bundler fail on an import.
 * Node-only; the worker never imports this file.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { MODEL_SPECS, float16File } from '../../core/contract';

const models = resolve(import.meta.dirname, '../../models');
const needed = [
  ...Object.values(MODEL_SPECS)
    .filter((spec) => spec.edge)
    .map((spec) => float16File(spec.file)),
  'manifest.json',
];
const missing = needed.filter((file) => !existsSync(resolve(models, file)));

if (process.argv.includes('--help')) {
  console.log(`usage: tsx edge/cli/check-models.ts\nChecks that models/ holds what the worker bundles: ${needed.join(', ')}.`);
} else if (missing.length > 0) {
  console.error(
    `The worker bundles models/ but these files are missing: ${missing.join(', ')}.\n` +
      'Train and export the models first (npm run train, then npm run export; see README.md).',
  );
  process.exit(1);
}
