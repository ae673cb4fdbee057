/**
 * `npm run publish-models -- <dir> [--promote] [--force] [--remote] [--dataset ID]`: uploads a model set into
 * the registry (training/registry-ops.ts) as an immutable version: files first, manifest last. <dir> is a
 * finished run (runs/<runId>: manifest.json + publish/) or a set directory (manifest.json beside its files,
 * e.g. models/ or models/fashion-mnist/). Local R2 (what `npm start` serves) by default, `--remote` for the
 * account's. `--promote` then points the dataset's channel at it (quality gate, or --force).
 *
 * `--into-models [dir]`: the older step, replacing models/ (the set embedded in the worker bundle) atomically
 * through the quality gate (training/publish.ts).
 * `--seed`: what `npm start` runs first: publishes the committed sets (models/, models/<dataset>/) into local R2
 * if they are not there yet and promotes each dataset that has no channel yet (forced, and so recorded, when a
 * committed set misses its gate). Idempotent.
 */
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { DATASET_IDS, isDatasetId, type DatasetId, type Manifest } from '../core/manifest';
import { formatMisses } from '../core/quality-floors';
import { readManifest } from './export/manifest-file';
import { ARCHIVE_DIR, publishModels } from './publish';
import { openBucket } from './registry-bucket';
import { promote, publishSet, readChannel, RegistryRefusal } from './registry-ops';

const ROOT = resolve(import.meta.dirname, '..');

const program = new Command('npm run publish-models --')
  .description('Upload a model set (a finished run, or a directory with manifest.json) into the model registry as an immutable version.')
  .argument('[dir]', 'runs/<runId>, or a set directory such as models/fashion-mnist')
  .option('--dataset <id>', `the dataset (${DATASET_IDS.join(', ')}); default: read from the manifest`)
  .option('--promote', 'then point the dataset\'s channel at the version (needs the quality gate, or --force)', false)
  .option('--force', 'promote (or with --into-models, publish) even if the quality gate is missed; recorded', false)
  .option('--remote', 'the account\'s R2 (wrangler login) instead of the local one npm start serves', false)
  .option('--persist-to <dir>', 'local state directory, as wrangler dev --persist-to (default .wrangler/state)')
  .option('--into-models [dir]', 'instead: replace the models directory embedded in the worker (default models)')
  .option('--models-dir <dir>', 'the same as --into-models <dir> (the older spelling)')
  .option('--seed', 'publish the committed sets (models/, models/<dataset>/) into local R2 and promote datasets without a channel', false)
  .showHelpAfterError();

program.parse();
const flags = program.opts<{ dataset?: string; promote: boolean; force: boolean; remote: boolean; persistTo?: string; intoModels?: string | boolean; modelsDir?: string; seed: boolean }>();
flags.intoModels ??= flags.modelsDir;
const log = (line: string) => console.log(line);

/** A run directory (manifest.json + publish/) or a set directory (manifest.json beside its files). */
async function setSource(dir: string): Promise<{ dir: string; manifest?: Manifest }> {
  if (existsSync(join(dir, 'publish'))) {
    const manifest = await readManifest(join(dir, 'manifest.json'));
    if (!manifest) throw new Error(`${join(dir, 'manifest.json')} not found: not a finished training run`);
    return { dir: join(dir, 'publish'), manifest };
  }
  if (!existsSync(join(dir, 'manifest.json'))) throw new Error(`${dir} is neither a finished run (publish/) nor a set directory (manifest.json)`);
  return { dir };
}

/** models/ (the embedded MNIST set) and every models/<dataset>/ with a manifest. */
async function committedSets(): Promise<string[]> {
  const models = join(ROOT, 'models');
  const subdirs = (await readdir(models, { withFileTypes: true })).filter((e) => e.isDirectory() && isDatasetId(e.name)).map((e) => join(models, e.name));
  return [models, ...subdirs].filter((d) => existsSync(join(d, 'manifest.json')));
}

/**
 * <set>/archive/<dataset>-<run id>/ of each committed set: the sets it replaced (training/publish.ts
 * archiveOutgoingSet), which a fresh clone keeps serving to the URLs pinned to them (`v=`) as the account's
 * R2 keeps every published version; published after the current sets and never promoted. Only their
 * served (float16) files and manifest are kept.
 */
async function archivedSets(sets: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const set of sets) {
    const archive = join(set, ARCHIVE_DIR);
    if (!existsSync(archive)) continue;
    const dirs = (await readdir(archive, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => join(archive, e.name));
    found.push(...dirs.filter((d) => existsSync(join(d, 'manifest.json'))).sort());
  }
  return found;
}

async function main(): Promise<void> {
  const dataset = flags.dataset;
  if (dataset !== undefined && !isDatasetId(dataset)) throw new RegistryRefusal(`--dataset must be one of ${DATASET_IDS.join(', ')}, got "${dataset}"`);
  if (flags.intoModels !== undefined) {
    const runDir = resolve(program.args[0] ?? '');
    const modelsDir = resolve(typeof flags.intoModels === 'string' ? flags.intoModels : 'models');
    const manifest = await readManifest(join(runDir, 'manifest.json'));
    if (!manifest) throw new Error(`${join(runDir, 'manifest.json')} not found: not a finished training run`);
    const published = await publishModels({ fromDir: join(runDir, 'publish'), modelsDir, manifest, force: flags.force, runDir, log });
    log(`published run ${published.run_id} to ${modelsDir} (quality gate ${published.quality_gate?.passed ? 'passed' : 'missed, forced'})`);
    return;
  }
  const started = Date.now();
  const { bucket, close } = await openBucket({ remote: flags.remote, persistTo: flags.persistTo });
  try {
    if (flags.seed) {
      const sets = await committedSets();
      for (const dir of sets) {
        const done = await publishSet({ bucket, dir, log });
        const channel = await readChannel(bucket, done.dataset);
        if (channel.current === null) {
          // a committed set is what a fresh clone serves: promoted even when it misses its gate, which the
          // history records as forced with the misses (the committed manifest's quality_gate says the same)
          if (!done.gate.passed) log(`registry: the committed ${done.dataset} set misses its quality gate; promoting it as committed (recorded as forced):\n${formatMisses(done.gate)}`);
          await promote(bucket, done.dataset, done.version, { force: !done.gate.passed });
        }
        log(`registry: ${done.dataset} ${done.version}${done.uploaded ? ' uploaded' : ''}; channel -> ${channel.current ?? done.version}`);
      }
      for (const dir of await archivedSets(sets)) {
        const done = await publishSet({ bucket, dir, log });
        log(`registry: archived ${done.dataset} ${done.version}${done.uploaded ? ' uploaded' : ''} (pinned URLs only)`);
      }
      log(`registry seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      return;
    }
    if (!program.args[0]) throw new RegistryRefusal('give the directory to publish (or --seed); see --help');
    const source = await setSource(resolve(program.args[0]));
    const done = await publishSet({ bucket, ...source, dataset: dataset as DatasetId | undefined, log });
    log(`${done.uploaded ? 'published' : 'already published:'} ${done.dataset} version ${done.version} (pin it with ?dataset=${done.dataset}&v=${done.version})`);
    if (!done.gate.passed) log(`quality gate missed (promoting needs --force):\n${formatMisses(done.gate)}`);
    if (flags.promote) {
      await promote(bucket, done.dataset, done.version, { force: flags.force });
      log(`promoted: unpinned ${done.dataset} requests now get ${done.version}`);
    }
  } finally {
    await close();
  }
}

try {
  await main();
} catch (err) {
  console.error(`publish failed: ${(err as Error).message}`);
  if (process.env.DEBUG) console.error(err);
  process.exit(1);
}
