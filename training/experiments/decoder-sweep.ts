/**
 * Development experiment (issue 20): train or fine-tune one autoencoder variant on the MNIST training split
 * and score it the way the study scores the decoder's ceiling: FD of the reconstructions of the 5,000
 * validation images to the 10,000 test images in the SHIPPED evaluator's penultimate features
 * (models/tfjs/evaluator, never trained against), evaluator accuracy of those reconstructions, test MSE.
 * Prints one JSON line per variant; writes a grid of reconstructions with --grid.
 *
 *   nice -n 19 npx tsx training/experiments/decoder-sweep.ts --help
 */
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, NUM_CLASSES } from '../../core/contract';
import { gridPng } from '../../core/png';
import { selectBackend } from '../backend';
import { loadDataset } from '../data/mnist';
import { fitWithProgress, predictBatched } from '../fit';
import { frechetDistance, fitGaussian } from '../metrics/frechet';
import { loadModel } from '../model-io';
import { buildAutoencoder, buildDecoder, buildEncoder } from '../models/architectures';
import { seedStage } from '../seeding';
import { evaluatorOf, imageFeatures, scoreImages } from '../stages/evaluator';
import { learningRateAt, reconstructionError, setLearningRate } from '../stages/autoencoder';
import { cpuSeconds, trainAutoencoderVariant, type AutoencoderRecipe } from './autoencoder-variants';

const program = new Command()
  .option('--name <s>', 'variant name', 'variant')
  .option('--init <s>', '"fresh" or a directory holding encoder/ and decoder/ tfjs models to fine-tune', 'fresh')
  .option('--epochs <n>', 'epochs', Number, 0)
  .option('--lr <x>', 'Adam learning rate', Number, 1e-3)
  .option('--lr-end <x>', 'learning rate reached at the last epoch (linear), default = --lr', Number)
  .option('--batch <n>', 'batch size', Number, 256)
  .option('--latent <n>', 'code width', Number, 16)
  .option('--enc <list>', 'encoder hidden widths', '512,128')
  .option('--dec <list>', 'decoder hidden widths (latent side first)', '128,512')
  .option('--adversarial <x>', 'weight of the pixel discriminator term (0 = off)', Number, 0)
  .option('--disc <n>', 'pixel discriminator hidden width', Number, 256)
  .option('--keras', 'train with model.fit (as the pipeline does) instead of the minibatch loop; BCE only')
  .option('--freeze-encoder', 'train the decoder only')
  .option('--train-limit <n>', 'training rows', Number)
  .option('--sharpen <list>', 'output logit scales scored after training (1 = as trained)', '1')
  .option('--grid <file>', 'PNG grid: validation images row, (--grid-baseline row,) reconstructions row')
  .option('--grid-baseline <dir>', 'directory with encoder/ and decoder/ whose reconstructions the grid shows between the two')
  .option('--save <dir>', 'save encoder/ and decoder/ here');

/** The pipeline's way: compile + fit (here with the recipe's linear learning-rate decay set between epochs). */
async function fitKeras(encoder: tf.LayersModel, decoder: tf.LayersModel, images: Float32Array, recipe: AutoencoderRecipe): Promise<string[]> {
  const autoencoder = buildAutoencoder(encoder, decoder);
  const optimizer = tf.train.adam(recipe.learningRate);
  autoencoder.compile({ optimizer, loss: 'binaryCrossentropy' });
  const x = tf.tensor2d(images, [images.length / IMAGE_PIXELS, IMAGE_PIXELS]);
  const lines: string[] = [];
  let start = Date.now();
  let cpu = process.cpuUsage();
  await fitWithProgress(autoencoder, x, x, {
    epochs: recipe.epochs,
    batchSize: recipe.batchSize,
    onEpoch: (epoch, logs) => {
      lines.push(`epoch ${epoch + 1}: loss ${Number(logs.loss).toFixed(4)}, ${((Date.now() - start) / 1000).toFixed(1)} s (${cpuSeconds(cpu).toFixed(1)} s CPU)`);
      console.error(lines.at(-1));
      setLearningRate(optimizer, learningRateAt(recipe, epoch + 1));
      start = Date.now();
      cpu = process.cpuUsage();
    },
  });
  x.dispose();
  return lines;
}

async function main() {
  const o = program.parse().opts();
  await selectBackend('wasm');
  const data = await loadDataset({ limitTrain: o.trainLimit });
  const evaluator = evaluatorOf(await loadModel('models/tfjs/evaluator'), {} as never);
  const testGaussian = fitGaussian(imageFeatures(evaluator, data.test.images), evaluator.featureDim);
  const widths = (s: string) => s.split(',').filter(Boolean).map(Number);
  seedStage(1, 'autoencoder');
  const encoder = o.init === 'fresh' ? buildEncoder(widths(o.enc), o.latent) : await loadModel(`${o.init}/encoder`);
  const decoder = o.init === 'fresh' ? buildDecoder([...widths(o.dec)].reverse(), o.latent) : await loadModel(`${o.init}/decoder`);
  const recipe: AutoencoderRecipe = {
    epochs: o.epochs,
    batchSize: o.batch,
    learningRate: o.lr,
    finalLearningRate: o.lrEnd ?? o.lr,
    adversarialWeight: o.adversarial,
    discriminatorHidden: o.disc,
    trainEncoder: !o.freezeEncoder,
  };
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  const log = o.keras
    ? await fitKeras(encoder, decoder, data.train.images, recipe)
    : await trainAutoencoderVariant(encoder, decoder, data.train.images, recipe, (line) => console.error(`${o.name} ${line}`));
  const wall = (Date.now() - t0) / 1000;
  const cpu = (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6;
  const autoencoder = buildAutoencoder(encoder, decoder);
  const heldOut = data.validation.images;
  const recon = predictBatched(autoencoder, heldOut, IMAGE_PIXELS);
  const testRecon = predictBatched(autoencoder, data.test.images, IMAGE_PIXELS);
  for (const k of widths(o.sharpen)) {
    const sharpen = (p: Float32Array) => (k === 1 ? p : p.map((v) => 1 / (1 + Math.exp(-k * Math.log(Math.max(v, 1e-7) / Math.max(1 - v, 1e-7))))));
    const r = sharpen(recon);
    const scores = scoreImages(evaluator, r);
    let hits = 0;
    const perDigit = new Array(NUM_CLASSES).fill(0);
    const counts = new Array(NUM_CLASSES).fill(0);
    data.validation.labels.forEach((d, i) => {
      counts[d]++;
      if (scores.predicted[i] === d) (hits++, perDigit[d]++);
    });
    const fd = frechetDistance(fitGaussian(imageFeatures(evaluator, r), evaluator.featureDim), testGaussian);
    const test = reconstructionError(data.test.images, sharpen(testRecon));
    // share of mid-grey pixels (0.2..0.8): real digits have few, blurred reconstructions many
    const grey = (p: Float32Array) => p.reduce((n, v) => n + (v > 0.2 && v < 0.8 ? 1 : 0), 0) / p.length;
    console.log(
      JSON.stringify({
        name: o.name,
        sharpen: k,
        fd: +fd.toFixed(3),
        accuracy: +(hits / heldOut.length * IMAGE_PIXELS).toFixed(4),
        weakest: Math.min(...perDigit.map((h, d) => h / counts[d])).toFixed(3),
        test_mse: +test.mse.toFixed(6),
        test_bce: +test.bce.toFixed(5),
        grey: +grey(r).toFixed(4),
        grey_real: +grey(heldOut).toFixed(4),
        epochs: o.epochs,
        wall_s: +wall.toFixed(1),
        s_per_epoch: o.epochs ? +(wall / o.epochs).toFixed(1) : 0,
        cpu_share: +(cpu / Math.max(wall, 1e-9)).toFixed(2),
        log,
      }),
    );
    if (o.grid && k === widths(o.sharpen)[0]) {
      const columns = 16;
      const first = heldOut.subarray(0, columns * IMAGE_PIXELS);
      const baseline = o.gridBaseline
        ? [predictBatched(buildAutoencoder(await loadModel(`${o.gridBaseline}/encoder`), await loadModel(`${o.gridBaseline}/decoder`)), first, IMAGE_PIXELS)]
        : [];
      const parts = [first, ...baseline, r.subarray(0, columns * IMAGE_PIXELS)];
      const rows = new Float32Array(parts.length * columns * IMAGE_PIXELS);
      parts.forEach((part, i) => rows.set(part, i * columns * IMAGE_PIXELS));
      await writeFile(o.grid, await gridPng(rows, parts.length * columns, { columns, scale: 2, gap: 2 }));
    }
  }
  if (o.save) {
    const { saveModel } = await import('../model-io');
    await saveModel(encoder, `${o.save}/encoder`);
    await saveModel(decoder, `${o.save}/decoder`);
  }
  tf.disposeVariables();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
