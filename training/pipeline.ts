/**
 * The whole offline run: data -> autoencoder -> evaluator -> recognizer -> 50-label study -> latent GAN ->
 * conditional GAN -> generation and interpolation study -> ONNX export -> recognition study -> figures and
 * report -> publish to models/.
 * Everything is written under runs/<runId>/ first; models/ changes only after every stage and every
 * export check passed, so a crashed run leaves the previous models intact.
 */
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, type ModelId } from '../core/contract';
import type { Manifest } from '../core/manifest';
import { selectBackend, type BackendChoice } from './backend';
import type { RunConfig } from './config';
import { loadDataset } from './data/mnist';
import { composeManifest, exportModels } from './export/index';
import { publishModels } from './publish';
import { predictBatched } from './fit';
import { saveModel } from './model-io';
import { buildEncoder } from './models/architectures';
import { StageClock, type Logger } from './progress';
import { writeFigures } from './report/figures';
import { renderReport } from './report/report';
import { seedStage } from './seeding';
import { trainAutoencoder } from './stages/autoencoder';
import { runClassifierStudy } from './stages/classifier-study';
import { trainEvaluatorInChild } from './stages/evaluator-process';
import { trainLatentGanInChild, writeGanInputs } from './stages/gan-process';
import { runGenerationStudy } from './stages/generation-study';
import { runRecognitionStudy } from './stages/recognition-study';
import { trainRecognizerInChild } from './stages/recognizer-process';

export interface PipelineOptions {
  config: RunConfig;
  dataDir?: string;
  runsDir: string;
  /** where to publish the artifacts; null = leave models/ alone */
  modelsDir: string | null;
  /** publish even if the quality gate (core/quality-floors.ts) is missed; recorded in the manifest */
  force?: boolean;
  /** export although check-model is absent; recorded in the manifest */
  skipCheckModel?: boolean;
  backend: BackendChoice;
  command: string;
  logger: Logger;
}

export interface PipelineResult {
  runId: string;
  runDir: string;
  manifest: Manifest;
  published: boolean;
}

export const REPORT_FILE = 'REPORT.md';
export const EVALUATOR_STAGE = 'evaluator (trained alongside the autoencoder; the wait after it)';
export const RECOGNIZER_STAGE = 'recognizer (trained alongside the autoencoder and the study; the wait after it)';
export const GAN_STAGE = 'latent GAN and conditional latent GAN (trained alongside the study; the wait after it)';
export const FIGURES_DIR = 'figures';

function newRunId(config: RunConfig): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${stamp}-seed${config.seed}${config.quick ? '-quick' : ''}`;
}

export async function runPipeline(opts: PipelineOptions): Promise<PipelineResult> {
  const { config, logger } = opts;
  const runId = newRunId(config);
  const runDir = join(opts.runsDir, runId);
  const tfjsDir = join(runDir, 'tfjs');
  const createdAt = new Date().toISOString();
  await mkdir(runDir, { recursive: true });
  const clock = new StageClock(logger);
  logger.log(`run ${runId} -> ${runDir}`);

  const backend = await selectBackend(opts.backend);
  logger.log(`TensorFlow.js backend: ${backend.name} (${backend.reason})`);

  const dataOptions = { dir: opts.dataDir, limitTrain: config.limitTrain, limitTest: config.limitTest };
  const data = await clock.run('data', async () => {
    const d = await loadDataset(dataOptions);
    logger.log(`   ${d.name}: ${d.train.count} train, ${d.validation.count} validation (held out), ${d.test.count} test`);
    return d;
  });

  // the evaluator does not depend on the autoencoder: it trains in a child process meanwhile (one core each)
  const evaluatorTraining = trainEvaluatorInChild(
    { seed: config.seed, config, backend: opts.backend, data: dataOptions, outDir: join(tfjsDir, 'evaluator') },
    logger,
  );
  evaluatorTraining.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
  // the recognizer needs only the data too: a child of its own, waited for before the export
  const recognizerTraining = trainRecognizerInChild(
    { seed: config.seed, config: config.recognizer, backend: opts.backend, data: dataOptions, outDir: join(tfjsDir, 'recognizer' satisfies ModelId) },
    logger,
  );
  recognizerTraining.catch(() => undefined);
  const ae = await clock.run('autoencoder', async () => {
    seedStage(config.seed, 'autoencoder');
    return trainAutoencoder(data, config, logger);
  });
  await saveModel(ae.encoder, join(tfjsDir, 'encoder'));
  await saveModel(ae.decoder, join(tfjsDir, 'decoder'));
  const evaluator = await clock.run(EVALUATOR_STAGE, () => evaluatorTraining);

  // the training images' codes [train.count, LATENT_DIM], encoded once for the study, the GANs and the baselines
  const trainCodes = predictBatched(ae.encoder, data.train.images, IMAGE_PIXELS);
  // the two GANs need only the codes: each trains in its own process, started now, while this process runs
  // the classifier study (three processes on two cores, shorter than study then GANs)
  const ganInputs = await writeGanInputs(runDir, trainCodes, data.train.labels);
  const ganJob = (stage: string, conditional: boolean, id: ModelId) =>
    trainLatentGanInChild(
      { stage, seed: config.seed, conditional, config: conditional ? config.cgan : config.gan, backend: opts.backend, ...ganInputs, outDir: join(tfjsDir, id) },
      logger,
    );
  const gansTraining = Promise.all([ganJob('gan', false, 'generator'), ganJob('cgan', true, 'cgan-generator')]);
  gansTraining.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile

  const study = await clock.run('classifier study (50 labels)', async () => {
    const rng = seedStage(config.seed, 'classifier-study');
    return runClassifierStudy({ data, encoder: ae.encoder, trainCodes, buildEncoder: () => buildEncoder(), config, logger, rng });
  });
  // the served 50-label classifier: the study's method (spread labels distilled into an MLP) for draw 0
  await saveModel(study.served, join(tfjsDir, 'classifier' satisfies ModelId));

  const [gan, cgan] = await clock.run(GAN_STAGE, () => gansTraining);
  await Promise.all([rm(ganInputs.codesFile), rm(ganInputs.labelsFile)]);

  const generation = await clock.run('generation and interpolation study', async () => {
    const rng = seedStage(config.seed, 'generation-study');
    return runGenerationStudy(
      data,
      { encoder: ae.encoder, decoder: ae.decoder, generator: gan.generator, cganGenerator: cgan.generator, evaluator, trainCodes },
      config,
      { ganTemperature: config.gan.temperature, cganTemperature: config.cgan.temperature, seed: config.seed },
      rng,
      logger,
    );
  });

  const recognizerMetrics = await clock.run(RECOGNIZER_STAGE, () => recognizerTraining);

  const stagingDir = join(runDir, 'publish');
  await rm(stagingDir, { recursive: true, force: true });
  const exported = await clock.run('ONNX export and checks', () =>
    exportModels({ tfjsDir, outDir: stagingDir, runId, skipCheckModel: opts.skipCheckModel, log: (line) => logger.log(`   ${line}`) }),
  );
  // through the staged ONNX files, as the worker would serve them
  const recognition = await clock.run('recognition study (font test set, MNIST test set)', () => runRecognitionStudy(stagingDir, data.test));

  const metrics = {
    backend: backend.name,
    dataset: { name: data.name, train: data.train.count, validation: data.validation.count, test: data.test.count },
    autoencoder: ae.metrics,
    evaluator: evaluator.metrics,
    classifier: study.metrics,
    recognizer: { ...recognizerMetrics, ...recognition },
    gan: { training: gan.metrics, ...generation.metrics.gan },
    cgan: { training: cgan.metrics, ...generation.metrics.cgan },
    baselines: generation.metrics.baselines,
    margin_temperatures: generation.metrics.margin_temperatures,
    generators_by_temperature: generation.metrics.generators_by_temperature,
    interpolation: generation.metrics.interpolation,
    timings: { stages: clock.timings, total_seconds: clock.totalSeconds() },
    config,
  };
  const manifest = composeManifest(exported, { runId, dataset: data.name, seed: config.seed, quick: config.quick, metrics });

  // figures and report, written into the run directory (and staged for models/)
  const figuresDir = join(stagingDir, FIGURES_DIR);
  await writeFigures(figuresDir, generation, study.curves, study.metrics.reference);
  const report = renderReport({
    runId,
    createdAt,
    dataset: data.name,
    seed: config.seed,
    quick: config.quick,
    backend: backend.name,
    command: opts.command,
    counts: { train: data.train.count, validation: data.validation.count, test: data.test.count },
    autoencoder: ae.metrics,
    evaluator: evaluator.metrics,
    study: study.metrics,
    recognizer: { training: recognizerMetrics, scores: recognition },
    gan: gan.metrics,
    cganTraining: cgan.metrics,
    generation: generation.metrics,
    timings: clock.timings,
    totalSeconds: clock.totalSeconds(),
    figuresDir: FIGURES_DIR,
    exportChecks: exported.checks,
  });
  await writeFile(join(stagingDir, REPORT_FILE), report);
  await writeFile(join(runDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  await writeFile(join(runDir, REPORT_FILE), report);
  await copyDir(figuresDir, join(runDir, FIGURES_DIR));
  tf.disposeVariables();

  if (opts.modelsDir === null) {
    logger.log(`\nnot publishing (models/ left as it was); run artifacts in ${runDir}`);
    return { runId, runDir, manifest, published: false };
  }
  const published = await publishModels({ fromDir: stagingDir, modelsDir: opts.modelsDir, manifest, force: opts.force, runDir, log: (line) => logger.log(line) });
  logger.log(`\npublished to ${relative(process.cwd(), opts.modelsDir) || '.'} in one step: ONNX files, manifest.json, ${REPORT_FILE}, ${FIGURES_DIR}/ (quality gate ${published.quality_gate?.passed ? 'passed' : 'missed, forced'})`);
  logger.log(`total ${clock.totalSeconds()} s`);
  return { runId, runDir, manifest: published, published: true };
}

async function copyDir(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) await copyFile(join(from, name), join(to, name));
}
