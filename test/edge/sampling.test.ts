/**
 * edge/inference/sampling.ts and recognition.ts in Node: the worker's onnxruntime-web sessions on the
 * bundled float16 models, against onnxruntime-node on the same files fed by hand-built inputs (noise rows
 * from core/rng's noiseForSeed, one-hot rows and straight-line interpolation written out here, argmax here).
 * The two runtimes agree to ~1e-6 on these models; TOL leaves room for that and nothing a wrong input could
 * hide in.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { noiseForSeed } from '../../core/rng';
import { ModelStore, type LoadedModels } from '../../edge/inference/model-store';
import { classifyLatents, decodePath, encodeImages, latentOfEnd, recogniseImages } from '../../edge/inference/recognition';
import {
  decodeLatents,
  generateDigits,
  generateImages,
  interpolateImages,
  oneHot,
  runOne,
  sampleConditionalLatents,
  sampleLatents,
  tensor,
} from '../../edge/inference/sampling';
import { edgeModelFiles, maxAbsDiff, nodeSessions, runNode, type NodeSessions } from './edge-models';
import { digitAt, mnistTest } from './mnist-fixtures';

const TOL = 1e-4;
let models: LoadedModels;
let ref: NodeSessions;

beforeAll(async () => {
  models = await new ModelStore(edgeModelFiles()).load();
  ref = await nodeSessions();
});

/** [rows, 10] one-hot rows written out here. */
function labels(digits: number[]): Float32Array {
  const out = new Float32Array(digits.length * 10);
  digits.forEach((d, i) => (out[i * 10 + d] = 1));
  return out;
}

/** Rows (1 - t) a + t b, t = i / (steps - 1), in float64. */
function line(a: ArrayLike<number>, b: ArrayLike<number>, steps: number): Float32Array {
  const out = new Float32Array(steps * a.length);
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    for (let j = 0; j < a.length; j++) out[i * a.length + j] = a[j] + t * (b[j] - a[j]);
  }
  return out;
}

const generator = (noise: Float32Array) => runNode(ref.generator, { noise: { data: noise, width: 32 } }, 'latent');
const conditional = (noise: Float32Array, onehot: Float32Array) =>
  runNode(ref['cgan-generator'], { noise: { data: noise, width: 32 }, digit_onehot: { data: onehot, width: 10 } }, 'latent');
const decoder = (latents: Float32Array) => runNode(ref.decoder, { latent: { data: latents, width: 16 } }, 'image');
const encoder = (images: Float32Array) => runNode(ref.encoder, { image: { data: images, width: 784 } }, 'latent');
const classifier = (latents: Float32Array) => runNode(ref.classifier, { latent: { data: latents, width: 16 } }, 'probabilities');

describe('building blocks', () => {
  it('oneHot(3, 2): two rows of ten with a 1 at index 3', () => {
    const expected = new Float32Array(20);
    expected[3] = 1;
    expected[13] = 1;
    expect(oneHot(3, 2)).toEqual(expected);
    expect(oneHot(0, 1)).toEqual(Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  });

  it('tensor(data, rows, width) is a float32 tensor of shape [rows, width] over the same data', () => {
    const data = new Float32Array(6);
    const t = tensor(data, 2, 3);
    expect([t.type, t.dims]).toEqual(['float32', [2, 3]]);
    expect(t.data).toBe(data);
  });

  it('runOne returns the named output and disposes every output tensor of the run', async () => {
    const disposed: string[] = [];
    const out = (name: string, data: Float32Array) => ({ data, dispose: () => disposed.push(name) });
    const wanted = Float32Array.from([1, 2]);
    const session = { run: async () => ({ a: out('a', new Float32Array(1)), b: out('b', wanted) }) };
    const data = await runOne(session as never, {}, 'b');
    expect(data).toBe(wanted);
    expect(disposed.sort()).toEqual(['a', 'b']);
  });

  it('sampleLatents, sampleConditionalLatents and decodeLatents are the generator, the conditional generator and the decoder', async () => {
    const noise = noiseForSeed(11, 3, 32);
    expect(maxAbsDiff(await sampleLatents(models, noise, 3), await generator(noise))).toBeLessThan(TOL);
    const onehot = labels([2, 5, 9]);
    const cond = await sampleConditionalLatents(models, noise, onehot, 3);
    expect(cond).toHaveLength(3 * 16);
    expect(maxAbsDiff(cond, await conditional(noise, onehot))).toBeLessThan(TOL);
    const latents = Float32Array.from({ length: 2 * 16 }, (_, i) => Math.sin(i));
    const images = await decodeLatents(models, latents, 2);
    expect(images).toHaveLength(2 * 784);
    expect(maxAbsDiff(images, await decoder(latents))).toBeLessThan(TOL);
  });
});

describe('generateImages and generateDigits', () => {
  it('generateImages(seed 7, n 3): rows of noiseForSeed(7, 3, 32) through the generator and the decoder', async () => {
    const got = await generateImages(models, 7, 3);
    expect([got.count, got.generator]).toEqual([3, 'generator']);
    const want = await decoder(await generator(noiseForSeed(7, 3, 32)));
    expect(maxAbsDiff(got.pixels, want)).toBeLessThan(TOL);
  });

  it('generateDigits(digit 4, seed 9, n 3): the same noise rows with the one-hot of 4 in every row', async () => {
    const got = await generateDigits(models, 4, 9, 3);
    expect([got.count, got.generator]).toEqual([3, 'cgan-generator']);
    const want = await decoder(await conditional(noiseForSeed(9, 3, 32), labels([4, 4, 4])));
    expect(maxAbsDiff(got.pixels, want)).toBeLessThan(TOL);
  });
});

describe('interpolateImages', () => {
  it('noise space: a straight line between the two seeds\' first noise rows, ends included', async () => {
    const got = await interpolateImages(models, { from: 3, to: 8, steps: 5, space: 'noise' });
    expect([got.count, got.generator]).toEqual([5, 'generator']);
    const want = await decoder(await generator(line(noiseForSeed(3, 1, 32), noiseForSeed(8, 1, 32), 5)));
    expect(maxAbsDiff(got.pixels, want)).toBeLessThan(TOL);
    // the ends are the samples of /v1/generate?seed=3 and ?seed=8 (image 0)
    expect(maxAbsDiff(got.pixels.subarray(0, 784), (await generateImages(models, 3, 1)).pixels)).toBeLessThan(TOL);
    expect(maxAbsDiff(got.pixels.subarray(4 * 784), (await generateImages(models, 8, 1)).pixels)).toBeLessThan(TOL);
  });

  it('noise space with digits: the labels move from one one-hot to the other along with the noise', async () => {
    const got = await interpolateImages(models, { from: 1, to: 2, steps: 4, space: 'noise', digits: { from: 0, to: 6 } });
    expect([got.count, got.generator]).toEqual([4, 'cgan-generator']);
    const noise = line(noiseForSeed(1, 1, 32), noiseForSeed(2, 1, 32), 4);
    const onehots = line(labels([0]), labels([6]), 4);
    expect(maxAbsDiff(got.pixels, await decoder(await conditional(noise, onehots)))).toBeLessThan(TOL);
  });

  it('latent space: the two ends\' latent codes, then a straight line between them', async () => {
    const got = await interpolateImages(models, { from: 5, to: 6, steps: 6, space: 'latent' });
    expect([got.count, got.generator]).toEqual([6, 'generator']);
    const a = await generator(noiseForSeed(5, 1, 32));
    const b = await generator(noiseForSeed(6, 1, 32));
    expect(maxAbsDiff(got.pixels, await decoder(line(a, b, 6)))).toBeLessThan(TOL);
  });

  it('latent space with digits: each end is its digit\'s conditional sample', async () => {
    const got = await interpolateImages(models, { from: 5, to: 6, steps: 3, space: 'latent', digits: { from: 7, to: 1 } });
    expect([got.count, got.generator]).toEqual([3, 'cgan-generator']);
    const a = await conditional(noiseForSeed(5, 1, 32), labels([7]));
    const b = await conditional(noiseForSeed(6, 1, 32), labels([1]));
    expect(maxAbsDiff(got.pixels, await decoder(line(a, b, 3)))).toBeLessThan(TOL);
  });
});

describe('recognition', () => {
  const set = mnistTest(12);
  const images = Float32Array.from(set.images, (v) => v / 255);

  it('encodeImages and classifyLatents are the encoder and the classifier', async () => {
    const latents = await encodeImages(models, images, set.count);
    expect(latents).toHaveLength(set.count * 16);
    expect(maxAbsDiff(latents, await encoder(images))).toBeLessThan(TOL);
    const probabilities = await classifyLatents(models, latents, set.count);
    expect(probabilities).toHaveLength(set.count * 10);
    expect(maxAbsDiff(probabilities, await classifier(latents))).toBeLessThan(TOL);
  });

  it('recogniseImages: latents, probabilities and each row\'s most probable digit', async () => {
    const got = await recogniseImages(models, images, set.count);
    const latents = await encoder(images);
    const probabilities = await classifier(latents);
    expect(maxAbsDiff(got.latents, latents)).toBeLessThan(TOL);
    expect(maxAbsDiff(got.probabilities, probabilities)).toBeLessThan(TOL);
    const argmax = (row: Float32Array) => row.indexOf(Math.max(...row));
    const want = Array.from({ length: set.count }, (_, i) => argmax(probabilities.subarray(i * 10, i * 10 + 10)));
    expect(got.digits).toEqual(want);
    // the 50-label classifier gets most of these right (the first twelve test digits: 7 2 1 0 4 1 4 9 5 9 0 6)
    expect(got.digits.filter((d, i) => d === set.labels[i]).length).toBeGreaterThanOrEqual(9);
    expect(new Set(got.digits).size).toBeGreaterThanOrEqual(6);
  });

  it('recognises a single digit (a 9 at index 7 of the test set)', async () => {
    const one = Float32Array.from(digitAt(set, 7), (v) => v / 255);
    const got = await recogniseImages(models, one, 1);
    const probabilities = await classifier(await encoder(one));
    expect(got.digits).toEqual([probabilities.indexOf(Math.max(...probabilities))]);
  });

  it('latentOfEnd: a latent is itself, a digit is its conditional sample, a seed its unconditional one', async () => {
    const latent = Float32Array.from({ length: 16 }, (_, i) => i / 16);
    expect(await latentOfEnd(models, { kind: 'latent', latent })).toBe(latent);
    const digit = await latentOfEnd(models, { kind: 'digit', digit: 3, seed: 12 });
    expect(maxAbsDiff(digit, await conditional(noiseForSeed(12, 1, 32), labels([3])))).toBeLessThan(TOL);
    const seed = await latentOfEnd(models, { kind: 'seed', seed: 12 });
    expect(maxAbsDiff(seed, await generator(noiseForSeed(12, 1, 32)))).toBeLessThan(TOL);
  });

  it('decodePath: `steps` decoded images on the line between two latent codes, ends included', async () => {
    const from = Float32Array.from({ length: 16 }, (_, i) => Math.cos(i));
    const to = Float32Array.from({ length: 16 }, (_, i) => -Math.sin(i));
    const got = await decodePath(models, from, to, 4);
    expect(maxAbsDiff(got, await decoder(line(from, to, 4)))).toBeLessThan(TOL);
  });
});
