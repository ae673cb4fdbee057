/**
 * The sharper decoder's learning-rate decay (issue 20) and the development losses, against hand-worked
 * values: the linear schedule's rates, Adam's first step (it moves a parameter by exactly the learning
 * rate, whatever the gradient's size), the rates a real (tiny) autoencoder run used, and per-pixel BCE and
 * the non-saturating GAN loss computed by hand.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../training/backend';
import { QUICK_CONFIG } from '../../training/config';
import { loadDataset } from '../../training/data/mnist';
import { binaryCrossEntropy, foolingLoss } from '../../training/experiments/autoencoder-variants';
import { learningRateAt, setLearningRate, trainAutoencoder } from '../../training/stages/autoencoder';

beforeAll(async () => {
  await selectBackend('wasm');
});

describe('autoencoder learning-rate decay', () => {
  it('goes linearly from the first rate at epoch 0 to the final rate at the last epoch', () => {
    const schedule = { epochs: 12, learningRate: 1e-3, finalLearningRate: 1e-4 };
    expect(learningRateAt(schedule, 0)).toBeCloseTo(1e-3, 12);
    expect(learningRateAt(schedule, 1)).toBeCloseTo(1e-3 - 9e-4 / 11, 12); // 9.1818e-4
    expect(learningRateAt(schedule, 11)).toBeCloseTo(1e-4, 12);
    expect(learningRateAt(schedule, 20)).toBeCloseTo(1e-4, 12); // past the end: stays at the final rate
    expect(learningRateAt({ ...schedule, epochs: 1 }, 0)).toBe(1e-3);
  });

  it("changes the step Adam takes: a first step moves a parameter by the rate set, not the one it was built with", () => {
    const x = tf.variable(tf.scalar(1));
    const optimizer = tf.train.adam(0.5);
    setLearningRate(optimizer, 0.25);
    // Adam's first step is lr * g / (|g| + eps) = 0.25 for g = 2x = 2
    optimizer.minimize(() => x.square() as tf.Scalar, false, [x]);
    expect(x.dataSync()[0]).toBeCloseTo(0.75, 5);
    optimizer.dispose();
    x.dispose();
  });

  it('is the rate each epoch of a real autoencoder run trained with', async () => {
    const data = await loadDataset({ limitTrain: 256, limitTest: 64 });
    const lines: string[] = [];
    const logger = { log: (line: string) => lines.push(line), bar: () => ({ tick: () => {}, stop: () => {} }) };
    const config = { ...QUICK_CONFIG, autoencoder: { epochs: 3, batchSize: 128, learningRate: 2e-3, finalLearningRate: 2e-4 } };
    const result = await trainAutoencoder(data, config, logger);
    const rates = lines.flatMap((l) => [...l.matchAll(/learning rate ([0-9.e+-]+)/g)].map((m) => Number(m[1])));
    expect(rates).toHaveLength(3);
    [2e-3, 1.1e-3, 2e-4].forEach((r, i) => expect(rates[i]).toBeCloseTo(r, 9));
    expect(result.metrics.architecture).toContain('decayed linearly to 0.0002');
    result.encoder.dispose();
    result.decoder.dispose();
  }, 600_000);
});

describe('development losses (training/experiments)', () => {
  it('binary cross-entropy is the per-pixel mean of -[x log p + (1 - x) log(1 - p)]', () => {
    const images = tf.tensor2d([[1, 0, 0.5, 0]]);
    const recon = tf.tensor2d([[0.9, 0.2, 0.5, 0]]); // p = 0 is clipped to 1e-7: -log(1 - 1e-7)
    const expected = (-Math.log(0.9) - Math.log(0.8) + Math.log(2) - Math.log(1 - 1e-7)) / 4;
    expect(binaryCrossEntropy(images, recon).dataSync()[0]).toBeCloseTo(expected, 6);
  });

  it('the fooling loss is the mean of -log sigmoid(logit), and its gradient matches finite differences', () => {
    const logits = [-2, 0, 3];
    const expected = logits.reduce((s, l) => s - Math.log(1 / (1 + Math.exp(-l))), 0) / logits.length;
    expect(foolingLoss(tf.tensor2d(logits, [3, 1])).dataSync()[0]).toBeCloseTo(expected, 5);
    const grad = tf.grad((t: tf.Tensor) => foolingLoss(t))(tf.tensor2d(logits, [3, 1])).dataSync();
    const h = 1e-3;
    const f = (v: number[]) => v.reduce((s, l) => s + Math.log1p(Math.exp(-l)), 0) / v.length;
    logits.forEach((_, i) => {
      const up = logits.map((l, j) => (j === i ? l + h : l));
      const down = logits.map((l, j) => (j === i ? l - h : l));
      expect(grad[i]).toBeCloseTo((f(up) - f(down)) / (2 * h), 4);
    });
  });
});
