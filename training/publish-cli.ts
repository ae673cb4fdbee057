/**
 * `npm run publish-models -- runs/<runId> [--models-dir models] [--force]`: publishes a finished training
 * run (its manifest.json and publish/ directory) into models/ through the quality gate, e.g. after the gate
 * refused it at the end of `npm run train` and you decide to ship it anyway.
 */
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { readManifest } from './export/manifest-file';
import { publishModels } from './publish';

const program = new Command('npm run publish-models --')
  .description('Publish a finished training run (runs/<runId>: manifest.json + publish/) into models/ in one atomic step, through the quality gate.')
  .argument('<run-dir>', 'the run directory, e.g. runs/20261128T160000Z-seed42')
  .option('--models-dir <dir>', 'models directory to replace', 'models')
  .option('--force', 'publish even if the quality gate (core/quality-floors.ts) is missed; recorded in manifest.quality_gate', false)
  .showHelpAfterError();

program.parse();
const runDir = resolve(program.args[0]);
const flags = program.opts<{ modelsDir: string; force: boolean }>();

try {
  const manifest = await readManifest(join(runDir, 'manifest.json'));
  if (!manifest) throw new Error(`${join(runDir, 'manifest.json')} not found: not a finished training run`);
  const published = await publishModels({ fromDir: join(runDir, 'publish'), modelsDir: resolve(flags.modelsDir), manifest, force: flags.force, runDir, log: (l) => console.log(l) });
  console.log(`published run ${published.run_id} to ${flags.modelsDir} (quality gate ${published.quality_gate?.passed ? 'passed' : 'missed, forced'})`);
} catch (err) {
  console.error(`publish failed: ${(err as Error).message}\n(${flags.modelsDir} was not changed)`);
  process.exit(1);
}
