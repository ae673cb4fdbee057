/** Hyperparameters of one run; `--quick` swaps in a small subset and short schedules for tests. */
import type { AugmentOptions } from './data/augment';

export interface RunConfig {
  quick: boolean;
  seed: number;
  /** training rows kept after the validation hold-out (undefined = all) */
  limitTrain?: number;
  limitTest?: number;
  autoencoder: {
    epochs: number;
    batchSize: number;
    learningRate: number;
    /** Adam's learning rate at the last epoch, decayed linearly from learningRate (undefined = constant) */
    finalLearningRate?: number;
  };
  evaluator: { epochs: number; batchSize: number; learningRate: number };
  recognizer: RecognizerConfig;
  study: {
    labelled: number;
    draws: number;
    frozenEpochs: number;
    finetuneEpochs: number;
    /** stratified cross-validation folds inside the labelled draw (the only thing that chooses settings) */
    folds: number;
    /** labelled validation rows: curves and the oracle row only, never selection */
    validationRows: number;
    /** k of the kNN graph over all training codes (label spreading) */
    neighbours: number;
  };
  /** the unconditional latent GAN and the conditional one */
  gan: GanConfig;
  cgan: GanConfig;
  evaluation: { samples: number; interpolationPairs: number; interpolationSteps: number };
}

/** The served pixel classifier for people's digits (training/stages/recognizer.ts). */
export interface RecognizerConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  hidden: number[];
  dropout: number;
  /** font glyphs (training fonts, augmented) added to each epoch, as a share of its MNIST rows */
  fontShare: number;
  augment: AugmentOptions;
}

/** One latent GAN's schedule and shape (see training/stages/gan.ts). */
export interface GanConfig {
  steps: number;
  batchSize: number;
  /** Adam's learning rate */
  learningRate: number;
  generatorHidden: number;
  discriminatorHidden: number;
  /** dropout after each of the discriminator's hidden layers */
  discriminatorDropout: number;
  /** discriminator updates per generator update, each on a fresh batch; unset = 1 */
  discriminatorSteps?: number;
  /** Adam's learning rate for the discriminator alone (one faster update instead of two); unset = learningRate */
  discriminatorLearningRate?: number;
  /** hidden layers in each network */
  layers: number;
  /**
   * unconditional GAN: k-means clusters of the codes it is self-conditioned on, one mode of the generator's
   * fixed mixture prior each (0 = a plain MLP on the noise; see trainLatentGan and buildGenerator)
   */
  clusters: number;
  /**
   * unconditional GAN: self-conditioned on the digits of the training codes (10 modes of equal share)
   * instead of k-means clusters; `clusters` is then unused
   */
  digitModes: boolean;
  /**
   * the generator starts as a Gaussian mixture and learns a correction to it (buildGenerator's modeGaussians):
   * unconditional with clusters, the clusters' mixture (each mode a Gaussian fitted to its cluster's codes);
   * unconditional with digitModes, or conditional, the per-digit mixtures of `digitComponents` components
   */
  mixtureBase: boolean;
  /**
   * with mixtureBase: the conditional generator, and the unconditional one with digitModes, start as the
   * per-digit Gaussian mixtures of this many components (the latent baselines' class GMM: k-means per digit,
   * a Gaussian per cluster; unconditional: each digit's component one mode, share 1/10 times its weight).
   * Unset = 10 (GMM_COMPONENTS's value). Without mixtureBase unused.
   */
  digitComponents?: number;
  /** decay of the exponential moving average of the generator's weights (the exported generator) */
  emaDecay: number;
  /** noise scale baked into the exported generator (1 = the trained distribution) */
  temperature: number;
  /** weight of the AC-GAN-style classification term: digits (conditional) or code clusters (unconditional); 0 = off */
  classificationWeight: number;
  /**
   * the classification term only for generated codes the code classifier gives less than this probability of
   * their class (a hinge: confident samples are left where they are instead of pushed further, which cools
   * the whole distribution); unset = every code
   */
  classificationBelow?: number;
  /**
   * epochs of the code classifier behind the classification term (gan.ts trainCodeClassifier, on the training
   * codes); unset = 3. A teacher that reads the codes better pushes each digit's samples toward that digit's
   * codes rather than toward the classifier's mistakes
   */
  codeClassifierEpochs?: number;
  /** weight of an MMD term between generated and real codes (of the same digits) in the generator loss (0 = off) */
  mmdWeight: number;
  /** factor on the MMD kernels' squared bandwidths (gan.ts MMD_BANDWIDTHS, set for 16-number codes); unset = 1 */
  mmdBandwidthScale?: number;
  /**
   * the discriminator reads images [N, 784] instead of codes: the generated codes through the frozen decoder
   * (the generator's gradient flows through it), against the real training images ('images') or the
   * decoder's reconstructions of their codes ('reconstructions', the decoder's blur on both sides).
   * Unset = codes (the MMD and the classification term stay on codes either way).
   */
  imageDiscriminator?: 'images' | 'reconstructions';
}

/**
 * Chosen in development runs scored against the validation split (never the test set); numbers in
 * README.md ("How the generators were made to win"). The conditional GAN: MMD term 1 and classification
 * term 0.3, 4,000 steps.
 */
const FULL_CGAN: GanConfig = {
  steps: 4000,
  batchSize: 512,
  learningRate: 5e-4,
  generatorHidden: 256,
  discriminatorHidden: 256,
  discriminatorDropout: 0.2,
  layers: 2,
  clusters: 0,
  mixtureBase: false,
  digitModes: false,
  emaDecay: 0.999,
  temperature: 1,
  classificationWeight: 0.3,
  mmdWeight: 1,
};

/**
 * The unconditional one: the conditional recipe, self-conditioned on the digits (10 modes of equal share
 * in its prior, picked from noise[0]; the exported generator reads noise only), served at T = 1.05.
 * Validation FD, mean of 4 draws of 5,000 (same noise for every row): T = 0.95 / 1 / 1.05 / 1.1: 2.94 /
 * 2.73 / 2.63 / 2.63 (confidence 0.99); MMD weight 3 instead of 1: 2.77 / 2.63 / 2.61 / 2.70 (no clear gain).
 * Tried and dropped (one draw each, 4,000 steps): 30 k-means clusters of the codes 3.34; 100 clusters with
 * the generator starting as their Gaussian mixture 3.16 (T = 1) / 2.91 (T = 0.9), the untrained mixture
 * 3.06 / 2.81: adversarial training never improved on that mixture.
 */
const FULL_GAN: GanConfig = {
  ...FULL_CGAN,
  digitModes: true,
  temperature: 1.05,
};

const QUICK_GAN: GanConfig = { ...FULL_GAN, steps: 150, batchSize: 64, generatorHidden: 64, discriminatorHidden: 64, emaDecay: 0.95 };
const QUICK_CGAN: GanConfig = { ...FULL_CGAN, steps: 150, batchSize: 64, generatorHidden: 64, discriminatorHidden: 64, emaDecay: 0.95 };

/**
 * Distortions of the size a person's photo or drawing shows after normalisation; chosen on the validation
 * split and the validation fonts (numbers in models/REPORT.md, "Recognition of people's digits").
 */
const RECOGNIZER_AUGMENT: AugmentOptions = { rotationDegrees: 12, scale: [0.85, 1.1], aspect: 0.15, shear: 0.25, translate: 1.5, strokeChange: 0.25 };

/** 784-256-128-10 in float16 is 0.47 MB: what the worker bundle's 6.5 MB gzip budget has room for. */
const FULL_RECOGNIZER: RecognizerConfig = { epochs: 6, batchSize: 128, learningRate: 1e-3, hidden: [256, 128], dropout: 0.2, fontShare: 0.15, augment: RECOGNIZER_AUGMENT };

/**
 * The sharper decoder (issue 20; README "Development: sharper decoder"): batches of 128, 12 epochs with
 * Adam's learning rate decayed linearly from 1e-3 to 1e-4, on a 32-number code (core/contract.ts LATENT_DIM =
 * 32). Its full run (reports/sharper-decoder/run-32d) reached reconstruction FD / accuracy / test MSE
 * 1.171 / 0.975 / 0.00648 (the shipped 16-number set: 2.431 / 0.962 / 0.01219), but the GANs trained on its
 * codes lost to the latent mixtures (cGAN FD 2.34 vs 1.52, accuracy 0.985) and the run took 29 min: not
 * FULL_CONFIG's until the GAN recipe is redone for 32-number codes.
 */
export const SHARPER_AUTOENCODER: RunConfig['autoencoder'] = { epochs: 12, batchSize: 128, learningRate: 1e-3, finalLearningRate: 1e-4 };

export const FULL_CONFIG: RunConfig = {
  quick: false,
  seed: 1,
  autoencoder: { epochs: 8, batchSize: 256, learningRate: 1e-3 },
  evaluator: { epochs: 10, batchSize: 128, learningRate: 1e-3 },
  recognizer: FULL_RECOGNIZER,
  study: { labelled: 50, draws: 10, folds: 5, frozenEpochs: 300, finetuneEpochs: 100, validationRows: 1000, neighbours: 10 },
  gan: FULL_GAN,
  cgan: FULL_CGAN,
  evaluation: { samples: 5000, interpolationPairs: 200, interpolationSteps: 10 },
};

export const QUICK_CONFIG: RunConfig = {
  quick: true,
  seed: 1,
  limitTrain: 2000,
  limitTest: 1000,
  autoencoder: { epochs: 2, batchSize: 128, learningRate: 2e-3 },
  evaluator: { epochs: 2, batchSize: 128, learningRate: 1e-3 },
  recognizer: { ...FULL_RECOGNIZER, epochs: 2 },
  study: { labelled: 50, draws: 2, folds: 5, frozenEpochs: 30, finetuneEpochs: 10, validationRows: 300, neighbours: 10 },
  gan: QUICK_GAN,
  cgan: QUICK_CGAN,
  evaluation: { samples: 500, interpolationPairs: 20, interpolationSteps: 6 },
};
