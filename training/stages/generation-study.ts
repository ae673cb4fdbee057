/**
 * Stage: numbers (not eyes) for the generative models, from the evaluator. Unconditional samples: class
 * histogram and coverage; conditional samples: per-digit evaluator accuracy; both: Frechet distance in the
 * evaluator's feature space against real test images, next to baselines (real vs real, AE reconstructions,
 * a Gaussian fitted to the latent codes). Interpolation study: generator-noise paths versus paths between
 * encoded real test images, scored by evaluator confidence along the path.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, LATENT_DIM, NOISE_DIM, NUM_CLASSES } from '../../core/contract';
import { interpolateRows } from '../../core/interpolate';
import { noiseForSeed, type Rng } from '../../core/rng';
import type { RunConfig } from '../config';
import type { Dataset } from '../data/mnist';
import { predictBatched } from '../fit';
import { frechetDistance, fitGaussian } from '../metrics/frechet';
import { round, type Logger } from '../progress';
import { imageFeatures, scoreImages, type Evaluator } from './evaluator';
import { sampleCodes } from './gan';

export function decodeLatents(decoder: tf.LayersModel, codes: Float32Array): Float32Array {
  return predictBatched(decoder, codes, LATENT_DIM);
}

export interface GenerationModels {
  encoder: tf.LayersModel;
  decoder: tf.LayersModel;
  generator: tf.LayersModel;
  cganGenerator: tf.LayersModel;
  evaluator: Evaluator;
  /** the encoder's codes of data.train.images, [train.count, LATENT_DIM] */
  trainCodes: Float32Array;
}

export interface GenerationStudy {
  metrics: {
    gan: { samples: number; class_histogram: number[]; coverage: number; normalized_entropy: number; mean_confidence: number; frechet_distance: number };
    cgan: { samples: number; evaluator_accuracy: number; per_digit_accuracy: number[]; mean_confidence: number; frechet_distance: number };
    frechet_baselines: { real_vs_real: number; ae_reconstructions: number; gaussian_latent: number };
    interpolation: {
      pairs: number;
      steps: number;
      noise: { confidence_by_step: number[]; mean_confidence: number; min_confidence_mean: number };
      real: { confidence_by_step: number[]; mean_confidence: number; min_confidence_mean: number };
      conditional_morph: { confidence_by_step: number[]; endpoint_accuracy: number };
    };
  };
  /** images for figures, [count, 784] each */
  figures: {
    samples: Float32Array;
    conditionalGrid: Float32Array; // 10 digits x columns, row-major by digit
    conditionalColumns: number;
    interpolationRows: Float32Array; // alternating noise / real rows
    interpolationRowCount: number;
    reconstructions: Float32Array; // test image row, then reconstruction row
    reconstructionColumns: number;
  };
}

function histogram(predicted: Uint8Array): number[] {
  const h = new Array(NUM_CLASSES).fill(0);
  predicted.forEach((p) => h[p]++);
  return h.map((c) => c / predicted.length);
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/** Evaluator confidence at each of `steps` positions of `pairs` paths laid out [pair][step][784]. */
function pathConfidence(evaluator: Evaluator, paths: Float32Array, pairs: number, steps: number) {
  const { confidence, predicted } = scoreImages(evaluator, paths);
  const byStep = Array.from({ length: steps }, (_, s) => mean(Array.from({ length: pairs }, (_, p) => confidence[p * steps + s])));
  const minima = Array.from({ length: pairs }, (_, p) => Math.min(...confidence.subarray(p * steps, (p + 1) * steps)));
  return { byStep, mean: mean(confidence), minMean: mean(minima), predicted };
}

export function runGenerationStudy(data: Dataset, models: GenerationModels, config: RunConfig, rng: Rng, logger: Logger): GenerationStudy {
  const { samples, interpolationPairs: pairs, interpolationSteps: steps } = config.evaluation;
  const { encoder, decoder, generator, cganGenerator, evaluator, trainCodes } = models;
  const dim = evaluator.featureDim;
  const testImages = data.test.images;
  const testGaussian = fitGaussian(imageFeatures(evaluator, testImages), dim);
  const fdAgainstTest = (images: Float32Array) => frechetDistance(fitGaussian(imageFeatures(evaluator, images), dim), testGaussian);
  const bar = logger.bar('generation study', 6);

  // unconditional latent GAN
  const ganImages = decodeLatents(decoder, sampleCodes(generator, noiseForSeed(rng.nextUint32(), samples, NOISE_DIM)));
  const ganScores = scoreImages(evaluator, ganImages);
  const hist = histogram(ganScores.predicted);
  const entropy = -hist.reduce((s, p) => s + (p > 0 ? p * Math.log(p) : 0), 0) / Math.log(NUM_CLASSES);
  const gan = {
    samples,
    class_histogram: hist.map((p) => round(p)),
    coverage: hist.filter((p) => p >= 0.5 / NUM_CLASSES).length / NUM_CLASSES, // share of digits with >= half their fair share
    normalized_entropy: round(entropy),
    mean_confidence: round(mean(ganScores.confidence)),
    frechet_distance: round(fdAgainstTest(ganImages), 3),
  };
  bar.tick(1, 'gan');

  // conditional latent GAN: samples/10 per digit
  const perDigit = Math.ceil(samples / NUM_CLASSES);
  const digits = Uint8Array.from({ length: perDigit * NUM_CLASSES }, (_, i) => Math.floor(i / perDigit));
  const cganImages = decodeLatents(decoder, sampleCodes(cganGenerator, noiseForSeed(rng.nextUint32(), digits.length, NOISE_DIM), digits));
  const cganScores = scoreImages(evaluator, cganImages);
  const perDigitAccuracy = Array.from({ length: NUM_CLASSES }, (_, d) => {
    let correct = 0;
    for (let i = d * perDigit; i < (d + 1) * perDigit; i++) if (cganScores.predicted[i] === d) correct++;
    return round(correct / perDigit);
  });
  const cgan = {
    samples: digits.length,
    evaluator_accuracy: round(cganScores.predicted.reduce((n, p, i) => n + (p === digits[i] ? 1 : 0), 0) / digits.length),
    per_digit_accuracy: perDigitAccuracy,
    mean_confidence: round(mean(cganScores.confidence)),
    frechet_distance: round(fdAgainstTest(cganImages), 3),
  };
  bar.tick(1, 'cgan');

  // baselines for the Frechet distance: held-out real images (the floor), AE reconstructions of them,
  // and decoded codes from a Gaussian fitted to the training codes; none of them are test images
  const heldOut = data.validation.images.subarray(0, Math.min(samples, data.validation.count) * IMAGE_PIXELS);
  const testCodes = predictBatched(encoder, testImages, IMAGE_PIXELS);
  const reconstructions = decodeLatents(decoder, predictBatched(encoder, heldOut, IMAGE_PIXELS));
  const gaussianImages = decodeLatents(decoder, sampleGaussianFit(trainCodes, samples, rng));
  const baselines = {
    real_vs_real: round(fdAgainstTest(heldOut), 3),
    ae_reconstructions: round(fdAgainstTest(reconstructions), 3),
    gaussian_latent: round(fdAgainstTest(gaussianImages), 3),
  };
  bar.tick(1, 'baselines');

  // interpolation: generator noise paths vs encoded real test image paths
  const noisePaths = new Float32Array(pairs * steps * NOISE_DIM);
  const realPaths = new Float32Array(pairs * steps * LATENT_DIM);
  for (let p = 0; p < pairs; p++) {
    const [za, zb] = [noiseForSeed(rng.nextUint32(), 1, NOISE_DIM), noiseForSeed(rng.nextUint32(), 1, NOISE_DIM)];
    noisePaths.set(interpolateRows(za, zb, steps), p * steps * NOISE_DIM);
    const [ia, ib] = [rng.int(data.test.count), rng.int(data.test.count)];
    realPaths.set(
      interpolateRows(testCodes.subarray(ia * LATENT_DIM, (ia + 1) * LATENT_DIM), testCodes.subarray(ib * LATENT_DIM, (ib + 1) * LATENT_DIM), steps),
      p * steps * LATENT_DIM,
    );
  }
  const noisePathImages = decodeLatents(decoder, sampleCodes(generator, noisePaths));
  const realPathImages = decodeLatents(decoder, realPaths);
  const noiseConf = pathConfidence(evaluator, noisePathImages, pairs, steps);
  const realConf = pathConfidence(evaluator, realPathImages, pairs, steps);
  bar.tick(1, 'interpolation');

  // conditional morph: same noise, one-hot digit walked from digit a to digit b
  const morphNoise = new Float32Array(pairs * steps * NOISE_DIM);
  const morphOnehots: number[] = [];
  const morphEnds: { from: number; to: number }[] = [];
  for (let p = 0; p < pairs; p++) {
    const z = noiseForSeed(rng.nextUint32(), 1, NOISE_DIM);
    const from = rng.int(NUM_CLASSES);
    const to = (from + 1 + rng.int(NUM_CLASSES - 1)) % NUM_CLASSES;
    morphEnds.push({ from, to });
    for (let s = 0; s < steps; s++) {
      morphNoise.set(z, (p * steps + s) * NOISE_DIM);
      const t = s / (steps - 1);
      for (let c = 0; c < NUM_CLASSES; c++) morphOnehots.push((c === from ? 1 - t : 0) + (c === to ? t : 0));
    }
  }
  const morphCodes = tf.tidy(() => {
    const out = cganGenerator.predict([
      tf.tensor2d(morphNoise, [pairs * steps, NOISE_DIM]),
      tf.tensor2d(morphOnehots, [pairs * steps, NUM_CLASSES]),
    ]) as tf.Tensor;
    return out.dataSync() as Float32Array;
  });
  const morphImages = decodeLatents(decoder, morphCodes);
  const morphConf = pathConfidence(evaluator, morphImages, pairs, steps);
  let endpointHits = 0;
  morphEnds.forEach(({ from, to }, p) => {
    if (morphConf.predicted[p * steps] === from) endpointHits++;
    if (morphConf.predicted[p * steps + steps - 1] === to) endpointHits++;
  });
  bar.tick(1, 'morph');

  // figures
  const figurePairs = Math.min(6, pairs);
  const interpolationRows = new Float32Array(figurePairs * 2 * steps * IMAGE_PIXELS);
  for (let p = 0; p < figurePairs; p++) {
    interpolationRows.set(noisePathImages.subarray(p * steps * IMAGE_PIXELS, (p + 1) * steps * IMAGE_PIXELS), 2 * p * steps * IMAGE_PIXELS);
    interpolationRows.set(realPathImages.subarray(p * steps * IMAGE_PIXELS, (p + 1) * steps * IMAGE_PIXELS), (2 * p + 1) * steps * IMAGE_PIXELS);
  }
  const columns = 10;
  const conditionalGrid = new Float32Array(NUM_CLASSES * columns * IMAGE_PIXELS);
  for (let d = 0; d < NUM_CLASSES; d++) {
    const take = Math.min(columns, perDigit);
    conditionalGrid.set(cganImages.subarray(d * perDigit * IMAGE_PIXELS, (d * perDigit + take) * IMAGE_PIXELS), d * columns * IMAGE_PIXELS);
  }
  const reconColumns = 16;
  const recon = new Float32Array(2 * reconColumns * IMAGE_PIXELS);
  recon.set(testImages.subarray(0, reconColumns * IMAGE_PIXELS), 0);
  recon.set(decodeLatents(decoder, testCodes.subarray(0, reconColumns * LATENT_DIM)), reconColumns * IMAGE_PIXELS);
  bar.tick(1, 'figures');
  bar.stop();

  logger.log(`   GAN: coverage ${gan.coverage}, FD ${gan.frechet_distance}; cGAN evaluator accuracy ${cgan.evaluator_accuracy}, FD ${cgan.frechet_distance}`);
  logger.log(`   FD baselines: real vs real ${baselines.real_vs_real}, AE reconstructions ${baselines.ae_reconstructions}, Gaussian latent ${baselines.gaussian_latent}`);
  return {
    metrics: {
      gan,
      cgan,
      frechet_baselines: baselines,
      interpolation: {
        pairs,
        steps,
        noise: { confidence_by_step: noiseConf.byStep.map((c) => round(c)), mean_confidence: round(noiseConf.mean), min_confidence_mean: round(noiseConf.minMean) },
        real: { confidence_by_step: realConf.byStep.map((c) => round(c)), mean_confidence: round(realConf.mean), min_confidence_mean: round(realConf.minMean) },
        conditional_morph: { confidence_by_step: morphConf.byStep.map((c) => round(c)), endpoint_accuracy: round(endpointHits / (2 * pairs)) },
      },
    },
    figures: {
      samples: ganImages.subarray(0, Math.min(64, samples) * IMAGE_PIXELS),
      conditionalGrid,
      conditionalColumns: columns,
      interpolationRows,
      interpolationRowCount: figurePairs * 2,
      reconstructions: recon,
      reconstructionColumns: reconColumns,
    },
  };
}

/** Codes drawn from a Gaussian fitted to the training codes (the baseline a GAN should beat): [n, LATENT_DIM]. */
function sampleGaussianFit(codes: Float32Array, n: number, rng: Rng): Float32Array {
  const { mean: mu, cov } = fitGaussian(codes, LATENT_DIM);
  // Cholesky of the covariance (16 x 16, small enough to do directly)
  const L = Array.from({ length: LATENT_DIM }, () => new Float64Array(LATENT_DIM));
  for (let i = 0; i < LATENT_DIM; i++) {
    for (let j = 0; j <= i; j++) {
      let s = cov.get(i, j);
      for (let k = 0; k < j; k++) s -= L[i][k] * L[j][k];
      L[i][j] = i === j ? Math.sqrt(Math.max(s, 1e-12)) : s / L[j][j];
    }
  }
  const out = new Float32Array(n * LATENT_DIM);
  const z = new Float64Array(LATENT_DIM);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < LATENT_DIM; j++) z[j] = rng.normal();
    for (let i = 0; i < LATENT_DIM; i++) {
      let v = mu[i];
      for (let j = 0; j <= i; j++) v += L[i][j] * z[j];
      out[r * LATENT_DIM + i] = v;
    }
  }
  return out;
}
