/**
 * The registry's channels, without a code deploy (training/registry-ops.ts):
 *   npm run promote -- <dataset> <version> [--force]   point the channel at a published version
 *   npm run rollback -- <dataset> [version]            back to the version current before the last change
 *   npm run registry -- list [dataset]                 channels, versions and history
 *   npm run registry -- delete <dataset> <version>     retire a version: its pinned URLs answer 410
 * Local R2 (what `npm start` serves) by default, `--remote` for the account's.
 */
import { Command } from 'commander';
import { DATASET_IDS, isDatasetId, type DatasetId } from '../core/manifest';
import { openBucket, type BucketOptions } from './registry-bucket';
import { deleteVersion, promote, readChannel, rollback, RegistryRefusal } from './registry-ops';

function datasetArg(value: string): DatasetId {
  if (!isDatasetId(value)) throw new RegistryRefusal(`dataset must be one of ${DATASET_IDS.join(', ')}, got "${value}"`);
  return value;
}

async function withBucket(opts: BucketOptions, work: (b: Awaited<ReturnType<typeof openBucket>>['bucket']) => Promise<void>) {
  const { bucket, close } = await openBucket(opts);
  try {
    await work(bucket);
  } catch (err) {
    console.error(`${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    await close();
  }
}

const program = new Command('npm run registry --').description('Promote, roll back and inspect the model registry\'s channels.');
const common = (c: Command) =>
  c.option('--remote', 'the account\'s R2 instead of the local one', false).option('--persist-to <dir>', 'local state directory (default .wrangler/state)');

common(program.command('promote <dataset> <version>'))
  .description('point the dataset\'s channel at a published version (quality gate, or --force: recorded)')
  .option('--force', 'promote although the version misses the quality gate', false)
  .action((dataset: string, version: string, o: BucketOptions & { force: boolean }) =>
    withBucket(o, async (bucket) => {
      const channel = await promote(bucket, datasetArg(dataset), version, { force: o.force });
      console.log(`${dataset} channel -> ${channel.current}${o.force ? ' (forced)' : ''}`);
    }),
  );

common(program.command('rollback <dataset> [version]'))
  .description('point the channel back at the version current before the last change (or at the given one)')
  .action((dataset: string, version: string | undefined, o: BucketOptions) =>
    withBucket(o, async (bucket) => {
      const channel = await rollback(bucket, datasetArg(dataset), version);
      console.log(`${dataset} channel -> ${channel.current} (${channel.history.at(-1)?.note})`);
    }),
  );

common(program.command('delete <dataset> <version>'))
  .description('delete a version that is not current: recorded in the history, then its objects removed; its pins answer 410')
  .action((dataset: string, version: string, o: BucketOptions) =>
    withBucket(o, async (bucket) => {
      await deleteVersion(bucket, datasetArg(dataset), version);
      console.log(`deleted ${dataset} version ${version}`);
    }),
  );

common(program.command('list [dataset]'))
  .description('each channel\'s current version and history')
  .action((dataset: string | undefined, o: BucketOptions) =>
    withBucket(o, async (bucket) => {
      for (const id of dataset ? [datasetArg(dataset)] : DATASET_IDS) {
        const channel = await readChannel(bucket, id);
        console.log(`${id}: ${channel.current ?? '(no version promoted)'}`);
        for (const h of channel.history) console.log(`  ${h.at} ${h.action} ${h.version}${h.forced ? ' FORCED' : ''}${h.note ? ` (${h.note.split('\n')[0]})` : ''}`);
      }
    }),
  );

await program.parseAsync();
