/**
 * The default model set embedded in the worker: the float16-weight variants of the MNIST `edge: true` models
 * and their manifest, all from models/ (wrangler bundles .onnx files through the Data rule in wrangler.jsonc).
 * It is the registry's fallback (edge/registry/): served with no registry state at all, and its sessions open
 * at start-up. Other versions and datasets come from R2. test/worker/bundle.test.ts checks these names against
 * core/contract.ts and the bytes against the manifest's sha256.
 */
import generator from '../models/generator.f16.onnx';
import decoder from '../models/decoder.f16.onnx';
import conditional from '../models/cgan-generator.f16.onnx';
import encoder from '../models/encoder.f16.onnx';
import classifier from '../models/classifier.f16.onnx';
import recognizer from '../models/recognizer.f16.onnx';
import manifest from '../models/manifest.json';
import type { EdgeModelId, ModelFile } from './inference/model-store';

const sha256Of = (id: string): string | undefined =>
  (manifest as { models?: Record<string, { sha256?: string }> }).models?.[`${id}.f16`]?.sha256;

const file = (id: EdgeModelId, bytes: ArrayBuffer): ModelFile => ({ file: `${id}.f16.onnx`, bytes, sha256: sha256Of(id) });

export const BUNDLED_MODELS: Record<EdgeModelId, ModelFile> = {
  generator: file('generator', generator),
  decoder: file('decoder', decoder),
  'cgan-generator': file('cgan-generator', conditional),
  encoder: file('encoder', encoder),
  classifier: file('classifier', classifier),
  recognizer: file('recognizer', recognizer),
};

/** models/manifest.json as bundled; validated against core/manifest.ts where it is served. */
export const BUNDLED_MANIFEST: unknown = manifest;
