/**
 * The worker's models in Node: the same float16-weight files edge/bundle.ts bundles (wrangler's Data rule
 * gives the worker their bytes; here they are read from models/), and onnxruntime-node sessions on those
 * files as the independent runtime the edge/inference tests compare onnxruntime-web against.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { EDGE_MODEL_IDS, type EdgeModelId, type ModelFile } from '../../edge/inference/model-store';

const MODELS = resolve(import.meta.dirname, '../../models');

/** A fresh copy of the bytes of models/<file>, as an ArrayBuffer of its own. */
export function modelBytes(file: string): ArrayBuffer {
  const bytes = readFileSync(resolve(MODELS, file));
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** The five edge models as edge/bundle.ts names them: `<id>.f16.onnx`. */
export function edgeModelFiles(): Record<EdgeModelId, ModelFile> {
  return Object.fromEntries(EDGE_MODEL_IDS.map((id) => [id, { file: `${id}.f16.onnx`, bytes: modelBytes(`${id}.f16.onnx`) }])) as Record<EdgeModelId, ModelFile>;
}

export type NodeSessions = Record<EdgeModelId, ortNode.InferenceSession>;

export async function nodeSessions(): Promise<NodeSessions> {
  const sessions = {} as NodeSessions;
  for (const id of EDGE_MODEL_IDS) sessions[id] = await ortNode.InferenceSession.create(new Uint8Array(modelBytes(`${id}.f16.onnx`)));
  return sessions;
}

/** One run through onnxruntime-node: float32 feeds [rows, width] by tensor name -> the named output. */
export async function runNode(
  session: ortNode.InferenceSession,
  feeds: Record<string, { data: Float32Array; width: number }>,
  output: string,
): Promise<Float32Array> {
  const tensors: Record<string, ortNode.Tensor> = {};
  for (const [name, { data, width }] of Object.entries(feeds)) tensors[name] = new ortNode.Tensor('float32', data, [data.length / width, width]);
  return (await session.run(tensors))[output].data as Float32Array;
}

/** Largest absolute difference; Infinity when the lengths differ or a value is NaN on one side only. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return Infinity;
    if (d > max) max = d;
  }
  return max;
}
