/** Hyperparameters of one run; `--quick` swaps in a small subset and short schedules for tests. */

export interface RunConfig {
  quick: boolean;
  seed: number;
  /** training rows kept after the validation hold-out (undefined = all) */
  limitTrain?: number;
  limitTest?: number;
  autoencoder: { epochs: number; batchSize: number; learningRate: number };
  evaluator: { epochs: number; batchSize: number; learningRate: number };
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
  /** classificationWeight: weight of the conditional generator's AC-GAN-style classification term (0 = off) */
  gan: { steps: number; batchSize: number; learningRate: number; classificationWeight: number };
  evaluation: { samples: number; interpolationPairs: number; interpolationSteps: number };
}

export const FULL_CONFIG: RunConfig = {
  quick: false,
  seed: 1,
  autoencoder: { epochs: 8, batchSize: 256, learningRate: 1e-3 },
  evaluator: { epochs: 10, batchSize: 128, learningRate: 1e-3 },
  study: { labelled: 50, draws: 10, folds: 5, frozenEpochs: 300, finetuneEpochs: 100, validationRows: 1000, neighbours: 10 },
  gan: { steps: 2000, batchSize: 512, learningRate: 5e-4, classificationWeight: 0 },
  evaluation: { samples: 5000, interpolationPairs: 200, interpolationSteps: 10 },
};

export const QUICK_CONFIG: RunConfig = {
  quick: true,
  seed: 1,
  limitTrain: 2000,
  limitTest: 1000,
  autoencoder: { epochs: 2, batchSize: 128, learningRate: 2e-3 },
  evaluator: { epochs: 2, batchSize: 128, learningRate: 1e-3 },
  study: { labelled: 50, draws: 2, folds: 5, frozenEpochs: 30, finetuneEpochs: 10, validationRows: 300, neighbours: 10 },
  gan: { steps: 150, batchSize: 64, learningRate: 5e-4, classificationWeight: 0 },
  evaluation: { samples: 500, interpolationPairs: 20, interpolationSteps: 6 },
};
