/**
 * The recognizer trained in a child process (training/child-stage.ts), so it takes the second core while
 * the parent runs the 50-label study; the same data, seed and stage as in the parent, so the result is the
 * one training it in place would give.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend, type BackendChoice } from '../backend';
import { runStageInChild, serveChildStage } from '../child-stage';
import type { RecognizerConfig } from '../config';
import { loadFontGlyphs } from '../data/font-glyphs';
import { loadDataset, type LoadOptions } from '../data/mnist';
import { saveModel } from '../model-io';
import type { Logger } from '../progress';
import { seedStage } from '../seeding';
import { trainRecognizer, type RecognizerMetrics } from './recognizer';

export interface RecognizerJob {
  seed: number;
  config: RecognizerConfig;
  backend: BackendChoice;
  data: LoadOptions;
  /** where the child saves the model (tfjs files) and metrics.json */
  outDir: string;
}

/** Trains in a child; the model is left in job.outDir (tfjs files), the metrics are returned. */
export async function trainRecognizerInChild(job: RecognizerJob, logger: Logger): Promise<RecognizerMetrics> {
  await runStageInChild(import.meta.url, 'recognizer', job, logger);
  return JSON.parse(await readFile(join(job.outDir, 'metrics.json'), 'utf8')) as RecognizerMetrics;
}

serveChildStage<RecognizerJob>(import.meta.url, async (job, logger) => {
  await selectBackend(job.backend);
  const data = await loadDataset(job.data);
  const glyphs = await loadFontGlyphs();
  const rng = seedStage(job.seed, 'recognizer');
  const { model, metrics } = await trainRecognizer(data, glyphs, job.config, logger, rng);
  await saveModel(model, job.outDir);
  await writeFile(join(job.outDir, 'metrics.json'), JSON.stringify(metrics));
});
