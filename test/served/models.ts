/**
 * The served models run natively with onnxruntime-node, straight from models/ — an implementation of the
 * recipe in /openapi.json that shares nothing with the worker but core/ (noise, contract, byte rounding).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { decode } from 'fast-png';
import { IMAGE_PIXELS, LATENT_DIM, NOISE_DIM, NUM_CLASSES, MODEL_SPECS, TENSOR, float16File, type ModelId } from '../../core/contract';
import { noiseForSeed } from '../../core/rng';
import { toByte } from '../../core/png';

export const MODELS_DIR = resolve(import.meta.dirname, '../../models');

/** Model `id` of the set in `dir` (default models/, the MNIST set; models/fashion-mnist for Fashion-MNIST's). */
export async function openModel(id: ModelId, variant: 'served' | 'float32' = 'served', dir = MODELS_DIR): Promise<ort.InferenceSession> {
  const file = variant === 'served' ? float16File(MODEL_SPECS[id].file) : MODEL_SPECS[id].file;
  return ort.InferenceSession.create(readFileSync(resolve(dir, file)));
}

/**
 * encoder.f16 -> classifier.f16 of the set in `dir` in onnxruntime-node on raw 28x28 bytes (`count` images,
 * white on black): the class each is given, what a set's reported test accuracy measures.
 */
export async function nativeClasses(images: Uint8Array, count: number, dir = MODELS_DIR): Promise<number[]> {
  const encoder = await openModel('encoder', 'served', dir);
  const classifier = await openModel('classifier', 'served', dir);
  const pixels = Float32Array.from(images.subarray(0, count * IMAGE_PIXELS), (b) => b / 255);
  const codes = await encoder.run({ [TENSOR.image]: new ort.Tensor('float32', pixels, [count, IMAGE_PIXELS]) });
  const latents = codes[TENSOR.latent].data as Float32Array;
  const out = await classifier.run({ [TENSOR.latent]: new ort.Tensor('float32', latents, [count, latents.length / count]) });
  const p = out[TENSOR.probabilities].data as Float32Array;
  return Array.from({ length: count }, (_, i) => {
    const row = Array.from(p.subarray(i * NUM_CLASSES, (i + 1) * NUM_CLASSES));
    return row.indexOf(Math.max(...row));
  });
}

async function run(session: ort.InferenceSession, feeds: Record<string, Float32Array>, widths: Record<string, number>, rows: number, output: string) {
  const tensors = Object.fromEntries(
    Object.entries(feeds).map(([name, data]) => [name, new ort.Tensor('float32', data, [rows, widths[name]])]),
  );
  const result = await session.run(tensors);
  return new Float32Array(result[output].data as Float32Array);
}

export class NativeModels {
  private constructor(
    private readonly generator: ort.InferenceSession,
    private readonly conditional: ort.InferenceSession,
    private readonly decoder: ort.InferenceSession,
  ) {}

  static async open(): Promise<NativeModels> {
    return new NativeModels(await openModel('generator'), await openModel('cgan-generator'), await openModel('decoder'));
  }

  latents(noise: Float32Array, rows: number, labels?: Float32Array): Promise<Float32Array> {
    if (!labels) return run(this.generator, { [TENSOR.noise]: noise }, { [TENSOR.noise]: NOISE_DIM }, rows, TENSOR.latent);
    return run(
      this.conditional,
      { [TENSOR.noise]: noise, [TENSOR.digit]: labels },
      { [TENSOR.noise]: NOISE_DIM, [TENSOR.digit]: NUM_CLASSES },
      rows,
      TENSOR.latent,
    );
  }

  decode(latents: Float32Array, rows: number): Promise<Float32Array> {
    return run(this.decoder, { [TENSOR.latent]: latents }, { [TENSOR.latent]: LATENT_DIM }, rows, TENSOR.image);
  }

  /** /v1/generate (digit undefined) or /v1/digits/{digit}: float pixels [n, 784]. */
  async samples(seed: number, n: number, digit?: number): Promise<Float32Array> {
    const noise = noiseForSeed(seed, n, NOISE_DIM);
    return this.decode(await this.latents(noise, n, digit === undefined ? undefined : oneHot(digit, n)), n);
  }
}

export function oneHot(digit: number, rows: number): Float32Array {
  const out = new Float32Array(rows * NUM_CLASSES);
  for (let i = 0; i < rows; i++) out[i * NUM_CLASSES + digit] = 1;
  return out;
}

/** (1 - t) * a + t * b, t = i / (steps - 1), in float64, rounded to float32 once: the documented recipe. */
export function lerpRows(a: Float32Array, b: Float32Array, steps: number): Float32Array {
  const out = new Float32Array(steps * a.length);
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    for (let j = 0; j < a.length; j++) out[i * a.length + j] = (1 - t) * a[j] + t * b[j];
  }
  return out;
}

export function toBytes(pixels: Float32Array): Uint8Array {
  return Uint8Array.from(pixels, toByte);
}

/** The JSON images of a worker response, decoded to [n * 784] bytes. */
export function decodeTiles(images: string[]): Uint8Array {
  const out = new Uint8Array(images.length * IMAGE_PIXELS);
  images.forEach((b64, i) => {
    const png = decode(Buffer.from(b64, 'base64'));
    if (png.width !== 28 || png.height !== 28 || png.channels !== 1) throw new Error(`image ${i} is not 28x28 grey`);
    out.set(png.data as Uint8Array, i * IMAGE_PIXELS);
  });
  return out;
}

export { ort };
