/**
 * core/contract.ts against the committed artifacts: every model's ONNX graph in models/ has exactly the
 * tensor names and shapes the contract states (read from the protobuf, not through our exporter), the
 * edge models are the ones shipped with a float16 variant, and float16File's naming rule.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { float16File, IMAGE_PIXELS, IMAGE_SIDE, LATENT_DIM, MODEL_IDS, MODEL_SPECS, NOISE_DIM, NUM_CLASSES, TENSOR } from '../../core/contract';

const MODELS = join(process.cwd(), 'models');

/** name and shape (-1 for a named, dynamic dimension) of each graph input or output */
function graphTensors(values: onnxProto.onnx.IValueInfoProto[]): { name: string; shape: number[] }[] {
  return values.map((v) => ({
    name: v.name ?? '',
    shape: (v.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? -1 : Number(d.dimValue))),
  }));
}

describe('float16File', () => {
  it('inserts .f16 before a final .onnx and leaves other names alone', () => {
    expect(float16File('decoder.onnx')).toBe('decoder.f16.onnx');
    expect(float16File('models/cgan-generator.onnx')).toBe('models/cgan-generator.f16.onnx');
    expect(float16File('a.onnx.onnx')).toBe('a.onnx.f16.onnx');
    expect(float16File('a.onnx.bak')).toBe('a.onnx.bak');
    expect(float16File('aonnx')).toBe('aonnx');
    expect(float16File('a.ONNX')).toBe('a.ONNX');
  });
});

describe('the contract matches the committed models', () => {
  it('sizes: 28x28 images of 784 pixels, 10 classes, a 16-wide latent code, 32-wide noise', () => {
    expect([IMAGE_SIDE, IMAGE_PIXELS, NUM_CLASSES, LATENT_DIM, NOISE_DIM]).toEqual([28, 784, 10, 16, 32]);
  });

  it('lists the seven shipped models, each spec under its own id', () => {
    expect([...MODEL_IDS]).toEqual(['decoder', 'encoder', 'generator', 'cgan-generator', 'classifier', 'evaluator', 'recognizer']);
    expect(Object.keys(MODEL_SPECS).sort()).toEqual([...MODEL_IDS].sort());
    for (const id of MODEL_IDS) {
      expect(MODEL_SPECS[id].id).toBe(id);
      expect(MODEL_SPECS[id].file).toBe(`${id}.onnx`);
    }
    expect(TENSOR).toEqual({ image: 'image', latent: 'latent', noise: 'noise', digit: 'digit_onehot', probabilities: 'probabilities' });
  });

  it.each([...MODEL_IDS])('%s: the ONNX graph\'s inputs and outputs are the spec\'s names and shapes; a float16 variant exactly when edge', (id) => {
    const spec = MODEL_SPECS[id];
    const model = onnxProto.onnx.ModelProto.decode(readFileSync(join(MODELS, spec.file)));
    const initialisers = new Set((model.graph?.initializer ?? []).map((t) => t.name));
    expect(graphTensors((model.graph?.input ?? []).filter((v) => !initialisers.has(v.name)))).toEqual(spec.inputs);
    expect(graphTensors(model.graph?.output ?? [])).toEqual(spec.outputs);
    expect(existsSync(join(MODELS, float16File(spec.file)))).toBe(spec.edge);
  });

  it('each spec\'s role is the one the committed manifest publishes', () => {
    const manifest = JSON.parse(readFileSync(join(MODELS, 'manifest.json'), 'utf8'));
    for (const id of MODEL_IDS) expect(manifest.models[id].role, id).toBe(MODEL_SPECS[id].role);
  });
});
