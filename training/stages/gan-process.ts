/**
 * One latent GAN trained in a child process (training/child-stage.ts), so the unconditional and the
 * conditional GAN train at the same time, one core each. The child reads the codes and labels from files
 * the parent wrote, seeds its stage exactly as the parent would, trains, and saves the generator (tfjs
 * files) and its metrics (JSON); the result is the same as training in the parent process.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { selectBackend, type BackendChoice } from '../backend';
import { runStageInChild, serveChildStage } from '../child-stage';
import type { GanConfig } from '../config';
import { loadModel, saveModel } from '../model-io';
import type { Logger } from '../progress';
import { seedStage } from '../seeding';
import { trainLatentGan, type GanResult } from './gan';

export interface GanJob {
  /** stage name for seeding (seedStage(seed, stage)) */
  stage: string;
  seed: number;
  conditional: boolean;
  config: GanConfig;
  backend: BackendChoice;
  /** float32 codes [rows, LATENT_DIM] and uint8 labels [rows], raw little-endian */
  codesFile: string;
  labelsFile: string;
  /** where the child saves the generator (tfjs files) and metrics.json */
  outDir: string;
}

/** Writes the training codes and labels once for the children to read. */
export async function writeGanInputs(dir: string, codes: Float32Array, labels: Uint8Array): Promise<{ codesFile: string; labelsFile: string }> {
  const codesFile = join(dir, 'gan-codes.f32');
  const labelsFile = join(dir, 'gan-labels.u8');
  await writeFile(codesFile, new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength));
  await writeFile(labelsFile, labels);
  return { codesFile, labelsFile };
}

/** Trains a GAN in a child process; the generator comes back loaded from the files the child saved. */
export async function trainLatentGanInChild(job: GanJob, logger: Logger): Promise<GanResult> {
  await runStageInChild(import.meta.url, job.stage, job, logger);
  const metrics = JSON.parse(await readFile(join(job.outDir, 'metrics.json'), 'utf8')) as GanResult['metrics'];
  return { generator: await loadModel(job.outDir), metrics };
}

serveChildStage<GanJob>(import.meta.url, async (job, logger) => {
  await selectBackend(job.backend);
  const codes = new Float32Array(new Uint8Array(await readFile(job.codesFile)).buffer);
  const labels = new Uint8Array(await readFile(job.labelsFile));
  const rng = seedStage(job.seed, job.stage);
  const result = await trainLatentGan({ codes, labels, conditional: job.conditional, config: job.config, logger, rng });
  await saveModel(result.generator, job.outDir);
  await writeFile(join(job.outDir, 'metrics.json'), JSON.stringify(result.metrics));
});
