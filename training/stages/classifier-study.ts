/**
 * Stage: the 50-label latent classifier study.
 *  (a) classifiers on frozen latent codes: several architectures, chosen by validation accuracy;
 *  (b) the chosen classifier stacked on the encoder and trained end to end (the encoder starts from the AE);
 *  (c) semi-supervised: label spreading over a latent kNN graph of unlabelled training codes, then a
 *      classifier on the spread labels (or a kNN vote), chosen by validation accuracy.
 * Every method sees the same draws of 50 labelled training images; the test set is touched only for the
 * final numbers, the validation split picks architectures, epochs and methods.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, LATENT_DIM, NUM_CLASSES } from '../../core/contract';
import type { Rng } from '../../core/rng';
import type { RunConfig } from '../config';
import { subset, type Dataset, type Split } from '../data/mnist';
import { accuracy, fitWithProgress, oneHot, predictBatched, trainFullBatch } from '../fit';
import { round, type Logger } from '../progress';
import { knnVote, nearestNeighbours, spreadLabels } from './label-spreading';

export interface ClassifierArchitecture {
  id: string;
  description: string;
  /** builds the classifier head: latent code [N, LATENT_DIM] -> class probabilities [N, 10] */
  build: () => tf.Sequential;
}

export const ARCHITECTURES: ClassifierArchitecture[] = [
  {
    id: 'reference',
    description: 'Dense 128 sigmoid -> Dense 512 sigmoid -> Dense 10 softmax (the published study)',
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [LATENT_DIM], units: 128, activation: 'sigmoid' }),
          tf.layers.dense({ units: 512, activation: 'sigmoid' }),
          tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
        ],
      }),
  },
  {
    id: 'softmax',
    description: 'Dense 10 softmax (multinomial logistic regression)',
    build: () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [LATENT_DIM], units: NUM_CLASSES, activation: 'softmax' })] }),
  },
  {
    id: 'relu64',
    description: 'Dense 64 relu -> Dense 10 softmax',
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [LATENT_DIM], units: 64, activation: 'relu' }),
          tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
        ],
      }),
  },
  {
    id: 'relu256-dropout',
    description: 'Dense 256 relu -> Dropout 0.5 -> Dense 10 softmax',
    build: () =>
      tf.sequential({
        layers: [
          tf.layers.dense({ inputShape: [LATENT_DIM], units: 256, activation: 'relu' }),
          tf.layers.dropout({ rate: 0.5 }),
          tf.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
        ],
      }),
  },
];

const LEARNING_RATE = 1e-3;

export interface CurveRow {
  method: 'frozen' | 'finetuned';
  architecture: string;
  draw: number;
  epoch: number;
  validation_accuracy: number;
}

export interface Summary {
  mean: number;
  std: number;
  runs: number[];
}

export interface StudyResult {
  metrics: {
    labelled: number;
    draws: number;
    draw_method: string;
    selected_architecture: string;
    architectures: Record<string, { description: string; validation: Summary; test: Summary }>;
    frozen: Summary & { architecture: string; validation: Summary };
    finetuned: Summary & { architecture: string; validation: Summary };
    semisupervised: Summary & {
      method: string;
      unlabelled: number;
      neighbours: number;
      validation: Summary;
      spread_label_accuracy: Summary;
      candidates: Record<string, { validation: Summary; test: Summary }>;
    };
    reference: { frozen: number; finetuned: number };
  };
  curves: CurveRow[];
}

export function summarise(runs: number[]): Summary {
  const mean = runs.reduce((a, b) => a + b, 0) / runs.length;
  const std = Math.sqrt(runs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, runs.length - 1));
  return { mean: round(mean), std: round(std), runs: runs.map((r) => round(r)) };
}

/** `perClass` random training rows of every digit (a stratified draw of 10 * perClass labels). */
export function drawLabelled(train: Split, perClass: number, rng: Rng): number[] {
  const byClass: number[][] = Array.from({ length: NUM_CLASSES }, () => []);
  train.labels.forEach((label, row) => byClass[label].push(row));
  return byClass.flatMap((rows) => rng.shuffle(rows.slice()).slice(0, perClass));
}

interface TrainedHead {
  validationAccuracy: number;
  testAccuracy: number;
  curve: number[];
}

async function trainOnCodes(
  arch: ClassifierArchitecture,
  codes: Float32Array,
  labels: Uint8Array,
  validation: { codes: Float32Array; labels: Uint8Array },
  test: { codes: Float32Array; labels: Uint8Array },
  epochs: number,
  batchSize: number,
): Promise<TrainedHead & { model: tf.Sequential }> {
  const model = arch.build();
  const x = tf.tensor2d(codes, [labels.length, LATENT_DIM]);
  const y = oneHot(labels);
  const curve: number[] = [];
  const scoreEpoch = () => {
    const acc = accuracy(predictBatched(model, validation.codes, LATENT_DIM), validation.labels);
    curve.push(acc);
    return acc;
  };
  const fit =
    batchSize >= labels.length
      ? await trainFullBatch(model, x, y, { epochs, learningRate: LEARNING_RATE, onEpoch: scoreEpoch })
      : await (async () => {
          model.compile({ optimizer: tf.train.adam(LEARNING_RATE), loss: 'categoricalCrossentropy' });
          return fitWithProgress(model, x, y, { epochs, batchSize, onEpoch: scoreEpoch });
        })();
  x.dispose();
  y.dispose();
  const testAccuracy = accuracy(predictBatched(model, test.codes, LATENT_DIM), test.labels);
  return { model, validationAccuracy: fit.bestScore ?? NaN, testAccuracy, curve };
}

async function finetuneStacked(
  arch: ClassifierArchitecture,
  buildEncoder: () => tf.LayersModel,
  encoderWeights: tf.Tensor[],
  labelled: Split,
  validation: Split,
  test: Split,
  epochs: number,
): Promise<TrainedHead> {
  const encoder = buildEncoder();
  encoder.setWeights(encoderWeights);
  const head = arch.build();
  const input = tf.input({ shape: [IMAGE_PIXELS] });
  const output = head.apply(encoder.apply(input)) as tf.SymbolicTensor;
  const stacked = tf.model({ inputs: input, outputs: output });
  const x = tf.tensor2d(labelled.images, [labelled.count, IMAGE_PIXELS]);
  const y = oneHot(labelled.labels);
  const curve: number[] = [];
  const fit = await trainFullBatch(stacked, x, y, {
    epochs,
    learningRate: LEARNING_RATE,
    onEpoch: () => {
      const acc = accuracy(predictBatched(stacked, validation.images, IMAGE_PIXELS), validation.labels);
      curve.push(acc);
      return acc;
    },
  });
  x.dispose();
  y.dispose();
  const testAccuracy = accuracy(predictBatched(stacked, test.images, IMAGE_PIXELS), test.labels);
  stacked.dispose();
  return { validationAccuracy: fit.bestScore ?? NaN, testAccuracy, curve };
}

export interface StudyInputs {
  data: Dataset;
  encoder: tf.LayersModel;
  /** the encoder's codes of data.train.images, [train.count, LATENT_DIM] */
  trainCodes: Float32Array;
  buildEncoder: () => tf.LayersModel;
  config: RunConfig;
  logger: Logger;
  rng: Rng;
}

export async function runClassifierStudy({ data, encoder, trainCodes, buildEncoder, config, logger, rng }: StudyInputs): Promise<StudyResult> {
  const { labelled: nLabelled, draws, frozenEpochs, finetuneEpochs, validationRows, unlabelled, neighbours } = config.study;
  const perClass = Math.max(1, Math.round(nLabelled / NUM_CLASSES));
  const validation = subset(data.validation, [...Array(Math.min(validationRows, data.validation.count)).keys()]);
  const encode = (images: Float32Array) => predictBatched(encoder, images, IMAGE_PIXELS);
  const val = { codes: encode(validation.images), labels: validation.labels };
  const test = { codes: encode(data.test.images), labels: data.test.labels };
  const drawRows = Array.from({ length: draws }, () => drawLabelled(data.train, perClass, rng));
  const curves: CurveRow[] = [];
  const codesOf = (rows: number[]) => {
    const out = new Float32Array(rows.length * LATENT_DIM);
    rows.forEach((row, i) => out.set(trainCodes.subarray(row * LATENT_DIM, (row + 1) * LATENT_DIM), i * LATENT_DIM));
    return out;
  };
  const labelsOf = (rows: number[]) => Uint8Array.from(rows, (r) => data.train.labels[r]);

  // (a) frozen latent codes, every architecture
  const archResults: StudyResult['metrics']['architectures'] = {};
  const bar = logger.bar('frozen-latent classifiers', ARCHITECTURES.length * draws);
  for (const arch of ARCHITECTURES) {
    const valRuns: number[] = [];
    const testRuns: number[] = [];
    for (let d = 0; d < draws; d++) {
      const rows = drawRows[d];
      const head = await trainOnCodes(arch, codesOf(rows), labelsOf(rows), val, test, frozenEpochs, rows.length);
      head.model.dispose();
      valRuns.push(head.validationAccuracy);
      testRuns.push(head.testAccuracy);
      head.curve.forEach((acc, epoch) => curves.push({ method: 'frozen', architecture: arch.id, draw: d, epoch: epoch + 1, validation_accuracy: round(acc) }));
      bar.tick(1, `${arch.id} draw ${d + 1}`);
    }
    archResults[arch.id] = { description: arch.description, validation: summarise(valRuns), test: summarise(testRuns) };
  }
  bar.stop();
  const chosen = ARCHITECTURES.reduce((best, arch) =>
    archResults[arch.id].validation.mean > archResults[best.id].validation.mean ? arch : best,
  );
  for (const arch of ARCHITECTURES) {
    const r = archResults[arch.id];
    logger.log(`   ${arch.id.padEnd(16)} validation ${r.validation.mean.toFixed(3)} ± ${r.validation.std.toFixed(3)}, test ${r.test.mean.toFixed(3)} ± ${r.test.std.toFixed(3)}`);
  }
  logger.log(`   chosen by validation accuracy: ${chosen.id}`);

  // (b) stacked on the encoder, trained end to end
  const encoderWeights = encoder.getWeights();
  const ftVal: number[] = [];
  const ftTest: number[] = [];
  const ftBar = logger.bar('stacked fine-tuning', draws);
  for (let d = 0; d < draws; d++) {
    const labelledSplit = subset(data.train, drawRows[d]);
    const r = await finetuneStacked(chosen, buildEncoder, encoderWeights, labelledSplit, validation, data.test, finetuneEpochs);
    ftVal.push(r.validationAccuracy);
    ftTest.push(r.testAccuracy);
    r.curve.forEach((acc, epoch) => curves.push({ method: 'finetuned', architecture: chosen.id, draw: d, epoch: epoch + 1, validation_accuracy: round(acc) }));
    ftBar.tick(1, `draw ${d + 1}: test ${r.testAccuracy.toFixed(3)}`);
  }
  ftBar.stop();

  // (c) semi-supervised: label spreading on a kNN graph of labelled + unlabelled training codes
  const ssl = await semiSupervised({ drawRows, trainCodes, data, val, test, chosen, unlabelled, neighbours, rng, logger, codesOf, labelsOf });

  const frozen = archResults[chosen.id];
  return {
    metrics: {
      labelled: perClass * NUM_CLASSES,
      draws,
      draw_method: `stratified: ${perClass} random training images of each digit per draw`,
      selected_architecture: chosen.id,
      architectures: archResults,
      frozen: { architecture: chosen.id, ...frozen.test, validation: frozen.validation },
      finetuned: { architecture: chosen.id, ...summarise(ftTest), validation: summarise(ftVal) },
      semisupervised: ssl,
      reference: { frozen: 0.745, finetuned: 0.607 },
    },
    curves,
  };
}

interface SslInputs {
  drawRows: number[][];
  trainCodes: Float32Array;
  data: Dataset;
  val: { codes: Float32Array; labels: Uint8Array };
  test: { codes: Float32Array; labels: Uint8Array };
  chosen: ClassifierArchitecture;
  unlabelled: number;
  neighbours: number;
  rng: Rng;
  logger: Logger;
  codesOf: (rows: number[]) => Float32Array;
  labelsOf: (rows: number[]) => Uint8Array;
}

/** Per-dimension standardisation fitted on the training codes: kNN distances should not favour wide dimensions. */
function standardiser(codes: Float32Array, dim: number): (x: Float32Array) => Float32Array {
  const rows = codes.length / dim;
  const mean = new Float64Array(dim);
  const sd = new Float64Array(dim);
  for (let i = 0; i < codes.length; i++) mean[i % dim] += codes[i] / rows;
  for (let i = 0; i < codes.length; i++) sd[i % dim] += (codes[i] - mean[i % dim]) ** 2 / rows;
  for (let j = 0; j < dim; j++) sd[j] = Math.sqrt(sd[j]) || 1;
  return (x) => x.map((v, i) => (v - mean[i % dim]) / sd[i % dim]);
}

async function semiSupervised(inputs: SslInputs): Promise<StudyResult['metrics']['semisupervised']> {
  const { drawRows, trainCodes, data, val, test, chosen, unlabelled, neighbours, rng, logger, codesOf } = inputs;
  const standardise = standardiser(trainCodes, LATENT_DIM);
  const candidates: Record<string, { val: number[]; test: number[] }> = {
    'spread+knn': { val: [], test: [] },
    [`spread+${chosen.id}`]: { val: [], test: [] },
  };
  const spreadAccuracy: number[] = [];
  const bar = logger.bar('semi-supervised', drawRows.length);
  for (const rows of drawRows) {
    const labelledSet = new Set(rows);
    const pool = rng.shuffle([...Array(data.train.count).keys()].filter((r) => !labelledSet.has(r))).slice(0, unlabelled);
    const graphRows = [...rows, ...pool];
    const codes = standardise(codesOf(graphRows));
    const seeds = Int8Array.from(graphRows, (r, i) => (i < rows.length ? data.train.labels[r] : -1));
    const graph = nearestNeighbours(codes, codes, LATENT_DIM, neighbours, true);
    const scores = spreadLabels(graph, seeds);
    const spread = new Uint8Array(graphRows.length);
    let correct = 0;
    for (let i = 0; i < graphRows.length; i++) {
      let best = 0;
      for (let c = 1; c < NUM_CLASSES; c++) if (scores[i * NUM_CLASSES + c] > scores[i * NUM_CLASSES + best]) best = c;
      spread[i] = best;
      if (i >= rows.length && best === data.train.labels[graphRows[i]]) correct++;
    }
    spreadAccuracy.push(correct / pool.length); // analysis only: how right the spread labels are

    // inductive kNN vote against the spread labels
    const knnAcc = (split: { codes: Float32Array; labels: Uint8Array }) => {
      const g = nearestNeighbours(standardise(split.codes), codes, LATENT_DIM, neighbours, false);
      const predicted = knnVote(g, spread);
      return predicted.reduce((n, p, i) => n + (p === split.labels[i] ? 1 : 0), 0) / predicted.length;
    };
    candidates['spread+knn'].val.push(knnAcc(val));
    candidates['spread+knn'].test.push(knnAcc(test));

    // the chosen architecture trained on the spread labels (raw codes, like the frozen classifiers)
    const head = await trainOnCodes(chosen, codesOf(graphRows), spread, val, test, 15, 512);
    head.model.dispose();
    candidates[`spread+${chosen.id}`].val.push(head.validationAccuracy);
    candidates[`spread+${chosen.id}`].test.push(head.testAccuracy);
    bar.tick(1, `spread labels ${(spreadAccuracy.at(-1)! * 100).toFixed(1)}% right`);
  }
  bar.stop();
  const summaries = Object.fromEntries(
    Object.entries(candidates).map(([id, c]) => [id, { validation: summarise(c.val), test: summarise(c.test) }]),
  );
  const method = Object.keys(summaries).reduce((a, b) => (summaries[b].validation.mean > summaries[a].validation.mean ? b : a));
  for (const [id, s] of Object.entries(summaries)) {
    logger.log(`   ${id.padEnd(24)} validation ${s.validation.mean.toFixed(3)}, test ${s.test.mean.toFixed(3)} ± ${s.test.std.toFixed(3)}`);
  }
  logger.log(`   semi-supervised method chosen by validation accuracy: ${method}`);
  return {
    method,
    unlabelled,
    neighbours,
    ...summaries[method].test,
    validation: summaries[method].validation,
    spread_label_accuracy: summarise(spreadAccuracy),
    candidates: summaries,
  };
}
