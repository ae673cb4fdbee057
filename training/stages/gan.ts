/**
 * Stage: GANs over the autoencoder's latent space. The generator maps noise [N, NOISE_DIM] (optionally
 * ++ one-hot digit [N, 10]) to a latent code [N, LATENT_DIM]; the discriminator scores codes (the
 * conditional one by projection of the digit, see buildDiscriminator). Real codes are the encoder's codes
 * of the training images, with their true labels for the conditional GAN.
 *
 * Loss: non-saturating GAN loss on logits with one-sided label smoothing, Adam(beta1 = 0.5). The exported generator is an exponential moving average of the generator's
 * weights (Yazici et al. 2019), which removes most of the step-to-step wobble of adversarial training.
 * Optionally (classificationWeight > 0) the conditional generator also pays an AC-GAN-style term (Odena et
 * al. 2017): a small classifier trained on the real codes and their labels, then frozen, must recognise
 * the requested digit in the generated code.
 * Optionally (config.imageDiscriminator) the discriminator reads decoded images instead of codes
 * (discriminatorView): the generator is then judged on how its digits look, not only on where its codes lie.
 *
 * Sampling temperature T (truncation, as in BigGAN): the exported generator reads standard-normal noise
 * and scales it by T inside its first layer (its noise kernel rows are multiplied by T), so the served
 * noise contract (core/rng.ts noiseForSeed) does not change while the served samples are those at T.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, LATENT_DIM, NOISE_DIM, NUM_CLASSES } from '../../core/contract';
import type { Rng } from '../../core/rng';
import type { GanConfig } from '../config';
import { kmeans } from 'ml-kmeans';
import { buildConditionalGenerator, buildDiscriminator, buildGenerator, firstGeneratorLayer, modeOf, modeThresholds } from '../models/architectures';
import { classClusters, fitClusterGaussians, fitComponent, gatherRows, rowsByDigit, type GaussianComponent } from './latent-baselines';
import { accuracy, fitWithProgress, oneHot, predictBatched } from '../fit';
import { round, type Logger } from '../progress';

export interface GanResult {
  generator: tf.LayersModel;
  metrics: {
    steps: number;
    batch_size: number;
    learning_rate: number;
    /** set when the discriminator's rate differs from learning_rate */
    discriminator_learning_rate?: number;
    generator_hidden: number;
    discriminator_hidden: number;
    layers: number;
    ema_decay: number;
    mmd_weight: number;
    mmd_bandwidth_scale?: number;
    temperature: number;
    final_d_loss: number;
    final_g_loss: number;
    /** weight of the frozen code classifier's cross-entropy in the generator loss (digits, or code clusters) */
    classification_weight?: number;
    code_classifier_epochs?: number;
    code_classifier_train_accuracy?: number;
    /** self-conditioned unconditional GAN: what its prior's modes are (the digits, equal shares; or k-means clusters of the codes) */
    modes?: 'digits' | 'digit-components' | 'clusters';
    /** with clusters: how many, their shares, how pure they are in digits (for the report only), whether the generator started as their Gaussian mixture */
    clusters?: number;
    cluster_shares?: number[];
    cluster_digit_purity?: number;
    mixture_base?: boolean;
    /** with a per-digit mixture start: components of each digit's mixture */
    digit_components?: number[];
    /** the discriminator read decoded images against these (GanConfig.imageDiscriminator) */
    image_discriminator?: 'images' | 'reconstructions';
    loss_curve: { step: number; d: number; g: number }[];
  };
}

/** Code classifier for the generator's auxiliary loss: latent code [N, LATENT_DIM] -> class probabilities [N, classes]. */
async function trainCodeClassifier(codes: Float32Array, labels: Uint8Array, classes: number, epochs: number, logger: Logger): Promise<{ model: tf.LayersModel; accuracy: number }> {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [LATENT_DIM], units: 128, activation: 'relu' }),
      tf.layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(codes, [labels.length, LATENT_DIM]);
  const y = oneHot(labels, classes);
  await fitWithProgress(model, x, y, { epochs, batchSize: 256, logger, label: 'code classifier (GAN classification term)' });
  const accuracyValue = accuracy(predictBatched(model, codes, LATENT_DIM), labels, classes);
  x.dispose();
  y.dispose();
  return { model, accuracy: accuracyValue };
}

const REAL_LABEL = 0.9; // one-sided label smoothing
/**
 * Squared bandwidths of the MMD's Gaussian kernels, for codes of about unit scale in 16 dimensions. Each is
 * a quarter of the next, so meanKernel computes one exp (the widest) and the others by squaring twice.
 */
const MMD_BANDWIDTHS = [2, 8, 32];
/** one-hot digits are scaled by this before joining the codes in the MMD, so different digits barely interact */
const MMD_DIGIT_SCALE = 4;

/**
 * Mean of k(a_i, b_j) over all pairs, k = sum over the bandwidths s of exp(-|a - b|^2 / (2 s)). The narrower
 * kernels are powers of the widest, exp(-d/16) = exp(-d/64)^4 etc.: one exp and elementwise squares instead of
 * three exps (the MMD was ~40% of a GAN step on the wasm backend).
 */
function meanKernel(a: tf.Tensor2D, b: tf.Tensor2D, bandwidthScale = 1): tf.Scalar {
  return tf.tidy(() => {
    const d2 = a.square().sum(1, true).add(b.square().sum(1, true).transpose()).sub(a.matMul(b, false, true).mul(2)).relu();
    let k = d2.mul(-1 / (2 * bandwidthScale * MMD_BANDWIDTHS[MMD_BANDWIDTHS.length - 1])).exp();
    let sum = k;
    for (let i = MMD_BANDWIDTHS.length - 2; i >= 0; i--) {
      k = k.square().square(); // bandwidth s/4
      sum = sum.add(k);
    }
    return sum.mean() as tf.Scalar;
  });
}

/**
 * Squared maximum mean discrepancy between two samples [n, d] with a sum of Gaussian kernels (Gretton et
 * al. 2012; the biased estimator, which is fine for a loss).
 */
export function mmd(x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => meanKernel(x, x).add(meanKernel(y, y)).sub(meanKernel(x, y).mul(2)) as tf.Scalar);
}

/**
 * The part of mmd(x, y) that depends on x: the generator's MMD term, x generated and y real. Same gradient
 * with respect to x, without the real-real kernel block (a constant), so half the kernel work per step.
 * `bandwidthScale` multiplies every squared bandwidth (MMD_BANDWIDTHS).
 */
export function mmdGeneratorTerm(x: tf.Tensor2D, y: tf.Tensor2D, bandwidthScale = 1): tf.Scalar {
  return tf.tidy(() => meanKernel(x, x, bandwidthScale).sub(meanKernel(x, y, bandwidthScale).mul(2)) as tf.Scalar);
}

function variablesOf(model: tf.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** The layers bakeTemperature scales: the first dense layer, and the mixture generator's mode factors if it has them. */
function temperatureLayers(generator: tf.LayersModel, conditional: boolean): [tf.layers.Layer, tf.layers.Layer | undefined] {
  return [generator.getLayer(firstGeneratorLayer(conditional)), generator.layers.find((l) => l.name === 'gen_mode_scale')];
}

/**
 * Scales the noise rows of the generator's first kernel by `temperature`: G'(z) = G(T z) for every z,
 * the one-hot rows of a conditional generator untouched. With a mode prior (buildGenerator's modeShares)
 * the mode is still picked from the unscaled noise, so T narrows each mode without changing their shares.
 */
export function bakeTemperature(generator: tf.LayersModel, conditional: boolean, temperature: number): void {
  if (temperature === 1) return;
  const [layer, modeScale] = temperatureLayers(generator, conditional);
  const [kernel, ...rest] = layer.getWeights();
  const scaled = tf.tidy(() => {
    const rows = kernel.shape[0];
    const scale = tf.concat([tf.fill([NOISE_DIM, 1], temperature), tf.ones([rows - NOISE_DIM, 1])]);
    return kernel.mul(scale);
  });
  layer.setWeights([scaled, ...rest]);
  scaled.dispose();
  // the mixture generator's mode factors read only noise rows: all of them scale
  if (modeScale) {
    const [factors] = modeScale.getWeights();
    const narrowed = factors.mul(temperature);
    modeScale.setWeights([narrowed]);
    narrowed.dispose();
  }
}

/**
 * Runs `work` with `generator` sampling at `factor` times its baked temperature (bakeTemperature by
 * `factor`), then puts the exact weights back: the study scores a generator at other temperatures without
 * changing the one that is exported.
 */
export function atTemperatureFactor<T>(generator: tf.LayersModel, conditional: boolean, factor: number, work: () => T): T {
  const layers = temperatureLayers(generator, conditional).filter((l) => l !== undefined);
  const saved = layers.map((l) => l.getWeights().map((w) => w.clone()));
  try {
    bakeTemperature(generator, conditional, factor);
    return work();
  } finally {
    layers.forEach((l, i) => {
      l.setWeights(saved[i]);
      saved[i].forEach((w) => w.dispose());
    });
  }
}

/**
 * What the discriminator reads: for the generated side from generated codes [n, LATENT_DIM], for the real
 * side from training rows. Codes as they are; or, with an image side, the generated codes through the frozen
 * decoder (inside the generator's gradient tape, so the gradient reaches the generator through it; the
 * decoder's weights are not among the variables either optimizer updates) against real images [n, 784]
 * or the decoder's reconstructions of the real codes.
 */
export interface DiscriminatorView {
  /** width of the discriminator's input: LATENT_DIM or IMAGE_PIXELS */
  width: number;
  generated(codes: tf.Tensor2D): tf.Tensor2D;
  real(rows: tf.Tensor1D): tf.Tensor2D;
  /** frees what the view holds of its own (the reconstructions); the caller's tensors stay */
  dispose(): void;
}

/** rows the frozen decoder reconstructs at a time when the view decodes every real code once */
const RECONSTRUCTION_BATCH = 2048;

export function discriminatorView(
  realCodes: tf.Tensor2D,
  side?: { kind: 'images'; decoder: tf.LayersModel; images: tf.Tensor2D } | { kind: 'reconstructions'; decoder: tf.LayersModel },
): DiscriminatorView {
  if (!side) return { width: LATENT_DIM, generated: (codes) => codes, real: (rows) => tf.gather(realCodes, rows), dispose: () => {} };
  const decode = (codes: tf.Tensor2D) => side.decoder.apply(codes, { training: false }) as tf.Tensor2D;
  // The decoder is frozen, so the real codes' reconstructions never change: decoded once here (55k rows,
  // 172 MB), each discriminator update gathers its batch instead of running the decoder on it again.
  const realImages = side.kind === 'images' ? side.images : (side.decoder.predict(realCodes, { batchSize: RECONSTRUCTION_BATCH }) as tf.Tensor2D);
  return {
    width: IMAGE_PIXELS,
    generated: decode,
    real: (rows) => tf.gather(realImages, rows),
    dispose: () => {
      if (side.kind === 'reconstructions') realImages.dispose();
    },
  };
}

export interface GanInputs {
  /** real latent codes [rows, LATENT_DIM] */
  codes: Float32Array;
  /** with config.imageDiscriminator: the frozen decoder (code [N, LATENT_DIM] -> image [N, 784]), never trained here */
  decoder?: tf.LayersModel;
  /** with config.imageDiscriminator 'images': the training images the codes are of [rows, 784] */
  images?: Float32Array;
  /** digit of each real code (used by the conditional GAN) */
  labels: Uint8Array;
  conditional: boolean;
  config: GanConfig;
  logger: Logger;
  rng: Rng;
}

/**
 * What the unconditional generator is self-conditioned on in training (self-conditioned GAN, Liu et al.
 * 2020): the digits of the training codes, or k-means clusters of the codes (no labels). Each becomes one
 * mode of the generator's prior with a fixed share, so the exported generator still reads noise only.
 */
interface Modes {
  /** mode of each real code */
  of: Uint8Array;
  /** probability of each mode in the generator's prior */
  shares: number[];
  /** codes' row numbers per mode */
  members: number[][];
}

/**
 * The digits as modes, each with share 1/10: the unconditional endpoint's samples are every digit equally
 * often (MNIST's training shares run 9.0-11.3%), and the generator learns each digit as the cGAN does.
 */
function digitModes(labels: Uint8Array): Modes {
  const members = rowsByDigit(labels);
  const empty = members.findIndex((m) => m.length === 0);
  if (empty >= 0) throw new RangeError(`digit modes need training codes of every digit; none of digit ${empty}`);
  return { of: labels, shares: new Array<number>(NUM_CLASSES).fill(1 / NUM_CLASSES), members };
}

function clusterCodes(codes: Float32Array, k: number, rng: Rng, logger: Logger): Modes {
  const rows = codes.length / LATENT_DIM;
  const started = performance.now();
  const points = Array.from({ length: rows }, (_, r) => Array.from(codes.subarray(r * LATENT_DIM, (r + 1) * LATENT_DIM)));
  const { clusters } = kmeans(points, k, { seed: rng.int(2 ** 31), initialization: 'kmeans++', maxIterations: 100 });
  const members: number[][] = Array.from({ length: k }, () => []);
  clusters.forEach((c, r) => members[c].push(r));
  logger.log(`   k-means: ${k} clusters of the codes in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { of: Uint8Array.from(clusters), shares: members.map((m) => m.length / rows), members };
}

/**
 * The components of each digit's Gaussian mixture as modes (digit-major): share 1/10 times the component's
 * weight in its digit, so the digits keep equal shares as digitModes gives them.
 */
function digitComponentModes(labels: Uint8Array, clusters: number[][][]): Modes {
  const byDigit = rowsByDigit(labels);
  const members = clusters.flat();
  const shares = clusters.flatMap((digit, d) => digit.map((rows) => rows.length / byDigit[d].length / NUM_CLASSES));
  const of = new Uint8Array(labels.length);
  if (members.length > 256) throw new RangeError(`at most 256 digit components in all, got ${members.length}`);
  members.forEach((rows, m) => rows.forEach((r) => (of[r] = m)));
  return { of, shares, members };
}

/** A Gaussian fitted to each cluster's codes (the latent baselines' estimator): the mixture generator's starting point. */
function clusterGaussians(codes: Float32Array, clusters: Modes): GaussianComponent[] {
  return clusters.members.map((rows, m) => fitComponent(gatherRows(codes, rows, LATENT_DIM), clusters.shares[m]));
}


/** Share of the codes whose digit is the most common digit of their cluster (describes the clusters; training never sees labels). */
function clusterPurity(clusters: Modes, labels: Uint8Array): number {
  let agreeing = 0;
  for (const rows of clusters.members) {
    const counts = new Array<number>(NUM_CLASSES).fill(0);
    for (const r of rows) counts[labels[r]]++;
    agreeing += Math.max(...counts);
  }
  return agreeing / labels.length;
}

/**
 * The generator's classification term: the mean over the batch of each code's cross-entropy against its
 * class; with `below`, only the codes given less than that probability of their class count (the mask
 * carries no gradient), so confident codes are left where they are.
 */
export function classificationTerm(onehot: tf.Tensor, predicted: tf.Tensor, below?: number): tf.Scalar {
  const perCode = tf.metrics.categoricalCrossentropy(onehot, predicted);
  if (below === undefined) return perCode.mean() as tf.Scalar;
  // the mask as a constant read back from the values (tfjs has no stop-gradient, and Less has no gradient)
  const own = predicted.mul(onehot).sum(1).dataSync();
  const mask = tf.tensor1d(Float32Array.from(own, (p) => (p < below ? 1 : 0)));
  return perCode.mul(mask).mean() as tf.Scalar;
}

/** A count in the GAN's config: a whole number >= 1, refused by name otherwise. */
function countSetting(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a whole number >= 1, got ${value}`);
  return value;
}

export async function trainLatentGan({ codes, labels, conditional, config, logger, rng, decoder, images }: GanInputs): Promise<GanResult> {
  const { steps, batchSize, learningRate, classificationWeight, mmdWeight, emaDecay, temperature } = config;
  const rows = labels.length;
  const bandwidthScale = config.mmdBandwidthScale ?? 1;
  const discriminatorSteps = countSetting('discriminatorSteps', config.discriminatorSteps ?? 1);
  const classificationBelow = config.classificationBelow;
  if (classificationBelow !== undefined && !(classificationBelow > 0 && classificationBelow <= 1))
    throw new RangeError(`classificationBelow must be a probability in (0, 1], got ${classificationBelow}`);
  const codeClassifierEpochs = countSetting('codeClassifierEpochs', config.codeClassifierEpochs ?? 3);
  const discriminatorRate = config.discriminatorLearningRate ?? learningRate;
  if (!(discriminatorRate > 0 && Number.isFinite(discriminatorRate)))
    throw new RangeError(`discriminatorLearningRate must be a positive number, got ${config.discriminatorLearningRate}`);
  const imageSide = config.imageDiscriminator;
  if (imageSide && !decoder) throw new RangeError(`imageDiscriminator '${imageSide}' needs the decoder; none was given`);
  if (imageSide === 'images' && images?.length !== rows * IMAGE_PIXELS)
    throw new RangeError(`imageDiscriminator 'images' needs the ${rows} training images (${rows * IMAGE_PIXELS} values), got ${images?.length ?? 'none'}`);
  // per digit, k-means clusters of its codes: the components of the per-digit mixtures a generator starts as
  const perDigitClusters =
    config.mixtureBase && (conditional || config.digitModes) ? classClusters(codes, labels, config.digitComponents ?? 10, rng.int(2 ** 31)) : null;
  // what the unconditional generator's prior modes are, if it has any
  const modeKind = conditional ? null : config.digitModes ? (perDigitClusters ? 'digit-components' : 'digits') : config.clusters > 1 ? 'clusters' : null;
  const modes =
    modeKind === 'digits'
      ? digitModes(labels)
      : modeKind === 'digit-components'
        ? digitComponentModes(labels, perDigitClusters!)
        : modeKind === 'clusters'
          ? clusterCodes(codes, config.clusters, rng, logger)
          : null;
  // the classes the discriminator, the MMD and the classification term see: digits, the prior's modes or none
  const classes = conditional ? NUM_CLASSES : (modes?.shares.length ?? 0);
  const classOf = conditional ? labels : modes?.of;
  const generator = conditional
    ? buildConditionalGenerator(config, perDigitClusters ? fitClusterGaussians(codes, labels, perDigitClusters) : undefined)
    : buildGenerator(
        config,
        modes?.shares,
        modes && config.mixtureBase
          ? modeKind === 'clusters'
            ? clusterGaussians(codes, modes)
            : modeKind === 'digit-components'
              ? fitClusterGaussians(codes, labels, perDigitClusters!).flat().map((c, m) => ({ ...c, weight: modes.shares[m] }))
              : undefined
          : undefined,
      );
  const thresholds = modes ? modeThresholds(modes.shares) : [];
  const realCodes = tf.tensor2d(codes, [rows, LATENT_DIM]);
  const realImages = imageSide === 'images' ? tf.tensor2d(images!, [rows, IMAGE_PIXELS]) : null;
  const view = discriminatorView(
    realCodes,
    imageSide === 'images' ? { kind: 'images', decoder: decoder!, images: realImages! } : imageSide === 'reconstructions' ? { kind: 'reconstructions', decoder: decoder! } : undefined,
  );
  const discriminator = buildDiscriminator(classes, config, view.width);
  const dOptimizer = tf.train.adam(discriminatorRate, 0.5);
  const gOptimizer = tf.train.adam(learningRate, 0.5);
  const dVars = variablesOf(discriminator);
  const gVars = variablesOf(generator);
  // the exponential moving average of the generator's weights; what is exported
  const average = gVars.map((v) => tf.variable(v.clone(), false));
  const codeClassifier = classOf && classificationWeight > 0 ? await trainCodeClassifier(codes, classOf, classes, codeClassifierEpochs, logger) : null;
  if (codeClassifier) logger.log(`   code classifier for the GAN's classification term: training accuracy ${codeClassifier.accuracy.toFixed(4)}`);
  const realClasses = classOf ? tf.tensor1d(Int32Array.from(classOf), 'int32') : null;
  const dLogit = (seen: tf.Tensor, onehot: tf.Tensor | null) => discriminator.apply(onehot ? [seen, onehot] : seen, { training: true }) as tf.Tensor;
  const gSample = (noise: tf.Tensor, onehot: tf.Tensor | null) => generator.apply(conditional ? [noise, onehot!] : noise, { training: true }) as tf.Tensor;
  /**
   * Noise for a generated batch, its class (one-hot; null without classes) and, for the MMD, rows of real codes
   * of the same classes. The conditional GAN's discriminator sees uniformly drawn digits; its generator the
   * digits of a real batch, which the MMD term compares it with.
   */
  const generatedBatch = (forDiscriminator: boolean): { noise: tf.Tensor2D; onehot: tf.Tensor2D | null; matched: Int32Array } => {
    if (conditional && forDiscriminator) {
      const onehot = tf.oneHot(tf.randomUniform([batchSize], 0, NUM_CLASSES, 'int32'), NUM_CLASSES).toFloat() as tf.Tensor2D;
      return { noise: tf.randomNormal([batchSize, NOISE_DIM]), onehot, matched: new Int32Array(0) };
    }
    if (modes) {
      // the mode the generator's own selector picks from noise[0], and real codes of that mode
      const noise = tf.randomNormal([batchSize, NOISE_DIM]) as tf.Tensor2D;
      const first = noise.slice([0, 0], [batchSize, 1]);
      const picked = Array.from(first.dataSync(), (z0) => modeOf(z0, thresholds));
      const matched = Int32Array.from(picked, (m) => modes.members[m][rng.int(modes.members[m].length)]);
      return { noise, onehot: oneHot(picked, classes), matched };
    }
    const matched = forDiscriminator ? new Int32Array(0) : Int32Array.from({ length: batchSize }, () => rng.int(rows));
    const onehot = conditional ? oneHot(Array.from(matched, (r) => labels[r]), classes) : null;
    return { noise: tf.randomNormal([batchSize, NOISE_DIM]), onehot, matched };
  };

  const curve: GanResult['metrics']['loss_curve'] = [];
  const bar = logger.bar(conditional ? 'conditional latent GAN' : 'latent GAN', steps);
  let dLoss = NaN;
  let gLoss = NaN;
  for (let step = 0; step < steps; step++) {
    if (step % 20 === 0) await new Promise((resolve) => setImmediate(resolve)); // let the progress bar draw
    const [dl, gl] = tf.tidy(() => {
      let d: tf.Scalar | null = null;
      for (let k = 0; k < discriminatorSteps; k++) {
        const idx = tf.tensor1d(Int32Array.from({ length: batchSize }, () => rng.int(rows)), 'int32');
        const real = view.real(idx);
        const realOnehot = realClasses ? tf.oneHot(tf.gather(realClasses, idx), classes).toFloat() : null;
        const forD = generatedBatch(true);
        const fake = gSample(forD.noise, forD.onehot);
        d = dOptimizer.minimize(
          () =>
            tf.losses
              .sigmoidCrossEntropy(tf.fill([batchSize, 1], REAL_LABEL), dLogit(real, realOnehot))
              .add(tf.losses.sigmoidCrossEntropy(tf.zeros([batchSize, 1]), dLogit(view.generated(fake as tf.Tensor2D), forD.onehot))) as tf.Scalar,
          true,
          dVars,
        )!;
      }
      const forG = generatedBatch(false);
      const matchedCodes = tf.gather(realCodes, tf.tensor1d(forG.matched, 'int32')) as tf.Tensor2D;
      const withClasses = (codes: tf.Tensor) => (forG.onehot ? tf.concat([codes, forG.onehot.mul(MMD_DIGIT_SCALE)], 1) : codes) as tf.Tensor2D;
      const g = gOptimizer.minimize(
        () => {
          const generated = gSample(forG.noise, forG.onehot) as tf.Tensor2D;
          let loss = tf.losses.sigmoidCrossEntropy(tf.ones([batchSize, 1]), dLogit(view.generated(generated), forG.onehot)) as tf.Scalar;
          if (mmdWeight > 0) loss = loss.add(mmdGeneratorTerm(withClasses(generated), withClasses(matchedCodes), bandwidthScale).mul(mmdWeight));
          if (codeClassifier) {
            const predicted = codeClassifier.model.apply(generated) as tf.Tensor;
            loss = loss.add(classificationTerm(forG.onehot!, predicted, classificationBelow).mul(classificationWeight));
          }
          return loss;
        },
        true,
        gVars,
      )!;
      // the average's decay warms up (as TensorFlow's ExponentialMovingAverage with num_updates), so the
      // random initial weights do not linger in it for the first thousands of steps
      const decay = Math.min(emaDecay, (1 + step) / (10 + step));
      average.forEach((a, i) => a.assign(a.mul(decay).add(gVars[i].mul(1 - decay))));
      return [d!.dataSync()[0], g.dataSync()[0]];
    });
    dLoss = dl;
    gLoss = gl;
    if (step % 50 === 0 || step === steps - 1) curve.push({ step, d: round(dLoss, 4), g: round(gLoss, 4) });
    bar.tick(1, `D ${dLoss.toFixed(3)} G ${gLoss.toFixed(3)}`);
  }
  bar.stop();
  gVars.forEach((v, i) => v.assign(average[i]));
  bakeTemperature(generator, conditional, temperature);
  average.forEach((a) => a.dispose());
  realCodes.dispose();
  realImages?.dispose();
  view.dispose();
  realClasses?.dispose();
  discriminator.dispose();
  codeClassifier?.model.dispose();
  dOptimizer.dispose();
  gOptimizer.dispose();
  return {
    generator,
    metrics: {
      steps,
      batch_size: batchSize,
      learning_rate: learningRate,
      ...(discriminatorRate !== learningRate ? { discriminator_learning_rate: discriminatorRate } : {}),
      generator_hidden: config.generatorHidden,
      discriminator_hidden: config.discriminatorHidden,
      layers: config.layers,
      ema_decay: emaDecay,
      mmd_weight: mmdWeight,
      ...(bandwidthScale !== 1 ? { mmd_bandwidth_scale: bandwidthScale } : {}),
      temperature,
      final_d_loss: round(dLoss, 4),
      final_g_loss: round(gLoss, 4),
      ...(codeClassifier ? { classification_weight: classificationWeight, code_classifier_epochs: codeClassifierEpochs, code_classifier_train_accuracy: round(codeClassifier.accuracy) } : {}),
      ...(modeKind ? { modes: modeKind } : {}),
      ...(perDigitClusters ? { mixture_base: true, digit_components: perDigitClusters.map((c) => c.length) } : {}),
      ...(imageSide ? { image_discriminator: imageSide } : {}),
      ...(modes && modeKind === 'clusters'
        ? {
            clusters: modes.shares.length,
            cluster_shares: modes.shares.map((x) => round(x, 4)),
            cluster_digit_purity: round(clusterPurity(modes, labels)),
            mixture_base: config.mixtureBase,
          }
        : {}),
      loss_curve: curve,
    },
  };
}

/** Generator samples for given noise ([n, NOISE_DIM]) and, if conditional, digits: latent codes [n, LATENT_DIM]. */
export function sampleCodes(generator: tf.LayersModel, noise: Float32Array, digits?: ArrayLike<number>): Float32Array {
  return tf.tidy(() => {
    const n = noise.length / NOISE_DIM;
    const z = tf.tensor2d(noise, [n, NOISE_DIM]);
    const inputs = digits ? [z, tf.oneHot(tf.tensor1d(Array.from(digits), 'int32'), NUM_CLASSES).toFloat()] : z;
    return (generator.predict(inputs) as tf.Tensor).dataSync() as Float32Array;
  });
}
