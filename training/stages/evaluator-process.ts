/**
 * The evaluator trained in a child process (training/child-stage.ts) while the parent trains the
 * autoencoder: the two do not depend on each other, so they take one core each. The child loads the same
 * data, seeds the stage exactly as the parent would, trains, and saves the model (tfjs files) and its
 * metrics (JSON); the result is the same as training in the parent process.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend, type BackendChoice } from '../backend';
import { runStageInChild, serveChildStage } from '../child-stage';
import type { RunConfig } from '../config';
import { loadDataset, type LoadOptions } from '../data/mnist';
import { loadModel, saveModel } from '../model-io';
import type { Logger } from '../progress';
import { seedStage } from '../seeding';
import { evaluatorOf, pixelSoftmaxBaseline, trainEvaluator, type Evaluator } from './evaluator';

export interface EvaluatorJob {
  seed: number;
  config: RunConfig;
  backend: BackendChoice;
  data: LoadOptions;
  /** where the child saves the model (tfjs files) and metrics.json */
  outDir: string;
}

export async function trainEvaluatorInChild(job: EvaluatorJob, logger: Logger): Promise<Evaluator> {
  await runStageInChild(import.meta.url, 'evaluator', job, logger);
  const metrics = JSON.parse(await readFile(join(job.outDir, 'metrics.json'), 'utf8')) as Evaluator['metrics'];
  return evaluatorOf(await loadModel(job.outDir), metrics);
}

serveChildStage<EvaluatorJob>(import.meta.url, async (job, logger) => {
  await selectBackend(job.backend);
  const data = await loadDataset(job.data);
  seedStage(job.seed, 'evaluator');
  const evaluator = await trainEvaluator(data, job.config, logger);
  await saveModel(evaluator.model, job.outDir);
  const baseline = await pixelSoftmaxBaseline(data, logger, job.config.quick ? 2 : undefined);
  await writeFile(join(job.outDir, 'metrics.json'), JSON.stringify({ ...evaluator.metrics, baseline }));
});
