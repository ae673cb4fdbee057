/**
 * Runs before `npm start` (prestart), every deploy (with --floors, from edge/cli/deploy-gate.ts, wrangler's
 * build command) and the served tests: the worker bundles models/*.f16.onnx and models/manifest.json at build
 * time, so name what is missing or inconsistent and how to fix it, instead of letting the bundler fail on an import or shipping a mixed set.
 * It first repairs what an interrupted publish left (core/models-dir.ts). With --floors it also refuses a
 * manifest that misses the quality gate (core/quality-floors.ts). Node-only; the worker never imports this file.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODEL_SPECS, float16File } from '../../core/contract';
import { MANIFEST_FILE, modelsDirProblems, recoverModelsDir } from '../../core/models-dir';
import { checkQualityFloors, formatMisses } from '../../core/quality-floors';

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

/** null when the manifest meets every floor, else a message listing each miss (missing keys included). */
export async function floorsMessage(dir = MODELS_DIR): Promise<string | null> {
  const manifest = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8')) as { run_id?: string; metrics?: unknown; quality_gate?: { forced?: boolean } };
  const gate = checkQualityFloors(manifest.metrics ?? {});
  if (gate.passed) return null;
  const forced = manifest.quality_gate?.forced ? ' (it was published with --force)' : '';
  return `refusing to deploy: models/ (run ${manifest.run_id}${forced}) misses ${gate.misses.length} quality floor(s) of core/quality-floors.ts:\n${formatMisses(gate)}`;
}

/** Every check in order; returns the problems (empty = fine) and logs repairs. */
export async function checkModels(opts: { dir?: string; floors?: boolean; log?: (line: string) => void } = {}): Promise<string[]> {
  const dir = opts.dir ?? MODELS_DIR;
  for (const line of await recoverModelsDir(dir)) opts.log?.(`check-models: ${line}`);
  const missing = missingModelsMessage(dir);
  if (missing) return [missing];
  const problems = await modelsDirProblems(dir);
  if (problems.length > 0) return [`models/ is not a consistent set:\n  - ${problems.join('\n  - ')}\nRe-publish it (npm run export) or restore it from git.`];
  if (opts.floors) {
    const floors = await floorsMessage(dir);
    if (floors) return [floors];
  }
  return [];
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const args = process.argv.slice(2);
  if (args.includes('--help')) {
    console.log(
      'usage: tsx edge/cli/check-models.ts [--floors] [--dir DIR]\n' +
        `Repairs an interrupted publish, then checks that models/ holds what the worker bundles (${bundledModelFiles().join(', ')})\n` +
        'and that every file matches the sha256 in manifest.json. --floors: also refuse a manifest that misses the quality gate.',
    );
  } else {
    const dirFlag = args.indexOf('--dir');
    const dir = dirFlag >= 0 ? resolve(args[dirFlag + 1]) : MODELS_DIR;
    const problems = await checkModels({ dir, floors: args.includes('--floors'), log: (l) => console.log(l) });
    if (problems.length > 0) {
      console.error(problems.join('\n'));
      process.exit(1);
    }
  }
}
