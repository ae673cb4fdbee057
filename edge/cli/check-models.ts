/**
 * Runs before `npm start` (prestart) and the served tests: the worker bundles models/*.f16.onnx and
 * models/manifest.json at build time, so name what is missing and how to make it, instead of letting the
 * bundler fail on an import. Node-only; the worker never imports this file.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODEL_SPECS, float16File } from '../../core/contract';

export const MODELS_DIR = resolve(import.meta.dirname, '../../models');

/** The files of models/ the worker bundles. */
export function bundledModelFiles(): string[] {
  const onnx = Object.values(MODEL_SPECS)
    .filter((spec) => spec.edge)
    .map((spec) => float16File(spec.file));
  return [...onnx, 'manifest.json'];
}

/** null when models/ holds everything the worker bundles, else a message naming what is missing. */
export function missingModelsMessage(dir = MODELS_DIR): string | null {
  const missing = bundledModelFiles().filter((file) => !existsSync(resolve(dir, file)));
  if (missing.length === 0) return null;
  return (
    `The worker bundles models/ but these files are missing: ${missing.join(', ')}.\n` +
    'Train and export the models first (npm run train, then npm run export; see README.md).'
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  if (process.argv.includes('--help')) {
    console.log(`usage: tsx edge/cli/check-models.ts\nChecks that models/ holds what the worker bundles: ${bundledModelFiles().join(', ')}.`);
  } else {
    const message = missingModelsMessage();
    if (message) {
      console.error(message);
      process.exit(1);
    }
  }
}
