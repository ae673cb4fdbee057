/**
 * Stage: the recognizer, the pixel classifier the worker serves for people's digits (POST /v1/classify by
 * default). Trained on all labelled MNIST training images plus digits rendered from the training fonts
 * (training/data/fonts.ts), every epoch freshly distorted (training/data/augment.ts), so that printed and
 * hand-drawn digits, which normalisation leaves thicker, thinner, tilted or slanted next to MNIST's, are
 * inside what it has seen. The epoch kept is the one with the best mean of MNIST validation accuracy and
 * validation-font accuracy (fonts held out of fitting); the test set and the font test set choose nothing.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS } from '../../core/contract';
import type { Rng } from '../../core/rng';
import type { RecognizerConfig } from '../config';
import { augmentRows } from '../data/augment';
import type { GlyphSplits } from '../data/font-glyphs';
import type { Dataset, Split } from '../data/mnist';
import { accuracy, BestEpoch, oneHot, predictBatched } from '../fit';
import { buildRecognizer } from '../models/architectures';
import { round, type Logger } from '../progress';

export interface RecognizerMetrics {
  architecture: string;
  training: string;
  epochs: number;
  best_epoch: number;
  /** per epoch: MNIST validation accuracy, validation-font accuracy */
  validation_accuracy_by_epoch: number[];
  validation_font_accuracy_by_epoch: number[];
  validation_accuracy: number;
  validation_font_accuracy: number;
  training_seconds: number;
}

export interface Recognizer {
  model: tf.LayersModel;
  metrics: RecognizerMetrics;
}

/** One epoch's rows: every MNIST training image and `fontRows` draws of the fitting glyphs, distorted, shuffled. */
export function epochRows(train: Split, glyphs: Split, fontRows: number, config: RecognizerConfig, rng: Rng): Split {
  const mnist = augmentRows(train.images, Array.from({ length: train.count }, (_, i) => i), rng, config.augment);
  const drawn = Array.from({ length: fontRows }, () => rng.int(glyphs.count));
  const fonts = augmentRows(glyphs.images, drawn, rng, config.augment);
  const count = train.count + fontRows;
  const order = rng.shuffle([...Array(count).keys()]);
  const images = new Float32Array(count * IMAGE_PIXELS);
  const labels = new Uint8Array(count);
  order.forEach((from, to) => {
    const src = from < train.count ? mnist.subarray(from * IMAGE_PIXELS, (from + 1) * IMAGE_PIXELS) : fonts.subarray((from - train.count) * IMAGE_PIXELS, (from - train.count + 1) * IMAGE_PIXELS);
    images.set(src, to * IMAGE_PIXELS);
    labels[to] = from < train.count ? train.labels[from] : glyphs.labels[drawn[from - train.count]];
  });
  return { images, labels, count };
}

export async function trainRecognizer(data: Dataset, glyphs: GlyphSplits, config: RecognizerConfig, logger: Logger, rng: Rng): Promise<Recognizer> {
  const started = performance.now();
  const model = buildRecognizer(config.hidden, config.dropout);
  model.compile({ optimizer: tf.train.adam(config.learningRate), loss: 'categoricalCrossentropy' });
  const fontRows = Math.round(data.train.count * config.fontShare);
  const rowsPerEpoch = data.train.count + fontRows;
  const bar = logger.bar('recognizer', config.epochs * Math.ceil(rowsPerEpoch / config.batchSize));
  const best = new BestEpoch(model, config.epochs - 1);
  const mnistByEpoch: number[] = [];
  const fontsByEpoch: number[] = [];
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    const rows = epochRows(data.train, glyphs.fit, fontRows, config, rng);
    const x = tf.tensor2d(rows.images, [rows.count, IMAGE_PIXELS]);
    const y = oneHot(rows.labels);
    await model.fit(x, y, {
      epochs: 1,
      batchSize: config.batchSize,
      shuffle: false, // epochRows shuffled them
      verbose: 0,
      callbacks: { onBatchEnd: async (_b, logs) => bar.tick(1, `epoch ${epoch + 1}/${config.epochs} loss ${(logs?.loss ?? NaN).toFixed(4)}`) },
    });
    x.dispose();
    y.dispose();
    const mnist = accuracy(predictBatched(model, data.validation.images, IMAGE_PIXELS), data.validation.labels);
    const fonts = accuracy(predictBatched(model, glyphs.validation.images, IMAGE_PIXELS), glyphs.validation.labels);
    mnistByEpoch.push(round(mnist));
    fontsByEpoch.push(round(fonts));
    best.offer(epoch, (mnist + fonts) / 2);
    logger.log(`   recognizer epoch ${epoch + 1}/${config.epochs}: validation accuracy MNIST ${mnist.toFixed(4)}, validation fonts ${fonts.toFixed(4)}`);
  }
  bar.stop();
  best.restore();
  const a = config.augment;
  return {
    model,
    metrics: {
      architecture: `dense 784-${config.hidden.join('-')}-10, relu, dropout ${config.dropout}, softmax`,
      training:
        `Adam (learning rate ${config.learningRate}, batch ${config.batchSize}), ${config.epochs} epochs; each epoch all ${data.train.count} labelled MNIST training images ` +
        `and ${fontRows} draws of ${glyphs.fit.count} glyphs of ${glyphs.fonts.fit} training fonts, each freshly distorted: rotation up to ${a.rotationDegrees} deg, ` +
        `scale ${a.scale[0]}..${a.scale[1]}, aspect up to ${a.aspect}, shear up to ${a.shear}, shift up to ${a.translate} px, strokes thickened or thinned with probability ` +
        `${a.strokeChange} each; the epoch kept has the best mean of MNIST validation accuracy (${data.validation.count} images) and accuracy on ` +
        `${glyphs.validation.count} glyphs of ${glyphs.fonts.validation} validation fonts held out of fitting`,
      epochs: config.epochs,
      best_epoch: best.epoch + 1,
      validation_accuracy_by_epoch: mnistByEpoch,
      validation_font_accuracy_by_epoch: fontsByEpoch,
      validation_accuracy: mnistByEpoch[best.epoch],
      validation_font_accuracy: fontsByEpoch[best.epoch],
      training_seconds: Math.round((performance.now() - started) / 1000),
    },
  };
}
