/**
 * What the worker ships: the float16-weight variants of the `edge: true` models and the manifest, all
 * from models/ (wrangler bundles .onnx files through the Data rule in wrangler.jsonc). Redeploying after
 * a new export picks up whatever models/ holds; test/worker/bundle.test.ts checks these names against
 * core/contract.ts and the bytes against the manifest's sha256.
 */
import generator from '../models/generator.f16.onnx';
import decoder from '../models/decoder.f16.onnx';
import conditional from '../models/cgan-generator.f16.onnx';
import encoder from '../models/encoder.f16.onnx';
import classifier from '../models/classifier.f16.onnx';
import recognizer from '../models/recognizer.f16.onnx';
import manifest from '../models/manifest.json';
import type { ModelFiles } from './inference/model-store';

export const BUNDLED_MODELS: ModelFiles = {
  generator: { file: 'generator.f16.onnx', bytes: generator },
  decoder: { file: 'decoder.f16.onnx', bytes: decoder },
  'cgan-generator': { file: 'cgan-generator.f16.onnx', bytes: conditional },
  encoder: { file: 'encoder.f16.onnx', bytes: encoder },
  classifier: { file: 'classifier.f16.onnx', bytes: classifier },
  recognizer: { file: 'recognizer.f16.onnx', bytes: recognizer },
};

/** models/manifest.json as bundled; validated against core/manifest.ts where it is served. */
export const BUNDLED_MANIFEST: unknown = manifest;
