/**
 * `npm run train-recognizer`: trains the recognizer alone (the same stage `npm run train` runs) and adds it
 * to an existing model set (default models/) without retraining the rest: exported with the project's
 * exporter and its checks (check-model, float32 parity in both runtimes, float16 measured), scored next to
 * the set's evaluator and 50-label classifier (training/stages/recognition-study.ts), written into the
 * manifest (models.recognizer*, metrics.recognizer, metrics.export) and REPORT.md, and published through
 * the quality gate in one atomic swap (training/publish.ts).
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Command, InvalidArgumentError, Option } from 'commander';
import { float16File, MODEL_SPECS } from '../core/contract';
import { manifestSchema, type Manifest } from '../core/manifest';
import { BACKEND_CHOICES, selectBackend, type BackendChoice } from './backend';
import { FULL_CONFIG, QUICK_CONFIG, type RecognizerConfig } from './config';
import { loadFontGlyphs } from './data/font-glyphs';
import { loadDataset } from './data/mnist';
import { measureFloat16 } from './export/float16-check';
import { manifestKey, stageModelFile, verifyFloat32Parity } from './export/export-model';
import { MANIFEST_FILE, publishModels, readManifest, TFJS_SUBDIR } from './export/index';
import { loadModel, saveModel } from './model-io';
import { consoleLogger, type Logger } from './progress';
import { recognitionSectionLines, withRecognitionSection } from './report/recognition';
import { seedStage } from './seeding';
import { runRecognitionStudy } from './stages/recognition-study';
import { trainRecognizer } from './stages/recognizer';
import { REPORT_FILE } from './pipeline';

const ID = 'recognizer' as const;

export interface RecognizerExport {
  /** manifest entries of recognizer and recognizer.f16 */
  models: Manifest['models'];
  /** what goes under metrics.export for them */
  checks: { check_model: Record<string, string>; float32_parity: Record<string, number>; float16: unknown; sizes: Record<string, { bytes: number; gzip_bytes: number }> };
}

/** Exports the trained recognizer at `tfjsDir/recognizer` into `outDir` (float32 + float16), with the exporter's checks. */
export async function exportRecognizer(tfjsDir: string, outDir: string, runId: string, decoderDir: string, decoderF16: Uint8Array): Promise<RecognizerExport> {
  const spec = MODEL_SPECS[ID];
  const model = await loadModel(join(tfjsDir, ID));
  const decoder = await loadModel(decoderDir);
  try {
    const out: RecognizerExport = { models: {}, checks: { check_model: {}, float32_parity: {}, float16: null, sizes: {} } };
    let f16: Uint8Array = new Uint8Array();
    for (const weights of ['float32', 'float16'] as const) {
      const staged = await stageModelFile(model, spec, weights, { outDir, runId });
      const key = manifestKey(staged.entry.file);
      if (staged.checkModel.status !== 'passed') throw new Error(`check-model on ${staged.entry.file}: ${staged.checkModel.status === 'absent' ? staged.checkModel.reason : 'failed'}`);
      out.models[key] = staged.entry;
      out.checks.check_model[key] = 'passed';
      out.checks.sizes[key] = { bytes: staged.bytes.length, gzip_bytes: gzipSync(staged.bytes, { level: 9 }).length };
      if (weights === 'float32') out.checks.float32_parity = await verifyFloat32Parity(model, spec, staged.bytes);
      else f16 = staged.bytes;
    }
    // measureFloat16 needs the decoder beside (it measures generators in pixels); only the recognizer's row is kept
    out.checks.float16 = (await measureFloat16({ [ID]: model, decoder }, { [ID]: f16, decoder: decoderF16 }))[ID];
    return out;
  } finally {
    model.dispose();
    decoder.dispose();
  }
}

/** The manifest of `previous` with the recognizer's files, checks and metrics added (replacing any earlier ones). */
export function withRecognizer(previous: Manifest, exported: RecognizerExport, metrics: Record<string, unknown>): Manifest {
  const exportChecks = (previous.metrics.export ?? {}) as Record<string, Record<string, unknown>>;
  const merge = (name: string, add: Record<string, unknown>) => ({ ...(exportChecks[name] ?? {}), ...add });
  const parity = (exportChecks.float32_parity ?? {}) as { max_abs_diff?: Record<string, unknown> };
  const float16 = (exportChecks.float16 ?? {}) as { models?: Record<string, unknown> };
  return manifestSchema.parse({
    ...previous,
    models: { ...previous.models, ...exported.models },
    metrics: {
      ...previous.metrics,
      recognizer: metrics,
      export: {
        ...exportChecks,
        check_model: merge('check_model', exported.checks.check_model),
        float32_parity: { ...parity, max_abs_diff: { ...(parity.max_abs_diff ?? {}), [ID]: exported.checks.float32_parity } },
        float16: { ...float16, models: { ...(float16.models ?? {}), [ID]: exported.checks.float16 } },
        sizes: merge('sizes', exported.checks.sizes),
      },
    },
  });
}

export interface AddRecognizerOptions {
  modelsDir: string;
  config: RecognizerConfig;
  seed: number;
  limitTrain?: number;
  backend: BackendChoice;
  force?: boolean;
  logger: Logger;
}

export async function addRecognizer(opts: AddRecognizerOptions): Promise<Manifest> {
  const { logger } = opts;
  const previous = await readManifest(join(opts.modelsDir, MANIFEST_FILE));
  if (!previous) throw new Error(`${opts.modelsDir} has no ${MANIFEST_FILE}: train the set first (npm run train)`);
  const backend = await selectBackend(opts.backend);
  logger.log(`TensorFlow.js backend: ${backend.name} (${backend.reason})`);
  const data = await loadDataset({ limitTrain: opts.limitTrain });
  const glyphs = await loadFontGlyphs();
  logger.log(`   MNIST ${data.train.count} train / ${data.validation.count} validation; font glyphs ${glyphs.fit.count} fitting (${glyphs.fonts.fit} fonts), ${glyphs.validation.count} validation (${glyphs.fonts.validation} fonts)`);
  const rng = seedStage(opts.seed, ID);
  const recognizer = await trainRecognizer(data, glyphs, opts.config, logger, rng);

  const staging = await mkdtemp(join(tmpdir(), 'recognizer-'));
  try {
    // the whole tfjs/ tree: publishing replaces models/tfjs with the staged one
    await cp(join(opts.modelsDir, TFJS_SUBDIR), join(staging, TFJS_SUBDIR), { recursive: true });
    await rm(join(staging, TFJS_SUBDIR, ID), { recursive: true, force: true });
    await saveModel(recognizer.model, join(staging, TFJS_SUBDIR, ID));
    recognizer.model.dispose();
    logger.log('exporting the recognizer (check-model, float32 parity in onnxruntime-node and -web, float16) ...');
    const decoderF16 = new Uint8Array(await readFile(join(opts.modelsDir, float16File(MODEL_SPECS.decoder.file))));
    const exported = await exportRecognizer(join(staging, TFJS_SUBDIR), staging, previous.run_id, join(opts.modelsDir, TFJS_SUBDIR, 'decoder'), decoderF16);
    for (const name of ['evaluator', 'encoder', 'classifier'] as const) {
      const file = MODEL_SPECS[name].edge ? float16File(MODEL_SPECS[name].file) : MODEL_SPECS[name].file;
      await cp(join(opts.modelsDir, file), join(staging, file));
    }
    logger.log('scoring the recognizer, the evaluator and the 50-label classifier on the font test set and the MNIST test set ...');
    const scores = await runRecognitionStudy(staging, data.test);
    for (const name of ['evaluator', 'encoder', 'classifier'] as const) {
      await rm(join(staging, MODEL_SPECS[name].edge ? float16File(MODEL_SPECS[name].file) : MODEL_SPECS[name].file));
    }
    const metrics = { ...recognizer.metrics, ...scores };
    const manifest = withRecognizer(previous, exported, metrics);
    const report = await readFile(join(opts.modelsDir, REPORT_FILE), 'utf8').catch(() => '# Latent Digits: study report\n');
    await writeFile(join(staging, REPORT_FILE), withRecognitionSection(report, recognitionSectionLines(recognizer.metrics, scores)));
    const f = scores.font_test.models;
    logger.log(`font test set accuracy: recognizer ${f.recognizer.accuracy} (per digit ${f.recognizer.per_digit.join(' ')}), evaluator ${f.evaluator.accuracy}, 50-label classifier ${f.classifier.accuracy}`);
    logger.log(`MNIST test accuracy: recognizer ${scores.mnist_test.models.recognizer.accuracy}, evaluator ${scores.mnist_test.models.evaluator.accuracy}, 50-label classifier ${scores.mnist_test.models.classifier.accuracy}`);
    return await publishModels({ fromDir: staging, modelsDir: opts.modelsDir, manifest, force: opts.force, log: (line) => logger.log(line) });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function seedArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 0xffffffff) throw new InvalidArgumentError(`--seed must be an integer 0..4294967295, got "${value}"`);
  return n;
}

function epochsArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 200) throw new InvalidArgumentError(`--epochs must be an integer 1..200, got "${value}"`);
  return n;
}

const program = new Command('npm run train-recognizer --')
  .description('Train the recognizer (pixel classifier for people\'s digits, on all MNIST labels and the training fonts, with augmentation), export and check it, score it next to the set\'s evaluator and 50-label classifier, and add it to an existing model set.')
  .option('--models-dir <dir>', 'model set to add the recognizer to', 'models')
  .option('--seed <n>', 'training seed', seedArg, FULL_CONFIG.seed)
  .option('--epochs <n>', `epochs (default ${FULL_CONFIG.recognizer.epochs})`, epochsArg)
  .option('--quick', 'a 2,000-image subset and 2 epochs (for trying the command; misses nothing but accuracy)')
  .addOption(new Option('--backend <name>', 'TensorFlow.js backend').choices(BACKEND_CHOICES).default('auto'))
  .option('--force', 'publish even if the set misses the quality gate (core/quality-floors.ts); recorded in the manifest')
  .option('--quiet', 'no progress output')
  .showHelpAfterError();

program.parse();
const flags = program.opts<{ modelsDir: string; seed: number; epochs?: number; quick?: boolean; backend: BackendChoice; force?: boolean; quiet?: boolean }>();
const base = flags.quick ? QUICK_CONFIG : FULL_CONFIG;
const started = performance.now();
try {
  const manifest = await addRecognizer({
    modelsDir: resolve(flags.modelsDir),
    config: { ...base.recognizer, epochs: flags.epochs ?? base.recognizer.epochs },
    seed: flags.seed,
    limitTrain: base.limitTrain,
    backend: flags.backend,
    force: flags.force,
    logger: consoleLogger({ quiet: flags.quiet }),
  });
  process.stderr.write(`added the recognizer to ${flags.modelsDir} (run ${manifest.run_id}) in ${Math.round((performance.now() - started) / 1000)} s\n`);
  process.exit(0);
} catch (err) {
  process.stderr.write(`train-recognizer failed: ${(err as Error).message}\n(${flags.modelsDir} was not changed)\n`);
  if (process.env.DEBUG) process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
}
