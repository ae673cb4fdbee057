/**
 * Round trip of the converter on small synthetic tfjs models: together they use every supported layer
 * class and activation (checked below), and each export must pass check-model and reproduce tfjs in
 * onnxruntime-node and onnxruntime-web.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng';
import { convertLayersModel, featureShape } from '../../training/export/convert';
import { SUPPORTED_ACTIVATIONS, SUPPORTED_LAYERS } from '../../training/export/layers';
import { decodeModel } from '../../training/export/onnx-graph';
import { compareWithSession, parityCase } from '../../training/export/parity';
import { createSession, RUNTIMES } from '../../training/export/runtimes';
import { expectCheckModelPasses, useTestBackend } from './helpers';

const randomBias = { biasInitializer: 'randomNormal' as const };

function chain(name: string, inputShape: number[], layers: tf.layers.Layer[]): tf.LayersModel {
  const input = tf.input({ shape: inputShape, name: 'x' });
  let x: tf.SymbolicTensor = input;
  for (const layer of layers) x = layer.apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name });
}

/** BatchNormalization with non-trivial moving statistics (fresh ones are mean 0, variance 1). */
function batchNorm(units: number, config: NonNullable<Parameters<typeof tf.layers.batchNormalization>[0]>, rng: Rng): tf.layers.Layer {
  const layer = tf.layers.batchNormalization(config);
  layer.build([null, units]);
  const vec = (f: () => number) => tf.tensor1d(Array.from({ length: units }, f));
  const weights = [
    ...(config.scale === false ? [] : [vec(() => 0.5 + rng.uniform())]),
    ...(config.center === false ? [] : [vec(() => rng.normal())]),
    vec(() => rng.normal()), // moving mean
    vec(() => 0.1 + 2 * rng.uniform()), // moving variance
  ];
  layer.setWeights(weights);
  return layer;
}

function buildCases(): Record<string, tf.LayersModel> {
  const rng = new Rng(3);
  const cases: Record<string, tf.LayersModel> = {};
  for (const activation of SUPPORTED_ACTIVATIONS) {
    cases[`dense ${activation}`] = chain(`dense_${activation}`, [12], [
      tf.layers.dense({ units: 7, activation: activation as Parameters<typeof tf.layers.dense>[0]['activation'], ...randomBias }),
    ]);
  }
  cases['dense without bias'] = chain('nobias', [12], [tf.layers.dense({ units: 5, useBias: false })]);
  cases['activation layers'] = chain('acts', [9], [
    tf.layers.dense({ units: 8, ...randomBias }),
    tf.layers.leakyReLU({ alpha: 0.2 }),
    tf.layers.dense({ units: 8, ...randomBias }),
    tf.layers.reLU(),
    tf.layers.dense({ units: 8, ...randomBias }),
    tf.layers.elu(), // tfjs supports only alpha 1
    tf.layers.activation({ activation: 'tanh' }),
    tf.layers.activation({ activation: 'linear' }),
    tf.layers.softmax(),
  ]);
  cases['batch normalization'] = chain('bn', [6], [
    tf.layers.dense({ units: 10, ...randomBias }),
    batchNorm(10, { epsilon: 1e-3 }, rng),
    batchNorm(10, { center: false, scale: false, epsilon: 0.01 }, rng),
  ]);
  cases['inference-time identities'] = chain('noise', [5], [
    tf.layers.dropout({ rate: 0.5 }),
    tf.layers.dense({ units: 4, ...randomBias }),
    tf.layers.gaussianNoise({ stddev: 1 }),
    tf.layers.gaussianDropout({ rate: 0.3 }),
    tf.layers.dropout({ rate: 0.2 }), // as the output layer: still an output tensor of its own
  ]);
  cases['reshape and flatten'] = chain('shapes', [6], [
    tf.layers.reshape({ targetShape: [2, 3] }),
    tf.layers.dense({ units: 4, ...randomBias }), // applies to the last axis of [N, 2, 4]
    tf.layers.flatten(),
    tf.layers.reshape({ targetShape: [4, 2] }), // rank-3 output [N, 4, 2]
  ]);
  {
    const a = tf.input({ shape: [3], name: 'a' });
    const b = tf.input({ shape: [4], name: 'b' });
    const joined = tf.layers.concatenate().apply([a, b]) as tf.SymbolicTensor;
    const branch = tf.layers.dense({ units: 3, ...randomBias }).apply(joined) as tf.SymbolicTensor;
    const out = tf.layers.concatenate({ axis: 1 }).apply([branch, a]) as tf.SymbolicTensor;
    cases['two inputs, concatenate'] = tf.model({ inputs: [a, b], outputs: out, name: 'concat' });
  }
  {
    // n-ary merges of three same-shape branches: y = (d1 + d2 + x) and (d1 * d2 * x)
    const x = tf.input({ shape: [4], name: 'x' });
    const d1 = tf.layers.dense({ units: 4, ...randomBias }).apply(x) as tf.SymbolicTensor;
    const d2 = tf.layers.dense({ units: 4, ...randomBias }).apply(x) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([d1, d2, x]) as tf.SymbolicTensor;
    const product = tf.layers.multiply().apply([d1, d2, x]) as tf.SymbolicTensor;
    cases['add and multiply'] = tf.model({ inputs: x, outputs: tf.layers.concatenate().apply([sum, product]) as tf.SymbolicTensor, name: 'merges' });
  }
  cases['sequential'] = tf.sequential({
    layers: [tf.layers.dense({ inputShape: [5], units: 6, activation: 'relu', ...randomBias }), tf.layers.dense({ units: 2 })],
  });
  return cases;
}

const tmp = { dir: '' };
let cases: Record<string, tf.LayersModel>;

beforeAll(async () => {
  await useTestBackend();
  tmp.dir = await mkdtemp(join(tmpdir(), 'export-layers-'));
  cases = buildCases();
});
afterAll(async () => {
  await rm(tmp.dir, { recursive: true, force: true });
});

describe('converter round trip on synthetic models', () => {
  it('the cases use every supported layer class and activation', () => {
    const classes = new Set<string>();
    const activations = new Set<string>();
    for (const model of Object.values(cases)) {
      for (const layer of model.layers) {
        classes.add(layer.getClassName());
        const act = (layer.getConfig() as { activation?: string }).activation;
        if (act) activations.add(act);
      }
    }
    expect([...classes].sort()).toEqual(expect.arrayContaining(SUPPORTED_LAYERS));
    expect([...activations]).toEqual(expect.arrayContaining(SUPPORTED_ACTIVATIONS));
  });

  for (const weights of ['float32', 'float16'] as const) {
    it(`${weights}: every case passes check-model and matches tfjs in both runtimes`, async () => {
      const files: string[] = [];
      for (const [name, model] of Object.entries(cases)) {
        const bytes = convertLayersModel(model, { weights, metadata: { case: name } });
        const file = join(tmp.dir, `${model.name}.${weights}.onnx`);
        await writeFile(file, bytes);
        files.push(file);

        const io = {
          inputs: model.inputs.map((t) => ({ name: t.sourceLayer.name, featureShape: featureShape(t) })),
          outputs: model.outputs.map((t) => t.sourceLayer.name),
        };
        // float16 weights are off by up to 2^-11 relative; outputs here are O(1)-O(10)
        const tolerance = weights === 'float32' ? 1e-5 : 2e-2;
        const testCase = parityCase(model, io, 64, 11);
        for (const runtime of RUNTIMES) {
          const session = await createSession(runtime, bytes);
          const diffs = await compareWithSession(session, testCase);
          await session.release();
          for (const [output, diff] of Object.entries(diffs)) {
            expect(diff, `${name} ${output} in ${runtime}`).toBeLessThanOrEqual(tolerance);
          }
        }
      }
      // one python process per file; run them side by side
      await Promise.all(files.map(expectCheckModelPasses));
    });
  }

  it('writes a dynamic batch dimension, opset 17, IR 8, metadata, and float16 initializers for float16', () => {
    // a 64 -> 32 dense layer: its kernel (2048 values) is stored as float16, its bias (32) stays float32
    const model = chain('wide', [64], [tf.layers.dense({ units: 32, name: 'wide_dense' })]);
    const f32 = decodeModel(convertLayersModel(model, { weights: 'float32', metadata: { role: 'test' } }));
    const f16Bytes = convertLayersModel(model, { weights: 'float16', metadata: { role: 'test' } });
    const f16 = decodeModel(f16Bytes);
    expect(Number(f32.irVersion)).toBe(8);
    expect(Number(f32.opsetImport[0].version)).toBe(17);
    expect(f32.metadataProps.map((p) => [p.key, p.value])).toEqual([['role', 'test']]);
    const dims = f32.graph!.input![0].type!.tensorType!.shape!.dim!;
    expect(dims[0].dimParam).toBe('N');
    expect(Number(dims[1].dimValue)).toBe(64);
    expect(f32.graph!.initializer!.every((t) => t.dataType === 1)).toBe(true);
    const storage = (t: { dims?: unknown[] | null; dataType?: number | null }) => [(t.dims ?? []).map(Number).reduce((a, b) => a * b, 1), t.dataType];
    expect(f16.graph!.initializer!.map(storage).sort()).toEqual([[2048, 10], [32, 1]]); // FLOAT16 kernel, FLOAT bias
    expect(f16.graph!.node!.filter((n) => n.opType === 'Cast')).toHaveLength(1); // the kernel only
  });
});

describe('unsupported layers fail the export with the layer name and class', () => {
  it('an unknown layer class', () => {
    const model = chain('with_prelu', [4], [tf.layers.dense({ units: 4 }), tf.layers.prelu({ name: 'odd_prelu' })]);
    expect(() => convertLayersModel(model, { weights: 'float32', metadata: {} })).toThrow(/layer "odd_prelu" \(class PReLU\).*no ONNX mapping/);
  });

  it('an unknown activation', () => {
    const model = chain('hard', [4], [tf.layers.dense({ units: 3, activation: 'hardSigmoid', name: 'hard_dense' })]);
    expect(() => convertLayersModel(model, { weights: 'float32', metadata: {} })).toThrow(/layer "hard_dense" \(class Dense\).*activation "hardSigmoid"/);
  });

  it('a nested model used as a layer', () => {
    const inner = chain('inner', [4], [tf.layers.dense({ units: 2 })]);
    const input = tf.input({ shape: [4] });
    const outer = tf.model({ inputs: input, outputs: inner.apply(input) as tf.SymbolicTensor, name: 'outer' });
    expect(() => convertLayersModel(outer, { weights: 'float32', metadata: {} })).toThrow(/layer "inner" \(class \w+\)/);
  });

  it('ReLU with a max value (no silent clipping change)', () => {
    const model = chain('relu6', [4], [tf.layers.reLU({ maxValue: 6, name: 'capped' })]);
    expect(() => convertLayersModel(model, { weights: 'float32', metadata: {} })).toThrow(/layer "capped" \(class ReLU\).*maxValue 6/);
  });
});
