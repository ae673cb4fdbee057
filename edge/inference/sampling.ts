/**
 * From seeds to pixels: noise (core/rng `noiseForSeed`) -> generator -> latent codes -> decoder -> images.
 * Everything here is deterministic: the same request gives the same float pixels on every run, which is
 * what lets Node reproduce the worker's images (test/served/parity.test.ts).
 */
import { NOISE_DIM, NUM_CLASSES, TENSOR } from '../../core/contract';
import { interpolateRows } from '../../core/interpolate';
import { noiseForSeed } from '../../core/rng';
import type { LoadedModels } from './model-store';
import { ort } from './ort';

export type GeneratorId = 'generator' | 'cgan-generator';

/** `count` images as [count, 784] float pixels in [0, 1], and the generator that produced them. */
export interface Images {
  pixels: Float32Array;
  count: number;
  generator: GeneratorId;
}

export function tensor(data: Float32Array, rows: number, width: number): ort.Tensor {
  return new ort.Tensor('float32', data, [rows, width]);
}

export async function runOne(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, output: string) {
  const result = await session.run(feeds);
  // Already ours, no second copy needed: onnxruntime-web 1.30 copies every CPU output out of the wasm heap into
  // a fresh typed array, and onnxruntime-node returns a buffer of its own; dispose() drops the tensor's
  // reference, not the array (test/worker/sampling.test.ts guards this: a kept result survives later runs).
  const data = result[output].data as Float32Array;
  for (const t of Object.values(result)) t.dispose();
  return data;
}

/** noise [count, 32] -> latent codes [count, latentDim] through the latent GAN generator. */
export function sampleLatents(models: LoadedModels, noise: Float32Array, count: number): Promise<Float32Array> {
  return runOne(models.sessions.generator, { [TENSOR.noise]: tensor(noise, count, NOISE_DIM) }, TENSOR.latent);
}

/** noise [count, 32], labels [count, 10] (one-hot, or a mix while morphing) -> latent codes [count, latentDim]. */
export function sampleConditionalLatents(
  models: LoadedModels,
  noise: Float32Array,
  labels: Float32Array,
  count: number,
): Promise<Float32Array> {
  return runOne(
    models.sessions['cgan-generator'],
    { [TENSOR.noise]: tensor(noise, count, NOISE_DIM), [TENSOR.digit]: tensor(labels, count, NUM_CLASSES) },
    TENSOR.latent,
  );
}

/** latent codes [count, latentDim] -> images [count, 784] through the autoencoder's decoder. */
export function decodeLatents(models: LoadedModels, latents: Float32Array, count: number): Promise<Float32Array> {
  return runOne(models.sessions.decoder, { [TENSOR.latent]: tensor(latents, count, models.latentDim) }, TENSOR.image);
}

/** [count, 10] rows, each the one-hot of `digit`. */
export function oneHot(digit: number, count: number): Float32Array {
  const labels = new Float32Array(count * NUM_CLASSES);
  for (let i = 0; i < count; i++) labels[i * NUM_CLASSES + digit] = 1;
  return labels;
}

/** n unconditional samples: image i comes from row i of `noiseForSeed(seed, n, 32)`. */
export async function generateImages(models: LoadedModels, seed: number, n: number): Promise<Images> {
  const latents = await sampleLatents(models, noiseForSeed(seed, n, NOISE_DIM), n);
  return { pixels: await decodeLatents(models, latents, n), count: n, generator: 'generator' };
}

/** n samples of one digit: the same noise rows as `generateImages`, with the digit's one-hot label. */
export async function generateDigits(models: LoadedModels, digit: number, seed: number, n: number): Promise<Images> {
  const latents = await sampleConditionalLatents(models, noiseForSeed(seed, n, NOISE_DIM), oneHot(digit, n), n);
  return { pixels: await decodeLatents(models, latents, n), count: n, generator: 'cgan-generator' };
}

export interface InterpolationRequest {
  from: number;
  to: number;
  steps: number;
  /** 'noise': interpolate generator inputs; 'latent': interpolate the endpoints' latent codes. */
  space: 'noise' | 'latent';
  /** Both set: walk between conditional samples of these digits (labels interpolate with the noise). */
  digits?: { from: number; to: number };
}

/**
 * A path of `steps` images from the sample of seed `from` to the sample of seed `to`, ends included.
 * An endpoint's noise is row 0 of `noiseForSeed(seed, 1, 32)`, the same as image 0 of /v1/generate.
 */
export async function interpolateImages(models: LoadedModels, req: InterpolationRequest): Promise<Images> {
  const { steps, digits } = req;
  const noiseA = noiseForSeed(req.from, 1, NOISE_DIM);
  const noiseB = noiseForSeed(req.to, 1, NOISE_DIM);
  const generator: GeneratorId = digits ? 'cgan-generator' : 'generator';
  const latentsOf = (noise: Float32Array, labels: Float32Array | null, count: number) =>
    labels ? sampleConditionalLatents(models, noise, labels, count) : sampleLatents(models, noise, count);
  const labelA = digits ? oneHot(digits.from, 1) : null;
  const labelB = digits ? oneHot(digits.to, 1) : null;

  let latents: Float32Array;
  if (req.space === 'noise') {
    const labels = labelA && labelB ? interpolateRows(labelA, labelB, steps) : null;
    latents = await latentsOf(interpolateRows(noiseA, noiseB, steps), labels, steps);
  } else {
    const ends = await latentsOf(
      new Float32Array([...noiseA, ...noiseB]),
      labelA && labelB ? new Float32Array([...labelA, ...labelB]) : null,
      2,
    );
    latents = interpolateRows(ends.subarray(0, models.latentDim), ends.subarray(models.latentDim), steps);
  }
  return { pixels: await decodeLatents(models, latents, steps), count: steps, generator };
}

