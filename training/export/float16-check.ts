/**
 * What float16 weight storage costs: the float16 files against tfjs over many random inputs, measured in
 * what a user sees. Models whose output is a latent code (generators, the encoder) are measured in pixels
 * through the float16 decoder, as the worker runs them; the decoder in pixels directly; models whose output
 * is class probabilities (the classifier) in probability, plus how often the predicted class changes.
 */
import * as tf from '@tensorflow/tfjs';
import { IMAGE_PIXELS, MODEL_SPECS, NUM_CLASSES, TENSOR, type ModelId } from '../../core/contract';
import { Rng } from '../../core/rng';
import { argmax } from '../fit';
import { maxAbsDiff, predictTfjs, randomBatch } from './parity';
import { specTensors } from './export-model';
import { createSession } from './runtimes';

/** Largest pixel change float16 storage may cause: 2 of 255 gray levels, not visible in an 8-bit PNG. */
export const FLOAT16_MAX_PIXEL_DIFF = 2 / 255;
/**
 * Largest class-probability change float16 storage may cause. Weights rounded to float16 move by at most
 * 2^-11 relative; through a small MLP that shifts logits by ~1e-3 and probabilities by less (|dp| <= |dlogit|/2).
 * 0.005 can flip a prediction only when the two top classes are within 0.01 of each other.
 */
export const FLOAT16_MAX_PROBABILITY_DIFF = 0.005;
export const FLOAT16_ROWS = 2048;
const FLOAT16_SEED = 1616;

export interface Float16Report {
  rows: number;
  /** max |f16 ONNX - tfjs| of the model's own output (latent codes for generators) */
  output_max_abs_diff: number;
  /** max |f16 ONNX - tfjs| in pixels, latent outputs decoded by the f16 decoder vs the tfjs decoder (null for probability outputs) */
  pixel_max_abs_diff: number | null;
  /** for probability outputs: max |f16 - tfjs| per class probability, and the share of rows whose argmax differs */
  probability_max_abs_diff?: number;
  argmax_changed?: number;
}

/**
 * `float16Files` maps edge model ids to their float16 ONNX bytes; it must include the decoder.
 * Throws when any pixel difference exceeds FLOAT16_MAX_PIXEL_DIFF.
 */
export async function measureFloat16(
  tfjsModels: Partial<Record<ModelId, tf.LayersModel>>,
  float16Files: Partial<Record<ModelId, Uint8Array>>,
  rows = FLOAT16_ROWS,
): Promise<Record<string, Float16Report>> {
  const decoderBytes = float16Files.decoder;
  const decoderModel = tfjsModels.decoder;
  if (!decoderBytes || !decoderModel) throw new Error('float16 check needs the decoder (its pixels are what is measured)');
  const decoder = await createSession('onnxruntime-node', decoderBytes);
  const reports: Record<string, Float16Report> = {};
  try {
    for (const [id, bytes] of Object.entries(float16Files) as [ModelId, Uint8Array][]) {
      const model = tfjsModels[id];
      if (!model) throw new Error(`no tfjs model for ${id}`);
      const spec = MODEL_SPECS[id];
      const io = specTensors(spec);
      if (io.outputs.length !== 1) throw new Error(`float16 check expects one output per model, ${id} has ${io.outputs.length}`);
      const rng = new Rng(FLOAT16_SEED);
      const batches = io.inputs.map((t) => randomBatch(t, rows, rng));
      const session = id === 'decoder' ? decoder : await createSession('onnxruntime-node', bytes);
      try {
        const expected = predictTfjs(model, batches)[0];
        const actual = (await session.run(Object.fromEntries(io.inputs.map((t, i) => [t.name, batches[i]]))))[io.outputs[0]];
        const outputDiff = maxAbsDiff(expected, actual);
        if (io.outputs[0] === TENSOR.probabilities) {
          if (!(outputDiff <= FLOAT16_MAX_PROBABILITY_DIFF)) {
            throw new Error(`float16 ${spec.file} changes class probabilities by up to ${outputDiff.toFixed(5)} > ${FLOAT16_MAX_PROBABILITY_DIFF}; ship float32 or investigate`);
          }
          reports[id] = { rows, output_max_abs_diff: outputDiff, pixel_max_abs_diff: null, probability_max_abs_diff: outputDiff, argmax_changed: argmaxChanged(expected, actual, NUM_CLASSES) };
          continue;
        }
        let pixelDiff = outputDiff;
        if (io.outputs[0] === TENSOR.latent) {
          const dims = [rows, expected.length / rows];
          const expectedPixels = predictTfjs(decoderModel, [{ data: expected, dims }])[0];
          const actualPixels = (await decoder.run({ [TENSOR.latent]: { data: actual, dims } }))[TENSOR.image];
          pixelDiff = maxAbsDiff(expectedPixels, actualPixels);
        } else if (io.outputs[0] !== TENSOR.image || expected.length !== rows * IMAGE_PIXELS) {
          throw new Error(`float16 check does not know how to turn ${id}'s output "${io.outputs[0]}" into pixels or probabilities`);
        }
        if (!(pixelDiff <= FLOAT16_MAX_PIXEL_DIFF)) {
          throw new Error(`float16 ${spec.file} changes pixels by up to ${pixelDiff.toFixed(5)} > ${FLOAT16_MAX_PIXEL_DIFF.toFixed(5)} (2/255); ship float32 or investigate`);
        }
        reports[id] = { rows, output_max_abs_diff: outputDiff, pixel_max_abs_diff: pixelDiff };
      } finally {
        if (session !== decoder) await session.release();
      }
    }
  } finally {
    await decoder.release();
  }
  return reports;
}


/** Share of rows [rows, classes] whose most probable class differs between a and b. */
function argmaxChanged(a: Float32Array, b: Float32Array, classes: number): number {
  const rows = a.length / classes;
  let changed = 0;
  for (let r = 0; r < rows; r++) if (argmax(a, r * classes, classes) !== argmax(b, r * classes, classes)) changed++;
  return changed / rows;
}
