/**
 * The GAN's image-space discriminator (training/stages/gan.ts discriminatorView, GanConfig.imageDiscriminator):
 * what the discriminator reads on each side, the gradient through the decoder, and that training leaves the
 * decoder's weights alone, against a one-layer decoder whose outputs are worked out by hand.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, LATENT_DIM } from '../../core/contract';
import { Rng } from '../../core/rng';
import { selectBackend } from '../../training/backend';
import { FULL_CONFIG } from '../../training/config';
import { consoleLogger } from '../../training/progress';
import { classificationTerm, discriminatorView, trainLatentGan, type GanResult } from '../../training/stages/gan';

/**
 * A linear decoder by hand: pixel p = 0.5 * code[p mod LATENT_DIM] + p / 1000. Its derivative of the sum of
 * all pixels with respect to code[j] is 0.5 times the number of pixels p with p mod LATENT_DIM = j.
 */
function handDecoder(): tf.LayersModel {
  const kernel = tf.buffer([LATENT_DIM, IMAGE_PIXELS]);
  for (let p = 0; p < IMAGE_PIXELS; p++) kernel.set(0.5, p % LATENT_DIM, p);
  const bias = tf.tensor1d(Float32Array.from({ length: IMAGE_PIXELS }, (_, p) => p / 1000));
  return tf.sequential({ layers: [tf.layers.dense({ inputShape: [LATENT_DIM], units: IMAGE_PIXELS, weights: [kernel.toTensor(), bias] })] });
}
const decodedByHand = (code: ArrayLike<number>, p: number) => 0.5 * code[p % LATENT_DIM] + p / 1000;

const quiet = consoleLogger({ quiet: true });
const codesOf = (rows: number, seed: number) => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: rows * LATENT_DIM }, () => rng.normal());
};

describe('image-space discriminator of the latent GANs', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('without an image side the discriminator reads the codes: generated as given, real the rows asked for', () => {
    const real = codesOf(5, 1);
    const generated = codesOf(2, 2);
    tf.tidy(() => {
      const view = discriminatorView(tf.tensor2d(real, [5, LATENT_DIM]));
      expect(view.width).toBe(LATENT_DIM);
      expect(Array.from(view.generated(tf.tensor2d(generated, [2, LATENT_DIM])).dataSync())).toEqual(Array.from(generated));
      const rows = Array.from(view.real(tf.tensor1d([3, 0], 'int32')).dataSync());
      expect(rows).toEqual([...real.subarray(3 * LATENT_DIM, 4 * LATENT_DIM), ...real.subarray(0, LATENT_DIM)]);
    });
  });

  it("with an image side it reads the decoder's images of the generated codes, and the gradient reaches the codes through the decoder", () => {
    const decoder = handDecoder();
    const real = codesOf(4, 3);
    const generated = codesOf(3, 4);
    tf.tidy(() => {
      const view = discriminatorView(tf.tensor2d(real, [4, LATENT_DIM]), { kind: 'reconstructions', decoder });
      expect(view.width).toBe(IMAGE_PIXELS);
      const seen = view.generated(tf.tensor2d(generated, [3, LATENT_DIM]));
      expect(seen.shape).toEqual([3, IMAGE_PIXELS]);
      const pixels = seen.dataSync();
      for (let r = 0; r < 3; r++)
        for (let p = 0; p < IMAGE_PIXELS; p++) expect(pixels[r * IMAGE_PIXELS + p]).toBeCloseTo(decodedByHand(generated.subarray(r * LATENT_DIM), p), 5);
      // d(sum of pixels)/d code[j] = 0.5 * #{p < 784 : p mod LATENT_DIM = j} = 0.5 * ceil((784 - j) / LATENT_DIM)
      const gradient = tf.grad((c: tf.Tensor) => view.generated(c as tf.Tensor2D).sum())(tf.tensor2d(generated, [3, LATENT_DIM])).dataSync();
      for (let r = 0; r < 3; r++)
        for (let j = 0; j < LATENT_DIM; j++) expect(gradient[r * LATENT_DIM + j]).toBeCloseTo(0.5 * Math.ceil((IMAGE_PIXELS - j) / LATENT_DIM), 5);
    });
    decoder.dispose();
  });

  it("the real side is the training images' rows, or the decoder's reconstructions of the real codes' rows", () => {
    const decoder = handDecoder();
    const real = codesOf(4, 5);
    const images = Float32Array.from({ length: 4 * IMAGE_PIXELS }, (_, i) => (i % 7) / 7);
    tf.tidy(() => {
      const codes = tf.tensor2d(real, [4, LATENT_DIM]);
      const rows = tf.tensor1d([2, 1], 'int32');
      const fromImages = discriminatorView(codes, { kind: 'images', decoder, images: tf.tensor2d(images, [4, IMAGE_PIXELS]) }).real(rows).dataSync();
      expect(Array.from(fromImages)).toEqual([...images.subarray(2 * IMAGE_PIXELS, 3 * IMAGE_PIXELS), ...images.subarray(IMAGE_PIXELS, 2 * IMAGE_PIXELS)]);
      const reconstructed = discriminatorView(codes, { kind: 'reconstructions', decoder }).real(rows).dataSync();
      [2, 1].forEach((row, i) => {
        for (let p = 0; p < IMAGE_PIXELS; p++) expect(reconstructed[i * IMAGE_PIXELS + p]).toBeCloseTo(decodedByHand(real.subarray(row * LATENT_DIM), p), 5);
      });
    });
    decoder.dispose();
  });

  it('the reconstructions are decoded once, when the view is made: later reads gather them without the decoder', () => {
    const decoder = handDecoder();
    const real = codesOf(3, 8);
    tf.tidy(() => {
      const view = discriminatorView(tf.tensor2d(real, [3, LATENT_DIM]), { kind: 'reconstructions', decoder });
      // a decoder that now draws nothing: a view that decoded on every read would return zeros
      decoder.setWeights(decoder.getWeights().map((w) => tf.zerosLike(w)));
      const pixels = view.real(tf.tensor1d([1], 'int32')).dataSync();
      for (let p = 0; p < IMAGE_PIXELS; p++) expect(pixels[p]).toBeCloseTo(decodedByHand(real.subarray(LATENT_DIM), p), 5);
      expect(Array.from(view.generated(tf.tensor2d(real.subarray(0, LATENT_DIM), [1, LATENT_DIM])).dataSync()).every((v) => v === 0)).toBe(true);
      view.dispose();
    });
    decoder.dispose();
  });

  it("training with an image discriminator runs on the decoded images and leaves the decoder's weights exactly as they were", async () => {
    const decoder = handDecoder();
    const before = decoder.getWeights().map((w) => w.dataSync().slice());
    const rows = 40;
    const labels = Uint8Array.from({ length: rows }, (_, r) => r % 10);
    const codes = codesOf(rows, 6);
    const config = { ...FULL_CONFIG.cgan, steps: 3, batchSize: 8, generatorHidden: 8, discriminatorHidden: 8, mmdWeight: 0, classificationWeight: 0, imageDiscriminator: 'reconstructions' as const };
    const { generator, metrics } = await trainLatentGan({ codes, labels, conditional: true, config, logger: quiet, rng: new Rng(7), decoder });
    expect(metrics.image_discriminator).toBe('reconstructions');
    decoder.getWeights().forEach((w, i) => expect(Array.from(w.dataSync())).toEqual(Array.from(before[i])));
    generator.dispose();
    decoder.dispose();
  });

  it("discriminatorLearningRate: the discriminator's own rate, refused by name unless a positive number", async () => {
    const base = { codes: codesOf(10, 9), labels: Uint8Array.from({ length: 10 }, (_, r) => r), conditional: true, logger: quiet, rng: new Rng(2) };
    const config = { ...FULL_CONFIG.cgan, steps: 2, batchSize: 4, generatorHidden: 8, discriminatorHidden: 8, mmdWeight: 0, classificationWeight: 0 };
    for (const bad of [0, -1e-3, Number.NaN, Number.POSITIVE_INFINITY])
      await expect(trainLatentGan({ ...base, config: { ...config, discriminatorLearningRate: bad } })).rejects.toThrow(`discriminatorLearningRate must be a positive number, got ${bad}`);
    const { generator, metrics } = await trainLatentGan({ ...base, config: { ...config, discriminatorLearningRate: 2e-3 } });
    expect(metrics.discriminator_learning_rate).toBe(2e-3);
    generator.dispose();
  });

  // whole-number settings of the GAN: refused by name below 1 or fractional, and taken when valid
  it.each([
    { key: 'discriminatorSteps', good: 3, classificationWeight: 0, taken: (m: GanResult['metrics']) => m.loss_curve.length === 2 },
    { key: 'codeClassifierEpochs', good: 2, classificationWeight: 0.1, taken: (m: GanResult['metrics']) => m.code_classifier_epochs === 2 },
  ] as const)('$key: a whole number >= 1, refused by name otherwise', async ({ key, good, classificationWeight, taken }) => {
    const base = { codes: codesOf(10, 9), labels: Uint8Array.from({ length: 10 }, (_, r) => r), conditional: true, logger: quiet, rng: new Rng(2) };
    const config = { ...FULL_CONFIG.cgan, steps: 2, batchSize: 4, generatorHidden: 8, discriminatorHidden: 8, mmdWeight: 0, classificationWeight };
    for (const bad of [0, 1.5, -1])
      await expect(trainLatentGan({ ...base, config: { ...config, [key]: bad } })).rejects.toThrow(`${key} must be a whole number >= 1, got ${bad}`);
    const { generator, metrics } = await trainLatentGan({ ...base, config: { ...config, [key]: good } });
    expect(taken(metrics)).toBe(true);
    generator.dispose();
  });

  it('the classification term: mean cross-entropy over the batch; with a hinge only the codes under it count (worked by hand)', () => {
    tf.tidy(() => {
      const onehot = tf.tensor2d([[1, 0], [1, 0], [0, 1]]);
      const predicted = tf.tensor2d([[0.9, 0.1], [0.3, 0.7], [0.4, 0.6]]);
      const ce = [-Math.log(0.9), -Math.log(0.3), -Math.log(0.6)];
      expect(classificationTerm(onehot, predicted).dataSync()[0]).toBeCloseTo((ce[0] + ce[1] + ce[2]) / 3, 5);
      // below 0.65: the second (0.3) and third (0.6) codes count, the confident first does not; still / 3
      expect(classificationTerm(onehot, predicted, 0.65).dataSync()[0]).toBeCloseTo((ce[1] + ce[2]) / 3, 5);
      // the hinge passes no gradient to a confident code
      const grad = tf.grad((p: tf.Tensor) => classificationTerm(onehot, p, 0.5))(predicted).arraySync() as number[][];
      expect(grad[0].map(Math.abs)).toEqual([0, 0]);
      expect(grad[1][0]).toBeLessThan(0);
    });
  });

  it('an image side without a decoder, or images of the wrong size, is refused by name', async () => {
    const base = { codes: codesOf(10, 8), labels: new Uint8Array(10), conditional: true, logger: quiet, rng: new Rng(1) };
    const config = { ...FULL_CONFIG.cgan, steps: 1, batchSize: 4, generatorHidden: 8, discriminatorHidden: 8 };
    await expect(trainLatentGan({ ...base, config: { ...config, imageDiscriminator: 'reconstructions' } })).rejects.toThrow(/needs the decoder/);
    await expect(trainLatentGan({ ...base, config: { ...config, imageDiscriminator: 'images' }, decoder: handDecoder(), images: new Float32Array(5) })).rejects.toThrow(
      /needs the 10 training images \(7840 values\), got 5/,
    );
  });
});
