/**
 * Supervised training with a progress bar: model.fit over in-memory tensors, one bar tick per batch,
 * an optional per-epoch callback (validation curves), and restoration of the best epoch's weights
 * when a validation score is given.
 */
import * as tf from '@tensorflow/tfjs';
import type { Logger } from './progress';

export interface FitOptions {
  epochs: number;
  batchSize: number;
  logger?: Logger;
  label?: string;
  /** called after each epoch with the epoch's training logs; return a score to keep the best epoch (higher is better) */
  onEpoch?: (epoch: number, logs: tf.Logs) => number | void | Promise<number | void>;
  shuffle?: boolean;
}

export interface FitResult {
  history: tf.Logs[];
  bestEpoch: number;
  bestScore: number | null;
}

/** Keeps a copy of the weights of the best-scoring epoch and puts them back at the end. */
export class BestEpoch {
  score: number | null = null;
  epoch: number;
  private weights: tf.Tensor[] | null = null;

  constructor(
    private readonly model: tf.LayersModel,
    lastEpoch: number,
  ) {
    this.epoch = lastEpoch;
  }

  offer(epoch: number, score: number): void {
    if (this.score !== null && score <= this.score) return;
    this.score = score;
    this.epoch = epoch;
    this.weights?.forEach((w) => w.dispose());
    this.weights = this.model.getWeights().map((w) => w.clone());
  }

  restore(): void {
    if (!this.weights) return;
    this.model.setWeights(this.weights);
    this.weights.forEach((w) => w.dispose());
    this.weights = null;
  }
}

export async function fitWithProgress(
  model: tf.LayersModel,
  x: tf.Tensor | tf.Tensor[],
  y: tf.Tensor,
  { epochs, batchSize, logger, label = 'training', onEpoch, shuffle = true }: FitOptions,
): Promise<FitResult> {
  const rows = (Array.isArray(x) ? x[0] : x).shape[0];
  const batchesPerEpoch = Math.ceil(rows / batchSize);
  const bar = logger?.bar(label, epochs * batchesPerEpoch);
  const history: tf.Logs[] = [];
  const best = new BestEpoch(model, epochs - 1);
  let lastLoss = NaN;
  await model.fit(x, y, {
    epochs,
    batchSize,
    shuffle,
    verbose: 0,
    callbacks: {
      onBatchEnd: async (_batch, logs) => {
        lastLoss = logs?.loss ?? NaN;
        bar?.tick(1, `loss ${lastLoss.toFixed(4)}`);
      },
      onEpochEnd: async (epoch, logs) => {
        history.push({ ...logs });
        const score = onEpoch ? await onEpoch(epoch, logs ?? {}) : undefined;
        if (typeof score === 'number') best.offer(epoch, score);
      },
    },
  });
  bar?.stop();
  best.restore();
  return { history, bestEpoch: best.epoch, bestScore: best.score };
}

/**
 * Full-batch training for tiny labelled sets (the 50-label study): a plain optimizer loop over softmax
 * outputs with categorical cross-entropy. model.fit's per-epoch machinery costs more than the arithmetic
 * here, and the study trains thousands of such epochs. Keeps the weights of the best-scoring epoch.
 */
export async function trainFullBatch(
  model: tf.LayersModel,
  x: tf.Tensor,
  y: tf.Tensor,
  { epochs, learningRate, onEpoch }: { epochs: number; learningRate: number; onEpoch: (epoch: number) => number },
): Promise<FitResult> {
  const optimizer = tf.train.adam(learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const best = new BestEpoch(model, epochs - 1);
  const history: tf.Logs[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    const loss = tf.tidy(() => {
      const cost = optimizer.minimize(
        () => tf.metrics.categoricalCrossentropy(y, model.apply(x, { training: true }) as tf.Tensor).mean() as tf.Scalar,
        true,
        variables,
      )!;
      return cost.dataSync()[0];
    });
    history.push({ loss });
    best.offer(epoch, onEpoch(epoch));
    if (epoch % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  best.restore();
  optimizer.dispose();
  return { history, bestEpoch: best.epoch, bestScore: best.score };
}

/** Runs `model.predict` in batches so large inputs don't need one huge activation tensor; returns [N, ...] data. */
export function predictBatched(model: tf.LayersModel, x: Float32Array, inputWidth: number, batchSize = 2048): Float32Array {
  const rows = x.length / inputWidth;
  const parts: Float32Array[] = [];
  for (let start = 0; start < rows; start += batchSize) {
    const end = Math.min(rows, start + batchSize);
    const out = tf.tidy(() => {
      const input = tf.tensor2d(x.subarray(start * inputWidth, end * inputWidth), [end - start, inputWidth]);
      return (model.predict(input) as tf.Tensor).dataSync() as Float32Array;
    });
    parts.push(out);
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const result = new Float32Array(total);
  let offset = 0;
  for (const p of parts) {
    result.set(p, offset);
    offset += p.length;
  }
  return result;
}

/** Accuracy of class probabilities [N, C] against integer labels. */
export function accuracy(probs: Float32Array, labels: ArrayLike<number>, classes = 10): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    if (argmax(probs, i * classes, classes) === labels[i]) correct++;
  }
  return correct / labels.length;
}

export function argmax(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}

export function oneHot(labels: ArrayLike<number>, classes = 10): tf.Tensor2D {
  return tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from(labels), 'int32'), classes).toFloat() as tf.Tensor2D);
}
