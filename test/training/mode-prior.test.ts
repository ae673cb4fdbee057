/**
 * The unconditional generator's mode prior (training/models/architectures.ts): where noise[0] switches
 * modes, which mode the exported graph picks, and how often each mode is drawn, against standard normal
 * table values and counts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { LATENT_DIM, NOISE_DIM, NUM_CLASSES } from '../../core/contract';
import { Rng } from '../../core/rng';
import { selectBackend } from '../../training/backend';
import { FULL_CONFIG } from '../../training/config';
import { buildConditionalGenerator, buildGenerator, modeOf, modeThresholds } from '../../training/models/architectures';

describe('mode prior of the unconditional generator', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('puts the thresholds at the normal quantiles of the cumulative shares (table values)', () => {
    // ten equal shares: the deciles of N(0, 1)
    const deciles = [-1.2816, -0.8416, -0.5244, -0.2533, 0, 0.2533, 0.5244, 0.8416, 1.2816];
    modeThresholds(new Array(10).fill(0.1)).forEach((t, i) => expect(t).toBeCloseTo(deciles[i], 3));
    // shares 0.025 / 0.475 / 0.5: Phi^-1(0.025) = -1.96, Phi^-1(0.5) = 0
    const [a, b] = modeThresholds([0.025, 0.475, 0.5]);
    expect(a).toBeCloseTo(-1.959964, 5);
    expect(b).toBeCloseTo(0, 9);
  });

  it('counts the thresholds noise[0] reaches (a value on a threshold belongs to the upper mode)', () => {
    const t = [-1, 0, 2];
    expect([-5, -1.0001, -1, -0.5, 0, 1.99, 2, 7].map((z) => modeOf(z, t))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });

  it("the exported graph's selector is the one-hot of modeOf(noise[0]), ignores the other noise values, and draws each mode with its share", () => {
    const shares = [0.05, 0.3, 0.15, 0.1, 0.4];
    const thresholds = modeThresholds(shares);
    const generator = buildGenerator({ ...FULL_CONFIG.gan, generatorHidden: 8 }, shares);
    const selector = tf.model({ inputs: generator.inputs, outputs: generator.getLayer('gen_mode').output as tf.SymbolicTensor });
    const rows = 20_000;
    const rng = new Rng(5);
    const noise = Float32Array.from({ length: rows * NOISE_DIM }, () => rng.normal());
    const soft = tf.tidy(() => (selector.predict(tf.tensor2d(noise, [rows, NOISE_DIM])) as tf.Tensor).dataSync());
    const counts = new Array<number>(shares.length).fill(0);
    let blended = 0;
    for (let r = 0; r < rows; r++) {
      const z0 = noise[r * NOISE_DIM];
      const mode = modeOf(z0, thresholds);
      counts[mode]++;
      // within 0.1% of a standard deviation of a threshold the steps (0.03% wide) may blend two modes
      if (thresholds.some((t) => Math.abs(z0 - t) < 0.001)) {
        blended++;
        continue;
      }
      for (let m = 0; m < shares.length; m++) expect(soft[r * shares.length + m]).toBeCloseTo(m === mode ? 1 : 0, 3);
    }
    expect(blended).toBeLessThan(rows * 0.005); // four bands of 0.002 sd: about 0.3% of the draws are left out of the exact check
    // each share within 4 binomial standard deviations
    shares.forEach((p, m) => expect(Math.abs(counts[m] / rows - p)).toBeLessThan(4 * Math.sqrt((p * (1 - p)) / rows)));
  });

  it('with mode Gaussians the untrained generator samples mean + L noise[1..16] of the selected mode', () => {
    const shares = [0.3, 0.7];
    const thresholds = modeThresholds(shares);
    const rng = new Rng(9);
    // two hand-made Gaussians: mode 0 mean 1..16, L = 2 I; mode 1 mean -1, L lower-triangular ones
    const eye = Array.from({ length: LATENT_DIM }, (_, r) => Float64Array.from({ length: LATENT_DIM }, (_, c) => (r === c ? 2 : 0)));
    const ones = Array.from({ length: LATENT_DIM }, (_, r) => Float64Array.from({ length: LATENT_DIM }, (_, c) => (c <= r ? 1 : 0)));
    const gaussians = [
      { weight: 0.3, mean: Float64Array.from({ length: LATENT_DIM }, (_, j) => j + 1), chol: eye },
      { weight: 0.7, mean: new Float64Array(LATENT_DIM).fill(-1), chol: ones },
    ];
    const generator = buildGenerator({ ...FULL_CONFIG.gan, generatorHidden: 8 }, shares, gaussians);
    const rows = 200;
    const noise = Float32Array.from({ length: rows * NOISE_DIM }, () => rng.normal());
    const out = tf.tidy(() => (generator.predict(tf.tensor2d(noise, [rows, NOISE_DIM])) as tf.Tensor).dataSync());
    for (let r = 0; r < rows; r++) {
      const z = noise.subarray(r * NOISE_DIM, (r + 1) * NOISE_DIM);
      if (Math.abs(z[0] - thresholds[0]) < 0.001) continue;
      const mode = modeOf(z[0], thresholds);
      for (let j = 0; j < LATENT_DIM; j++) {
        // by hand: mode 0 -> (j + 1) + 2 eps_j; mode 1 -> -1 + eps_0 + ... + eps_j
        let expected = mode === 0 ? j + 1 + 2 * z[1 + j] : -1;
        if (mode === 1) for (let i = 0; i <= j; i++) expected += z[1 + i];
        expect(out[r * LATENT_DIM + j]).toBeCloseTo(expected, 4);
      }
    }
  });

  it('the mixture-based conditional generator, untrained, samples mean + L noise[1..16] of the requested digit\'s selected component', () => {
    const weights = [0.4, 0.6];
    const thresholds = modeThresholds(weights);
    const rng = new Rng(11);
    const scaled = (k: number) => Array.from({ length: LATENT_DIM }, (_, r) => Float64Array.from({ length: LATENT_DIM }, (_, c) => (r === c ? k : 0)));
    // digit d: component 0 mean 10 d + (1..16), L = 2 I; component 1 mean -(d + 1), L = I
    const perDigit = Array.from({ length: NUM_CLASSES }, (_, d) => [
      { weight: 0.4, mean: Float64Array.from({ length: LATENT_DIM }, (_, j) => 10 * d + j + 1), chol: scaled(2) },
      { weight: 0.6, mean: new Float64Array(LATENT_DIM).fill(-(d + 1)), chol: scaled(1) },
    ]);
    const generator = buildConditionalGenerator({ ...FULL_CONFIG.cgan, generatorHidden: 8 }, perDigit);
    const rows = 200;
    const noise = Float32Array.from({ length: rows * NOISE_DIM }, () => rng.normal());
    const digits = Array.from({ length: rows }, (_, r) => r % NUM_CLASSES);
    const onehot = tf.oneHot(tf.tensor1d(digits, 'int32'), NUM_CLASSES).toFloat();
    const out = tf.tidy(() => (generator.predict([tf.tensor2d(noise, [rows, NOISE_DIM]), onehot]) as tf.Tensor).dataSync());
    onehot.dispose();
    const seen = [0, 0];
    for (let r = 0; r < rows; r++) {
      const z = noise.subarray(r * NOISE_DIM, (r + 1) * NOISE_DIM);
      if (Math.abs(z[0] - thresholds[0]) < 0.001) continue;
      const mode = modeOf(z[0], thresholds);
      seen[mode]++;
      const d = digits[r];
      for (let j = 0; j < LATENT_DIM; j++) {
        const expected = mode === 0 ? 10 * d + j + 1 + 2 * z[1 + j] : -(d + 1) + z[1 + j];
        expect(out[r * LATENT_DIM + j]).toBeCloseTo(expected, 4);
      }
    }
    expect(Math.min(...seen)).toBeGreaterThan(40); // both components drawn
  });

  it('without shares (or with one mode) the generator reads the noise alone', () => {
    for (const shares of [[], [1]]) {
      const generator = buildGenerator({ ...FULL_CONFIG.gan, generatorHidden: 8 }, shares);
      expect(generator.layers.map((l) => l.name)).not.toContain('gen_mode');
      expect(generator.getLayer('gen_dense1').getWeights()[0].shape).toEqual([NOISE_DIM, 8]);
    }
  });
});
