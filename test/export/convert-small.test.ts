/**
 * The converter (training/export/convert.ts, layers.ts) on tiny tfjs models with hand-set weights, run in
 * onnxruntime-node and compared with a forward pass written here in plain JS (not with tfjs, not with the
 * exporter's own helpers), plus the graph it writes (names, ops) and every refusal it promises. Fast: the
 * tfjs cpu backend and models of a few units.
 */
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertLayersModel, featureShape } from '../../training/export/convert';
import { emitLayer, SUPPORTED_ACTIVATIONS, SUPPORTED_LAYERS, UnsupportedLayerError } from '../../training/export/layers';
import { GraphBuilder } from '../../training/export/onnx-graph';
import { decodeView } from './onnx-view';


beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
});

type Act = (typeof SUPPORTED_ACTIVATIONS)[number];
type Rows = number[][];

// --- plain-JS reference forward pass ---------------------------------------------------------------
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;
const elementwise: Record<string, (v: number) => number> = {
  linear: (v) => v,
  relu: (v) => Math.max(0, v),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: (v) => Math.tanh(v),
  elu: (v) => (v > 0 ? v : Math.exp(v) - 1),
  selu: (v) => SELU_SCALE * (v > 0 ? v : SELU_ALPHA * (Math.exp(v) - 1)),
  softplus: (v) => Math.log(1 + Math.exp(v)),
  softsign: (v) => v / (1 + Math.abs(v)),
};
function softmax(row: number[]): number[] {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp(v - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}
function activate(row: number[], act: string): number[] {
  return act === 'softmax' ? softmax(row) : row.map(elementwise[act]);
}
/** kernel as rows [in][units] */
function denseRef(x: Rows, kernel: Rows, bias: number[] | null, act: string): Rows {
  return x.map((row) => {
    const pre = kernel[0].map((_, u) => row.reduce((s, v, i) => s + v * kernel[i][u], bias ? bias[u] : 0));
    return activate(pre, act);
  });
}

// --- building and running -----------------------------------------------------------------------------
function dense(name: string, kernel: Rows, bias: number[] | null, activation: Act = 'linear'): tf.layers.Layer {
  const layer = tf.layers.dense({ name, units: kernel[0].length, useBias: bias !== null, activation: activation as 'linear' });
  layer.build([null, kernel.length]);
  layer.setWeights(bias ? [tf.tensor2d(kernel), tf.tensor1d(bias)] : [tf.tensor2d(kernel)]);
  return layer;
}

function chain(name: string, inputShape: number[], layers: tf.layers.Layer[]): tf.LayersModel {
  const input = tf.input({ shape: inputShape, name: 'x' });
  let x: tf.SymbolicTensor = input;
  for (const layer of layers) x = layer.apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name });
}

interface Out {
  data: number[];
  dims: number[];
}

async function runOnnx(bytes: Uint8Array, feeds: Record<string, { rows: number[]; dims: number[] }>): Promise<Record<string, Out>> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const tensors = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', Float32Array.from(v.rows), v.dims)]));
    const out = await session.run(tensors);
    return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { data: Array.from(t.data as Float32Array), dims: [...t.dims] }]));
  } finally {
    await session.release();
  }
}

function expectClose(actual: number[], expected: number[], tolerance = 1e-5): void {
  expect(actual).toHaveLength(expected.length);
  const worst = Math.max(...actual.map((v, i) => Math.abs(v - expected[i]) / Math.max(1, Math.abs(expected[i]))));
  expect(worst, `actual ${actual.join(', ')}\nexpected ${expected.join(', ')}`).toBeLessThanOrEqual(tolerance);
}

const X: Rows = [
  [1, -2, 0.5],
  [-1.5, 0.25, 3],
  [0, 0, 0],
];
const KERNEL: Rows = [
  [0.5, -1, 0.25, 2],
  [1, 0.5, -0.5, 0],
  [-0.75, 0.2, 1, -1],
];
const BIAS = [0.1, -0.2, 0.3, 0];

const decodeGraph = decodeView;

describe('Dense layers, every supported activation, against a plain-JS forward pass', () => {
  // converted inside each test (not in a hook), so a mutation run sees which tests run the converter
  const convertBranches = () => {
    const input = tf.input({ shape: [3], name: 'x' });
    const branches = SUPPORTED_ACTIVATIONS.map((act) => dense(`d_${act}`, KERNEL, BIAS, act as Act).apply(input) as tf.SymbolicTensor);
    branches.push(dense('d_nobias', KERNEL, null, 'relu').apply(input) as tf.SymbolicTensor);
    const out = tf.layers.concatenate({ name: 'all' }).apply(branches) as tf.SymbolicTensor;
    return convertLayersModel(tf.model({ inputs: input, outputs: out, name: 'acts' }), { weights: 'float32', metadata: {} });
  };

  it('the supported lists are the documented ones', () => {
    expect(SUPPORTED_ACTIVATIONS).toEqual(['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'softsign']);
    expect(SUPPORTED_LAYERS).toEqual([
      'Dense',
      'BatchNormalization',
      'Activation',
      'ReLU',
      'LeakyReLU',
      'ELU',
      'Softmax',
      'Dropout',
      'GaussianNoise',
      'GaussianDropout',
      'Concatenate',
      'Add',
      'Multiply',
      'Reshape',
      'Flatten',
    ]);
  });

  it('x W + b then the activation, for each activation, and x W without bias', async () => {
    const bytes = convertBranches();
    const { all } = await runOnnx(bytes, { x: { rows: X.flat(), dims: [3, 3] } });
    const perBranch = [...SUPPORTED_ACTIVATIONS.map((act) => denseRef(X, KERNEL, BIAS, act)), denseRef(X, KERNEL, null, 'relu')];
    const expected = X.map((_, r) => perBranch.flatMap((b) => b[r]));
    expect(all.dims).toEqual([3, 4 * (SUPPORTED_ACTIVATIONS.length + 1)]);
    expectClose(all.data, expected.flat());
  });

  it('names weights <layer>/kernel, <layer>/bias and chains MatMul, Add, activation into the layer output', () => {
    const bytes = convertBranches();
    const graph = decodeGraph(bytes).graph;
    const nodes = (layer: string) => graph.node.filter((n) => n.input.some((i) => i === `${layer}/kernel`) || n.output[0].startsWith(`${layer}/`));
    expect(graph.initializer.map((t) => t.name)).toEqual(expect.arrayContaining(['d_relu/kernel', 'd_relu/bias', 'd_nobias/kernel']));
    expect(graph.initializer.map((t) => t.name)).not.toContain('d_nobias/bias');
    expect(nodes('d_relu').map((n) => [n.opType, n.input, n.output])).toEqual([
      ['MatMul', ['x', 'd_relu/kernel'], ['d_relu/MatMul']],
      ['Add', ['d_relu/MatMul', 'd_relu/bias'], ['d_relu/Add']],
    ]);
    const relu = graph.node.find((n) => n.input[0] === 'd_relu/Add')!;
    expect([relu.opType, relu.output]).toEqual(['Relu', ['d_relu']]);
    const linear = graph.node.find((n) => n.input[0] === 'd_linear/MatMul')!;
    expect([linear.opType, linear.output]).toEqual(['Add', ['d_linear']]); // no node for the linear activation
    const softmaxNode = graph.node.find((n) => n.input[0] === 'd_softmax/Add')!;
    expect([softmaxNode.opType, softmaxNode.attribute.map((a) => [a.name, Number(a.i)])]).toEqual(['Softmax', [['axis', -1]]]);
    const eluNode = graph.node.find((n) => n.input[0] === 'd_elu/Add')!;
    expect([eluNode.opType, eluNode.attribute.map((a) => [a.name, a.f])]).toEqual(['Elu', [['alpha', 1]]]);
    const concat = graph.node.find((n) => n.opType === 'Concat')!;
    expect([concat.output, concat.attribute.map((a) => [a.name, Number(a.i)])]).toEqual([['all'], [['axis', -1]]]);
  });

  it('float16 storage: a kernel of more than 1024 values computes with its half-rounded weights', async () => {
    const n = 1100;
    const model = chain('wide', [n], [dense('wide', Array.from({ length: n }, () => [1 / 3]), [0.5])]);
    const run = async (weights: 'float32' | 'float16') =>
      (await runOnnx(convertLayersModel(model, { weights, metadata: {} }), { x: { rows: new Array(n).fill(1), dims: [1, n] } })).wide.data[0];
    expectClose([await run('float16')], [(n * 1365) / 4096 + 0.5]); // half(1/3) = 0.333251953125
    expectClose([await run('float32')], [n / 3 + 0.5]);
  });
});

describe('activation, normalization, identity and shape layers', () => {
  it('Activation, ReLU, LeakyReLU (given and default alpha), ELU, Softmax over the last axis', async () => {
    const model = chain('layers', [4], [
      tf.layers.activation({ activation: 'tanh', name: 'act_tanh' }),
      tf.layers.activation({ activation: 'linear', name: 'act_linear' }),
    ]);
    const xs = [-2, -0.5, 0.5, 3];
    const out = (await runOnnx(convertLayersModel(model, { weights: 'float32', metadata: {} }), { x: { rows: xs, dims: [1, 4] } })).act_linear;
    expectClose(out.data, xs.map(Math.tanh));
    const graph = decodeGraph(convertLayersModel(model, { weights: 'float32', metadata: {} })).graph;
    expect(graph.node.map((n) => [n.opType, n.input, n.output])).toEqual([
      ['Tanh', ['x'], ['act_tanh']],
      ['Identity', ['act_tanh'], ['act_linear']], // an empty chain is one Identity
    ]);

    const input = tf.input({ shape: [4], name: 'x' });
    const parts = [
      tf.layers.reLU({ name: 'relu' }),
      tf.layers.leakyReLU({ alpha: 0.2, name: 'leaky02' }),
      tf.layers.leakyReLU({ name: 'leaky_default' }),
      tf.layers.elu({ name: 'elu' }),
      tf.layers.softmax({ name: 'softmax' }),
    ].map((l) => l.apply(input) as tf.SymbolicTensor);
    const all = tf.model({ inputs: input, outputs: tf.layers.concatenate({ name: 'all' }).apply(parts) as tf.SymbolicTensor });
    const got = (await runOnnx(convertLayersModel(all, { weights: 'float32', metadata: {} }), { x: { rows: xs, dims: [1, 4] } })).all.data;
    expectClose(got, [
      ...xs.map((v) => Math.max(0, v)),
      ...xs.map((v) => (v > 0 ? v : 0.2 * v)),
      ...xs.map((v) => (v > 0 ? v : 0.3 * v)),
      ...xs.map((v) => (v > 0 ? v : Math.exp(v) - 1)),
      ...softmax(xs),
    ]);
  });

  it('Softmax with axis 1 on [N, 2, 3] normalizes over the 2, not the 3', async () => {
    const model = chain('sm', [6], [tf.layers.reshape({ targetShape: [2, 3] }), tf.layers.softmax({ axis: 1, name: 'sm' })]);
    const xs = [0, 1, 2, 3, 5, 7];
    const out = (await runOnnx(convertLayersModel(model, { weights: 'float32', metadata: {} }), { x: { rows: xs, dims: [1, 6] } })).sm;
    expect(out.dims).toEqual([1, 2, 3]);
    const cols = [0, 1, 2].map((c) => softmax([xs[c], xs[3 + c]]));
    expectClose(out.data, [cols[0][0], cols[1][0], cols[2][0], cols[0][1], cols[1][1], cols[2][1]]);
  });

  it('BatchNormalization: gamma (x - mean) / sqrt(var + eps) + beta, and without scale or center', async () => {
    const bn = (name: string, cfg: { scale?: boolean; center?: boolean; epsilon: number }, weights: number[][]) => {
      const layer = tf.layers.batchNormalization({ name, ...cfg });
      layer.build([null, 3]);
      layer.setWeights(weights.map((w) => tf.tensor1d(w)));
      return layer;
    };
    const gamma = [2, 0.5, -1];
    const beta = [1, -1, 0.25];
    const mean = [0.5, -2, 3];
    const variance = [4, 0.25, 1];
    const input = tf.input({ shape: [3], name: 'x' });
    const parts = [
      bn('bn_full', { epsilon: 0.5 }, [gamma, beta, mean, variance]),
      bn('bn_plain', { scale: false, center: false, epsilon: 0.01 }, [mean, variance]),
      bn('bn_noscale', { scale: false, epsilon: 0.01 }, [beta, mean, variance]),
      bn('bn_nocenter', { center: false, epsilon: 0.01 }, [gamma, mean, variance]),
    ].map((l) => l.apply(input) as tf.SymbolicTensor);
    const model = tf.model({ inputs: input, outputs: tf.layers.concatenate({ name: 'all' }).apply(parts) as tf.SymbolicTensor });
    const bytes = convertLayersModel(model, { weights: 'float32', metadata: {} });
    const xs = [[1, 2, 3], [-1, 0, 5]];
    const out = (await runOnnx(bytes, { x: { rows: xs.flat(), dims: [2, 3] } })).all.data;
    const ref = (x: number[], g: number[] | null, b: number[] | null, eps: number) => x.map((v, c) => ((g ? g[c] : 1) * (v - mean[c])) / Math.sqrt(variance[c] + eps) + (b ? b[c] : 0));
    expectClose(out, xs.flatMap((x) => [...ref(x, gamma, beta, 0.5), ...ref(x, null, null, 0.01), ...ref(x, null, beta, 0.01), ...ref(x, gamma, null, 0.01)]));
    const graph = decodeGraph(bytes).graph;
    expect(graph.node.filter((n) => n.output[0].startsWith('bn_full') || n.input[0] === 'bn_full/Mul').map((n) => [n.opType, n.input, n.output])).toEqual([
      ['Mul', ['x', 'bn_full/scale'], ['bn_full/Mul']],
      ['Add', ['bn_full/Mul', 'bn_full/shift'], ['bn_full']],
    ]);
  });

  it('BatchNormalization over the last axis of a rank-3 tensor given as a positive axis', async () => {
    const layer = tf.layers.batchNormalization({ axis: 2, epsilon: 0, name: 'bn3' });
    const model = chain('bn3', [4], [tf.layers.reshape({ targetShape: [2, 2] }), layer]);
    layer.setWeights([[3, 1], [0, 1], [1, 0], [1, 4]].map((w) => tf.tensor1d(w))); // gamma, beta, mean, variance
    const out = (await runOnnx(convertLayersModel(model, { weights: 'float32', metadata: {} }), { x: { rows: [2, 4, 6, 8], dims: [1, 4] } })).bn3;
    // channel 0: 3 (x - 1) / 1 + 0 ; channel 1: 1 (x - 0) / 2 + 1
    expectClose(out.data, [3, 3, 15, 5]);
  });

  it('Dropout, GaussianNoise and GaussianDropout are identities at inference', async () => {
    const model = chain('noise', [3], [
      tf.layers.dropout({ rate: 0.5 }),
      tf.layers.gaussianNoise({ stddev: 1 }),
      tf.layers.gaussianDropout({ rate: 0.3, name: 'last' }),
    ]);
    const bytes = convertLayersModel(model, { weights: 'float32', metadata: {} });
    expect((await runOnnx(bytes, { x: { rows: [1, -2, 3.5], dims: [1, 3] } })).last.data).toEqual([1, -2, 3.5]);
    expect(decodeGraph(bytes).graph.node.map((n) => n.opType)).toEqual(['Identity', 'Identity', 'Identity']);
  });

  it('Reshape keeps the batch dynamic (0 then the target shape), Flatten goes back to [N, features]', async () => {
    const model = chain('shapes', [6], [tf.layers.reshape({ targetShape: [3, 2], name: 'r' }), tf.layers.flatten({ name: 'f' })]);
    const bytes = convertLayersModel(model, { weights: 'float32', metadata: {} });
    const out = (await runOnnx(bytes, { x: { rows: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dims: [2, 6] } })).f;
    expect(out).toEqual({ data: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dims: [2, 6] });
    const graph = decodeGraph(bytes).graph;
    expect(graph.initializer.map((t) => [t.name, t.int64Data.map(Number)])).toEqual([['r/shape', [0, 3, 2]]]);
    expect(graph.node.map((n) => [n.opType, n.input, n.output, n.attribute.map((a) => [a.name, Number(a.i)])])).toEqual([
      ['Reshape', ['x', 'r/shape'], ['r'], []],
      ['Flatten', ['r'], ['f'], [['axis', 1]]],
    ]);
    const reshaped = chain('r3', [6], [tf.layers.reshape({ targetShape: [3, 2], name: 'r3' })]);
    const r3 = (await runOnnx(convertLayersModel(reshaped, { weights: 'float32', metadata: {} }), { x: { rows: [1, 2, 3, 4, 5, 6], dims: [1, 6] } })).r3;
    expect(r3.dims).toEqual([1, 3, 2]);
  });

  it('Concatenate along the default last axis and along axis 1 of [N, 2, k] tensors', async () => {
    const a = tf.input({ shape: [2, 1], name: 'a' });
    const b = tf.input({ shape: [2, 2], name: 'b' });
    const last = tf.layers.concatenate({ name: 'last' }).apply([a, b]) as tf.SymbolicTensor;
    const a2 = tf.layers.reshape({ targetShape: [1, 2] }).apply(a) as tf.SymbolicTensor;
    const first = tf.layers.concatenate({ axis: 1, name: 'first' }).apply([a2, b]) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [a, b], outputs: [last, first] });
    const out = await runOnnx(convertLayersModel(model, { weights: 'float32', metadata: {} }), {
      a: { rows: [1, 2], dims: [1, 2, 1] },
      b: { rows: [3, 4, 5, 6], dims: [1, 2, 2] },
    });
    expect(out.last).toEqual({ data: [1, 3, 4, 2, 5, 6], dims: [1, 2, 3] });
    expect(out.first).toEqual({ data: [1, 2, 3, 4, 5, 6], dims: [1, 3, 2] });
  });
});

describe('convertLayersModel graph interface', () => {
  it('uses the tfjs input and output layer names by default, the given names otherwise, and writes metadata and doc string', async () => {
    const a = tf.input({ shape: [2], name: 'in_a' });
    const b = tf.input({ shape: [3], name: 'in_b' });
    const hidden = dense('hidden', [[1], [2]], [0]).apply(a) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate({ name: 'joined' }).apply([hidden, b]) as tf.SymbolicTensor;
    const out = dense('out', [[1], [1], [1], [1]], [0.5]).apply(joined) as tf.SymbolicTensor;
    const model = tf.model({ inputs: [a, b], outputs: [out, hidden], name: 'two_io' });

    const plain = decodeGraph(convertLayersModel(model, { weights: 'float32', metadata: {} }));
    expect(plain.graph.name).toBe('two_io');
    expect(plain.graph.input.map((t) => t.name)).toEqual(['in_a', 'in_b']);
    expect(plain.graph.output.map((t) => t.name)).toEqual(['out', 'hidden']);
    expect(plain.docString).toBe('');

    const bytes = convertLayersModel(model, { inputNames: ['p', 'q'], outputNames: ['y', 'h'], weights: 'float32', metadata: { k: 'v', role: 'r' }, docString: 'doc' });
    const named = decodeGraph(bytes);
    expect(named.graph.input.map((t) => [t.name, t.type.tensorType.shape.dim.map((d) => d.dimParam || Number(d.dimValue))])).toEqual([
      ['p', ['N', 2]],
      ['q', ['N', 3]],
    ]);
    expect(named.graph.output.map((t) => [t.name, t.type.tensorType.shape.dim.map((d) => d.dimParam || Number(d.dimValue))])).toEqual([
      ['y', ['N', 1]],
      ['h', ['N', 1]],
    ]);
    expect(named.metadataProps.map((p) => [p.key, p.value])).toEqual([['k', 'v'], ['role', 'r']]);
    expect(named.docString).toBe('doc');
    // p = [1, 1], q = [1, 2, 3]: h = 1 + 2 = 3, y = 3 + 6 + 0.5
    const result = await runOnnx(bytes, { p: { rows: [1, 1], dims: [1, 2] }, q: { rows: [1, 2, 3], dims: [1, 3] } });
    expect(result.h.data).toEqual([3]);
    expect(result.y.data).toEqual([9.5]);
  });

  it('emits a layer used by two consumers once', () => {
    const x = tf.input({ shape: [2], name: 'x' });
    const shared = dense('shared', [[1], [1]], [0]).apply(x) as tf.SymbolicTensor;
    const out = tf.layers.concatenate({ name: 'twice' }).apply([shared, shared]) as tf.SymbolicTensor;
    const graph = decodeGraph(convertLayersModel(tf.model({ inputs: x, outputs: out }), { weights: 'float32', metadata: {} })).graph;
    expect(graph.node.filter((n) => n.opType === 'MatMul')).toHaveLength(1);
    expect(graph.node.find((n) => n.opType === 'Concat')!.input).toEqual(['shared', 'shared']);
  });

  it('featureShape drops the dynamic batch axis and refuses a fixed batch or another dynamic axis', () => {
    expect(featureShape(tf.input({ shape: [4, 2] }))).toEqual([4, 2]);
    expect(() => featureShape(tf.input({ batchShape: [2, 3], name: 'fixed' }))).toThrow(/tensor "fixed.*" has a fixed batch size 2; expected a dynamic batch \(null\)/);
    expect(() => featureShape(tf.input({ shape: [null, 3], name: 'ragged' }))).toThrow(/tensor "ragged.*" has shape \[null, null, 3\]; only the batch dimension may be dynamic/);
  });
});

describe('what the converter refuses', () => {
  const convert = (model: tf.LayersModel, names: { inputNames?: string[]; outputNames?: string[] } = {}) => () =>
    convertLayersModel(model, { weights: 'float32', metadata: {}, ...names });

  it('a wrong number of input or output names, naming the counts', () => {
    const model = chain('m', [2], [dense('d', [[1], [1]], [0])]);
    expect(convert(model, { inputNames: ['a', 'b'] })).toThrow('the model has 1 input(s) but 2 input names were given: a, b');
    expect(convert(model, { outputNames: [] })).toThrow('the model has 1 output(s) but 0 output names were given: ');
  });

  it('a model output that is a model input', () => {
    const x = tf.input({ shape: [2], name: 'x' });
    expect(convert(tf.model({ inputs: x, outputs: x }), { outputNames: ['y'] })).toThrow('model output "x" is also a model input; nothing to export');
  });

  it('an unknown layer class, naming the layer, its class and the supported ones', () => {
    const model = chain('m', [4], [tf.layers.prelu({ name: 'odd' })]);
    expect(convert(model)).toThrow(UnsupportedLayerError);
    expect(convert(model)).toThrow(`cannot export layer "odd" (class PReLU): no ONNX mapping for this class (supported: ${SUPPORTED_LAYERS.join(', ')})`);
    try {
      convert(model)();
    } catch (err) {
      expect((err as Error).name).toBe('UnsupportedLayerError');
    }
  });

  it('an unknown activation, in a Dense and in an Activation layer', () => {
    const supported = `(supported: ${SUPPORTED_ACTIVATIONS.join(', ')})`;
    const inDense = chain('m', [2], [tf.layers.dense({ units: 1, activation: 'hardSigmoid', name: 'hs' })]);
    expect(convert(inDense)).toThrow(`cannot export layer "hs" (class Dense): activation "hardSigmoid" has no ONNX mapping ${supported}`);
    const layer = chain('m', [2], [tf.layers.activation({ activation: 'relu6', name: 'r6' })]);
    expect(convert(layer)).toThrow(`cannot export layer "r6" (class Activation): activation "relu6" has no ONNX mapping`);
  });

  it('ReLU with a max value, and BatchNormalization over another axis than the last', () => {
    expect(convert(chain('m', [2], [tf.layers.reLU({ maxValue: 6, name: 'capped' })]))).toThrow(
      'cannot export layer "capped" (class ReLU): maxValue 6 is not supported (only plain ReLU)',
    );
    const bn = chain('m', [4], [tf.layers.reshape({ targetShape: [2, 2] }), tf.layers.batchNormalization({ axis: 1, name: 'bn1' })]);
    expect(convert(bn)).toThrow('cannot export layer "bn1" (class BatchNormalization): only the last axis is supported, got axis 1 of rank 3');
  });

  it('a layer with several outputs', () => {
    const x = tf.input({ shape: [2, 3], name: 'x' });
    const [, state] = tf.layers.simpleRNN({ units: 2, returnState: true, name: 'rnn' }).apply(x) as tf.SymbolicTensor[];
    expect(convert(tf.model({ inputs: x, outputs: state }))).toThrow('cannot export layer "rnn" (class SimpleRNN): layers with several outputs are not supported');
  });

  it('a graph fed by a tfjs input that is not one of the model inputs (a nested model)', () => {
    const inner = chain('inner', [2], [dense('d', [[1], [1]], [0])]);
    const x = tf.input({ shape: [2], name: 'outer_x' });
    const outer = tf.model({ inputs: x, outputs: inner.apply(x) as tf.SymbolicTensor, name: 'outer' });
    expect(convert(outer)).toThrow(/layer "inner"/);
  });

  // calls tf.model() cannot produce, made by hand on real tfjs layers
  const call = (layer: tf.layers.Layer, inputs: string[], inputShapes = inputs.map(() => [2])) => () =>
    emitLayer({ graph: new GraphBuilder('g', 'float32'), layer, inputs, inputShapes, output: 'out' });

  it('a one-input layer called with two inputs, a Concatenate with one', () => {
    const d = tf.layers.dense({ units: 1, name: 'd2' });
    d.build([null, 2]);
    expect(call(d, ['a', 'b'])).toThrow('cannot export layer "d2" (class Dense): expected 1 input, got 2');
    expect(call(tf.layers.reLU({ name: 'r2' }), ['a', 'b'])).toThrow('cannot export layer "r2" (class ReLU): expected 1 input, got 2');
    expect(call(tf.layers.concatenate({ name: 'c1' }), ['a'])).toThrow('cannot export layer "c1" (class Concatenate): expected at least 2 inputs, got 1');
  });

  it('a layer without the weights its class needs (never built), naming the missing role and those found', () => {
    expect(call(tf.layers.dense({ units: 1, name: 'unbuilt' }), ['a'])).toThrow('cannot export layer "unbuilt" (class Dense): expected a "kernel" weight, found []');
    expect(call(tf.layers.batchNormalization({ name: 'bn_unbuilt' }), ['a'])).toThrow(
      'cannot export layer "bn_unbuilt" (class BatchNormalization): expected a "moving_mean" weight, found []',
    );
  });
});
