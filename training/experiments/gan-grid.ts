/**
 * A look at a conditional generator saved by gan-sweep.ts --save: 10 rows (digits 0-9) of 12 samples at
 * temperature T (the noise's scale, as the generation study applies it), through a saved autoencoder's
 * decoder, as one PNG. Fixed seeds, so two generators are compared on the same noise.
 *
 *   npx tsx training/experiments/gan-grid.ts <generator dir> <decoder dir> <out.png> [T = 1]
 */
import * as tf from '@tensorflow/tfjs';
import { writeFileSync } from 'node:fs';
import { NOISE_DIM, NUM_CLASSES } from '../../core/contract';
import { gridPng } from '../../core/png';
import { selectBackend } from '../backend';
import { loadModel } from '../model-io';

const PER_DIGIT = 12;
const [generatorDir, decoderDir, out, t = '1'] = process.argv.slice(2);
const temperature = Number(t);
if (!generatorDir || !decoderDir || !out || !(temperature > 0)) {
  console.error('usage: gan-grid.ts <generator dir> <decoder dir> <out.png> [T > 0, default 1]');
  process.exit(2);
}
await selectBackend('wasm');
const generator = await loadModel(generatorDir);
const decoder = await loadModel(decoderDir);
const rows = NUM_CLASSES * PER_DIGIT;
const images = tf.tidy(() => {
  const noise = tf.randomNormal([rows, NOISE_DIM], 0, temperature, 'float32', 42);
  const onehot = tf.oneHot(tf.tensor1d(Array.from({ length: rows }, (_, i) => Math.floor(i / PER_DIGIT)), 'int32'), NUM_CLASSES).toFloat();
  return decoder.predict(generator.predict([noise, onehot]) as tf.Tensor) as tf.Tensor;
});
writeFileSync(out, await gridPng(images.dataSync() as Float32Array, rows, { columns: PER_DIGIT, scale: 2 }));
console.log(`wrote ${out}: ${NUM_CLASSES} digits x ${PER_DIGIT} samples at T = ${temperature}`);
