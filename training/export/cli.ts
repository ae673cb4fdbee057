/**
 * npm run export -- [--from DIR] [--out DIR] ...
 * Trained tfjs models -> verified ONNX files (+ float16 variants of edge models) and manifest in models/.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { MODEL_SPECS } from '../../core/contract';
import type { Manifest } from '../../core/manifest';
import { BACKEND_CHOICES, selectBackend, type BackendChoice } from '../backend';
import { measureFusedSpeed } from './fused';
import { composeManifest, exportModels, MANIFEST_FILE, publishModels, readManifest } from './index';
import type { ManifestBase } from './manifest-file';
import { defaultSourceDir, missingModels, runIdFromSourceDir } from './source-dir';

export function parseSeed(value: string): number {
  const n = Number(value);
  // digits only: Number() alone also takes '', ' ', '0x10' and '1e3'
  if (!/^\d+$/.test(value) || n > 0xffffffff) throw new InvalidArgumentError(`must be an integer 0..4294967295, got "${value}"`);
  return n;
}

export function parseBackend(value: string): BackendChoice {
  if (!(BACKEND_CHOICES as readonly string[]).includes(value)) throw new InvalidArgumentError(`must be one of ${BACKEND_CHOICES.join(', ')}, got "${value}"`);
  return value as BackendChoice;
}

export interface ExportCliOptions {
  from?: string;
  out: string;
  runId?: string;
  dataset?: string;
  seed?: number;
  quick?: boolean;
  backend: BackendChoice;
  measureFused?: boolean;
  force?: boolean;
  skipCheckModel?: boolean;
}

export function exportProgram(): Command {
  return new Command('npm run export --')
    .description('Export the trained tfjs models to ONNX (float32 + float16 for edge models), verify them, and publish them with manifest.json.')
    .option('--from <dir>', 'tfjs models dir holding <modelId>/model.json (default: newest complete runs/*/tfjs, else models/tfjs)')
    .option('--out <dir>', 'models directory to publish into', 'models')
    .option('--run-id <id>', 'training run id recorded in the models (default: from runs/<runId>/tfjs, else the existing manifest)')
    .option('--dataset <name>', 'dataset recorded in a new manifest (default: the existing manifest\'s, else "mnist")')
    .option('--seed <n>', 'training seed recorded in a new manifest (default: the existing manifest\'s, else 0)', parseSeed)
    .option('--quick', 'record the run as a quick (reduced) training run')
    .option('--backend <name>', `tfjs backend for the parity checks: ${BACKEND_CHOICES.join(', ')}`, parseBackend, 'auto' as BackendChoice)
    .option('--force', 'publish even if the manifest misses the quality gate (core/quality-floors.ts); recorded in manifest.quality_gate')
    .option('--skip-check-model', 'export even if /usr/bin/check-model (python3-onnx) is absent; recorded in the manifest')
    .option('--measure-fused', 'also time generator+decoder fused vs separate in onnxruntime-web and record it')
    .addHelpText('after', '\nExample: npm run export -- --from runs/2024-09-17-full/tfjs');
}

/** The run id: --run-id, else from runs/<runId>/tfjs, else the existing manifest's; undefined if none. */
export function resolveRunId(opts: Pick<ExportCliOptions, 'runId'>, from: string, previous: Manifest | null): string | undefined {
  return opts.runId ?? runIdFromSourceDir(from) ?? previous?.run_id;
}

/** What the new manifest records besides the export: the flags, else the existing manifest's, else defaults. */
export function manifestBase(opts: Pick<ExportCliOptions, 'dataset' | 'seed' | 'quick'>, runId: string, previous: Manifest | null): ManifestBase {
  return {
    runId,
    dataset: opts.dataset ?? previous?.dataset ?? 'mnist',
    seed: opts.seed ?? previous?.seed ?? 0,
    quick: opts.quick ?? previous?.quick ?? false,
    metrics: previous?.metrics ?? {},
  };
}

export async function runExport(opts: ExportCliOptions, log: (line: string) => void = (line) => console.log(line)): Promise<void> {
  const outDir = resolve(opts.out);
  const from = resolve(opts.from ?? (await defaultSourceDir(resolve('runs'), outDir)));
  const missing = await missingModels(from);
  if (missing.length > 0) throw new Error(`--from ${from} is not a complete tfjs models dir: missing ${missing.join(', ')}`);

  const previous = await readManifest(join(outDir, MANIFEST_FILE));
  const runId = resolveRunId(opts, from, previous);
  if (!runId) throw new Error(`cannot tell the run id of ${from} (not runs/<runId>/tfjs and no ${join(outDir, MANIFEST_FILE)}); pass --run-id`);
  if (previous && previous.run_id !== runId) log(`note: replacing run ${previous.run_id} with ${runId}; keeping its metrics except metrics.export`);

  const backend = await selectBackend(opts.backend);
  log(`exporting ${from} -> ${outDir} (run ${runId}; tfjs backend ${backend.name})`);
  const stagingDir = await mkdtemp(join(tmpdir(), 'export-'));
  try {
    const result = await exportModels({ tfjsDir: from, outDir: stagingDir, runId, skipCheckModel: opts.skipCheckModel, log });
    if (opts.measureFused) {
      log('timing generator+decoder fused vs separate in onnxruntime-web ...');
      const read = (file: string) => readFile(join(stagingDir, file));
      const speed = await measureFusedSpeed(await read(MODEL_SPECS.generator.file), await read(MODEL_SPECS.decoder.file));
      log(`  separate ${JSON.stringify(speed.separate_ms)} ms, fused ${JSON.stringify(speed.fused_ms)} ms, fused file ${speed.fused_bytes} bytes`);
      result.checks.fused_vs_separate = speed;
    }
    const manifest = composeManifest(result, manifestBase(opts, runId, previous));
    const published = await publishModels({ fromDir: stagingDir, modelsDir: outDir, manifest, force: opts.force, log });
    const gate = published.quality_gate?.passed ? 'passed' : 'missed, forced';
    log(`published ${Object.keys(manifest.models).length} ONNX files and ${MANIFEST_FILE} to ${outDir} in one step (quality gate ${gate})`);
  } finally {
    await rm(stagingDir, { recursive: true, force: true });
  }
}

// Run only as the script (npm run export); the tests import the functions above.
if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const program = exportProgram().parse();
  runExport(program.opts<ExportCliOptions>()).catch((err: Error) => {
    console.error(`export failed: ${err.message}`);
    process.exitCode = 1;
  });
}
