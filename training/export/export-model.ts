/**
 * One contract model from tfjs to staged ONNX files: convert (float32, and float16 for edge models),
 * run check-model, and prove float32 parity with tfjs in both ONNX runtimes.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { float16File, LATENT_DIM, NOISE_DIM, type ModelSpec } from '../../core/contract';
import type { ModelEntry } from '../../core/manifest';
import { checkModel, type CheckModelResult } from './check-model';
import { convertLayersModel, featureShape } from './convert';
import { sha256File } from './files';
import { IR_VERSION, OPSET, type WeightStorage } from './onnx-graph';
import { compareWithSession, parityCase, type NamedShape } from './parity';
import { createSession, RUNTIMES, type RuntimeName } from './runtimes';

/** float32 exports must reproduce tfjs to this max abs difference on every output value. */
export const FLOAT32_TOLERANCE = 1e-5;
export const PARITY_ROWS = 256;
export const PARITY_SEED = 20240917;

export interface StagedFile {
  entry: ModelEntry;
  bytes: Uint8Array;
  path: string;
  checkModel: CheckModelResult;
}

/** Manifest key of a model file: its file name without ".onnx" (decoder, decoder.f16, ...). */
export function manifestKey(file: string): string {
  return file.replace(/\.onnx$/, '');
}

export function specTensors(spec: ModelSpec): { inputs: NamedShape[]; outputs: string[] } {
  return { inputs: spec.inputs.map((t) => ({ name: t.name, featureShape: t.shape.slice(1) })), outputs: spec.outputs.map((t) => t.name) };
}

/** The tfjs model must have the contract's inputs and outputs, in order, with the same feature shapes. */
export function assertMatchesContract(model: tf.LayersModel, spec: ModelSpec): void {
  const check = (kind: string, actual: tf.SymbolicTensor[], expected: ModelSpec['inputs']) => {
    const got = actual.map((t) => `[${featureShape(t).join(', ')}]`).join(', ');
    const want = expected.map((t) => `[${t.shape.slice(1).join(', ')}]`).join(', ');
    if (got !== want) throw new Error(`tfjs model "${spec.id}" has ${kind} feature shapes ${got}; core/contract.ts expects ${want} (${expected.map((t) => t.name).join(', ')})`);
  };
  check('input', model.inputs, spec.inputs);
  check('output', model.outputs, spec.outputs);
}

export async function stageModelFile(
  model: tf.LayersModel,
  spec: ModelSpec,
  weights: WeightStorage,
  opts: { outDir: string; runId: string },
): Promise<StagedFile> {
  const file = weights === 'float32' ? spec.file : float16File(spec.file);
  const bytes = convertLayersModel(model, {
    inputNames: spec.inputs.map((t) => t.name),
    outputNames: spec.outputs.map((t) => t.name),
    weights,
    docString: spec.role,
    metadata: {
      model_id: spec.id,
      role: spec.role,
      run_id: opts.runId,
      latent_size: String(LATENT_DIM),
      noise_size: String(NOISE_DIM),
      weights,
      source: `tfjs-layers ${tf.version_layers}`,
    },
  });
  const path = join(opts.outDir, file);
  await writeFile(path, bytes);
  const tensorEntry = (t: { name: string; shape: number[] }) => ({ name: t.name, shape: t.shape, dtype: 'float32' as const });
  return {
    bytes,
    path,
    checkModel: await checkModel(path),
    entry: {
      file,
      role: spec.role,
      sha256: await sha256File(path),
      bytes: bytes.length,
      inputs: spec.inputs.map(tensorEntry),
      outputs: spec.outputs.map(tensorEntry),
      opset: OPSET,
      ir_version: IR_VERSION,
      weights,
    },
  };
}

/** Max abs diff tfjs vs the ONNX file in each runtime, over all outputs; throws above FLOAT32_TOLERANCE. */
export async function verifyFloat32Parity(model: tf.LayersModel, spec: ModelSpec, bytes: Uint8Array): Promise<Record<RuntimeName, number>> {
  const testCase = parityCase(model, specTensors(spec), PARITY_ROWS, PARITY_SEED);
  const result = {} as Record<RuntimeName, number>;
  for (const runtime of RUNTIMES) {
    const session = await createSession(runtime, bytes);
    try {
      const diffs = await compareWithSession(session, testCase);
      const worst = Math.max(...Object.values(diffs));
      if (!(worst <= FLOAT32_TOLERANCE)) {
        throw new Error(`${spec.file} disagrees with tfjs in ${runtime}: max abs diff ${worst} > ${FLOAT32_TOLERANCE} (${JSON.stringify(diffs)})`);
      }
      result[runtime] = worst;
    } finally {
      await session.release();
    }
  }
  return result;
}
