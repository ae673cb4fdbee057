/**
 * Real digits through the models: images [count, 784] -> encoder -> latent codes [count, latentDim], and back
 * through the decoder; and which digit they show, by one of two classifiers (`ClassifierChoice`): the
 * recognizer (pixels -> probabilities [count, 10], trained on all labels with augmentation for people's and
 * printed digits; the default where the set has one) or the study's 50-label classifier (latent code ->
 * probabilities). The upload routes only add decoding and normalisation in front.
 */
import { IMAGE_PIXELS, NOISE_DIM, NUM_CLASSES, TENSOR } from '../../core/contract';
import { interpolateRows } from '../../core/interpolate';
import { noiseForSeed } from '../../core/rng';
import type { EdgeModelId, LoadedModels } from './model-store';
import { decodeLatents, oneHot, runOne, sampleConditionalLatents, sampleLatents, tensor } from './sampling';

/** images [count, 784] in [0, 1] -> latent codes [count, latentDim]. */
export function encodeImages(models: LoadedModels, images: Float32Array, count: number): Promise<Float32Array> {
  return runOne(models.sessions.encoder, { [TENSOR.image]: tensor(images, count, IMAGE_PIXELS) }, TENSOR.latent);
}

/** latent codes [count, latentDim] -> probabilities [count, 10]. */
export function classifyLatents(models: LoadedModels, latents: Float32Array, count: number): Promise<Float32Array> {
  return runOne(models.sessions.classifier, { [TENSOR.latent]: tensor(latents, count, models.latentDim) }, TENSOR.probabilities);
}

/** `recognizer`: pixels, all labels, augmented; `study`: the study's 50-label classifier on latent codes. */
export const CLASSIFIER_CHOICES = ['recognizer', 'study'] as const;
export type ClassifierChoice = (typeof CLASSIFIER_CHOICES)[number];

/** The model behind each choice; responses name it (`model: "recognizer@<version>"`). */
export const CLASSIFIER_MODEL: Record<ClassifierChoice, EdgeModelId> = { recognizer: 'recognizer', study: 'classifier' };

/** The choices `models` can serve, the default first: a set without a recognizer has only `study`. */
export function classifierChoices(models: LoadedModels): ClassifierChoice[] {
  return models.sessions.recognizer ? ['recognizer', 'study'] : ['study'];
}

/** images [count, 784] in [0, 1] -> probabilities [count, 10], by the recognizer. */
export function classifyPixels(models: LoadedModels, images: Float32Array, count: number): Promise<Float32Array> {
  return runOne(models.sessions.recognizer, { [TENSOR.image]: tensor(images, count, IMAGE_PIXELS) }, TENSOR.probabilities);
}

export interface Recognition {
  /** [count, latentDim] */
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

function digitsOf(probabilities: Float32Array, count: number): number[] {
  return Array.from({ length: count }, (_, i) => argmax(probabilities.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES)));
}

/** Classifies normalised images [count, 784] without encoding them when the choice does not need the codes. */
export async function classifyImages(
  models: LoadedModels,
  images: Float32Array,
  count: number,
  classifier: ClassifierChoice,
): Promise<{ probabilities: Float32Array; digits: number[] }> {
  if (classifier === 'study') return recogniseImages(models, images, count, classifier);
  const probabilities = await classifyPixels(models, images, count);
  return { probabilities, digits: digitsOf(probabilities, count) };
}

/** Encodes and classifies normalised images [count, 784] (by the study's classifier unless told otherwise). */
export async function recogniseImages(models: LoadedModels, images: Float32Array, count: number, classifier: ClassifierChoice = 'study'): Promise<Recognition> {
  const latents = await encodeImages(models, images, count);
  const probabilities = classifier === 'study' ? await classifyLatents(models, latents, count) : await classifyPixels(models, images, count);
  return { latents, probabilities, digits: digitsOf(probabilities, count) };
}

/** The study classifier's digit for each latent code [count, latentDim]. */
export async function digitsOfLatents(models: LoadedModels, latents: Float32Array, count: number): Promise<number[]> {
  return digitsOf(await classifyLatents(models, latents, count), count);
}

/** Where a path from a real digit ends. */
export type PathEnd =
  | { kind: 'latent'; latent: Float32Array }
  /** a conditional sample: image 0 of /v1/digits/{digit}?seed= */
  | { kind: 'digit'; digit: number; seed: number }
  /** an unconditional sample: image 0 of /v1/generate?seed= */
  | { kind: 'seed'; seed: number };

/** The latent code [latentDim] of a path end. */
export async function latentOfEnd(models: LoadedModels, end: PathEnd): Promise<Float32Array> {
  if (end.kind === 'latent') return end.latent;
  const noise = noiseForSeed(end.seed, 1, NOISE_DIM);
  return end.kind === 'digit' ? sampleConditionalLatents(models, noise, oneHot(end.digit, 1), 1) : sampleLatents(models, noise, 1);
}

/** `steps` decoded images on the straight line between two latent codes, ends included: [steps, 784]. */
export function decodePath(models: LoadedModels, from: Float32Array, to: Float32Array, steps: number): Promise<Float32Array> {
  return decodeLatents(models, interpolateRows(from, to, steps), steps);
}
