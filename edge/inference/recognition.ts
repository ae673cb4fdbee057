/**
 * Real digits through the autoencoder: images [count, 784] -> encoder -> latent codes [count, 16] ->
 * the study's 50-label classifier -> class probabilities [count, 10], and back through the decoder.
 * These are the models the study scored; the upload routes only add decoding and normalisation in front.
 */
import { IMAGE_PIXELS, LATENT_DIM, NOISE_DIM, NUM_CLASSES, TENSOR } from '../../core/contract';
import { interpolateRows } from '../../core/interpolate';
import { noiseForSeed } from '../../core/rng';
import type { LoadedModels } from './model-store';
import { decodeLatents, oneHot, runOne, sampleConditionalLatents, sampleLatents, tensor } from './sampling';

/** images [count, 784] in [0, 1] -> latent codes [count, 16]. */
export function encodeImages(models: LoadedModels, images: Float32Array, count: number): Promise<Float32Array> {
  return runOne(models.sessions.encoder, { [TENSOR.image]: tensor(images, count, IMAGE_PIXELS) }, TENSOR.latent);
}

/** latent codes [count, 16] -> probabilities [count, 10]. */
export function classifyLatents(models: LoadedModels, latents: Float32Array, count: number): Promise<Float32Array> {
  return runOne(models.sessions.classifier, { [TENSOR.latent]: tensor(latents, count, LATENT_DIM) }, TENSOR.probabilities);
}

export interface Recognition {
  /** [count, 16] */
  latents: Float32Array;
  /** [count, 10] */
  probabilities: Float32Array;
  /** [count] argmax of each row */
  digits: number[];
}

function argmax(row: Float32Array): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

/** Encodes and classifies normalised images [count, 784]. */
export async function recogniseImages(models: LoadedModels, images: Float32Array, count: number): Promise<Recognition> {
  const latents = await encodeImages(models, images, count);
  const probabilities = await classifyLatents(models, latents, count);
  const digits = Array.from({ length: count }, (_, i) => argmax(probabilities.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES)));
  return { latents, probabilities, digits };
}

/** Where a path from a real digit ends. */
export type PathEnd =
  | { kind: 'latent'; latent: Float32Array }
  /** a conditional sample: image 0 of /v1/digits/{digit}?seed= */
  | { kind: 'digit'; digit: number; seed: number }
  /** an unconditional sample: image 0 of /v1/generate?seed= */
  | { kind: 'seed'; seed: number };

/** The latent code [16] of a path end. */
export async function latentOfEnd(models: LoadedModels, end: PathEnd): Promise<Float32Array> {
  if (end.kind === 'latent') return end.latent;
  const noise = noiseForSeed(end.seed, 1, NOISE_DIM);
  return end.kind === 'digit' ? sampleConditionalLatents(models, noise, oneHot(end.digit, 1), 1) : sampleLatents(models, noise, 1);
}

/** `steps` decoded images on the straight line between two latent codes, ends included: [steps, 784]. */
export function decodePath(models: LoadedModels, from: Float32Array, to: Float32Array, steps: number): Promise<Float32Array> {
  return decodeLatents(models, interpolateRows(from, to, steps), steps);
}
