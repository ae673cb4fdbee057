/**
 * The ONNX graph builder (training/export/onnx-graph.ts) without tfjs: the protobuf it writes, decoded here
 * with onnx-proto directly and compared with hand-written expectations (name rules, initializer storage,
 * attribute types, versions), and small graphs run through onnxruntime-node against hand-worked outputs.
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { decodeView, type ModelView, type ValueInfoView } from './onnx-view';
import { BATCH_DIM, decodeModel, FLOAT32_BELOW, GraphBuilder, IR_VERSION, OPSET } from '../../training/export/onnx-graph';

const { onnx } = onnxProto;
const { DataType } = onnx.TensorProto;
const { AttributeType } = onnx.AttributeProto;

const decode = decodeView;
const bytesOf = (raw: Uint8Array) => Array.from(raw);

async function run(bytes: Uint8Array, feeds: Record<string, { data: number[]; dims: number[] }>): Promise<Record<string, number[]>> {
  const session = await ort.InferenceSession.create(bytes);
  const tensors = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', Float32Array.from(v.data), v.dims)]));
  const out = await session.run(tensors);
  await session.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, Array.from(t.data as Float32Array)]));
}

describe('GraphBuilder names', () => {
  it('fresh() returns the base name first, then base_1, base_2, ... skipping claimed names', () => {
    const g = new GraphBuilder('g', 'float32');
    expect(g.fresh('a')).toBe('a');
    expect(g.fresh('a')).toBe('a_1');
    g.claim('a_2');
    g.claim('a_3');
    expect(g.fresh('a')).toBe('a_4');
    expect(g.fresh('b')).toBe('b');
  });

  it('claim() and addInput() refuse a name that is already produced', () => {
    const g = new GraphBuilder('g', 'float32');
    g.addInput({ name: 'x', featureShape: [2] });
    expect(() => g.claim('x')).toThrow('ONNX tensor name "x" is produced twice');
    expect(g.fresh('x')).toBe('x_1');
    g.claim('y');
    expect(() => g.addInput({ name: 'y', featureShape: [1] })).toThrow('ONNX tensor name "y" is produced twice');
  });
});

describe('GraphBuilder initializers', () => {
  it('float32 storage: a FLOAT initializer with little-endian raw bytes of only the given values', () => {
    const g = new GraphBuilder('g', 'float32');
    const big = Float32Array.from([9, 9, 1, -2, 9]);
    // a view into a larger buffer: only its own 8 bytes may be written
    expect(g.addWeight('w', big.subarray(2, 4), [2])).toBe('w');
    const model = decode(g.encode({}));
    const [init] = model.graph.initializer;
    expect(init.name).toBe('w');
    expect(init.dataType).toBe(DataType.FLOAT);
    expect(init.dims.map(Number)).toEqual([2]);
    expect(bytesOf(init.rawData)).toEqual([0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0]); // 1.0f, -2.0f
    expect(model.graph.node).toHaveLength(0);
  });

  it(`float16 storage keeps tensors of at most ${FLOAT32_BELOW} values in float32`, () => {
    const g = new GraphBuilder('g', 'float16');
    expect(g.addWeight('small', new Float32Array(FLOAT32_BELOW).fill(1), [FLOAT32_BELOW])).toBe('small');
    const model = decode(g.encode({}));
    expect(model.graph.initializer.map((t) => [t.name, t.dataType, t.rawData.length])).toEqual([['small', DataType.FLOAT, 4 * FLOAT32_BELOW]]);
    expect(model.graph.node).toHaveLength(0);
  });

  it('float16 storage of a larger tensor: a FLOAT16 initializer <base>_f16 and a Cast to FLOAT named <base>', () => {
    const g = new GraphBuilder('g', 'float16');
    const values = new Float32Array(FLOAT32_BELOW + 1).fill(1);
    values[1] = -2;
    expect(g.addWeight('w', values, [FLOAT32_BELOW + 1, 1])).toBe('w');
    const model = decode(g.encode({}));
    const [init] = model.graph.initializer;
    expect(init.name).toBe('w_f16');
    expect(init.dataType).toBe(DataType.FLOAT16);
    expect(init.dims.map(Number)).toEqual([FLOAT32_BELOW + 1, 1]);
    expect(init.rawData.length).toBe(2 * (FLOAT32_BELOW + 1));
    expect(bytesOf(init.rawData.subarray(0, 6))).toEqual([0x00, 0x3c, 0x00, 0xc0, 0x00, 0x3c]); // 1, -2, 1 as halves
    expect(model.graph.node).toHaveLength(1);
    const cast = model.graph.node[0];
    expect([cast.opType, cast.input, cast.output, cast.name]).toEqual(['Cast', ['w_f16'], ['w'], 'w']);
    expect(cast.attribute.map((a) => [a.name, a.type, Number(a.i)])).toEqual([['to', AttributeType.INT, DataType.FLOAT]]);
  });

  it('int64 constants are INT64 initializers of shape [n], in float16 graphs too', () => {
    const g = new GraphBuilder('g', 'float16');
    expect(g.addInt64Constant('shape', [0, 2, 3])).toBe('shape');
    expect(g.addInt64Constant('shape', [5])).toBe('shape_1');
    const inits = decode(g.encode({})).graph.initializer;
    expect(inits.map((t) => [t.name, t.dataType, t.dims.map(Number), t.int64Data.map(Number)])).toEqual([
      ['shape', DataType.INT64, [3], [0, 2, 3]],
      ['shape_1', DataType.INT64, [1], [5]],
    ]);
  });
});

describe('GraphBuilder nodes and the encoded model', () => {
  it('writes nodes named after their first output with int, float and ints attributes typed as such', () => {
    const g = new GraphBuilder('g', 'float32');
    g.addNode('Softmax', ['x'], ['y', 'z'], { axis: { int: -1 }, alpha: { float: 0.25 }, perm: { ints: [1, 0] } });
    g.addNode('Relu', ['y'], ['r']);
    const [a, b] = decode(g.encode({})).graph.node;
    expect([a.opType, a.input, a.output, a.name]).toEqual(['Softmax', ['x'], ['y', 'z'], 'y']);
    expect(a.attribute.map((t) => t.name)).toEqual(['axis', 'alpha', 'perm']);
    expect([a.attribute[0].type, Number(a.attribute[0].i)]).toEqual([AttributeType.INT, -1]);
    expect([a.attribute[1].type, a.attribute[1].f]).toEqual([AttributeType.FLOAT, 0.25]);
    expect([a.attribute[2].type, a.attribute[2].ints.map(Number)]).toEqual([AttributeType.INTS, [1, 0]]);
    expect([b.opType, b.name, b.attribute]).toEqual(['Relu', 'r', []]);
  });

  it('encodes IR 8, opset 17, producer, doc string, graph name, float inputs/outputs with batch N, metadata in order', () => {
    expect([IR_VERSION, OPSET, BATCH_DIM]).toEqual([8, 17, 'N']);
    const g = new GraphBuilder('my_graph', 'float32');
    g.addInput({ name: 'x', featureShape: [2, 3] });
    g.addInput({ name: 'y', featureShape: [4] });
    g.addNode('Identity', ['y'], ['out']);
    g.addOutput({ name: 'out', featureShape: [4] });
    const model = decodeModel(g.encode({ model_id: 'm', role: 'r' }, 'what it does')) as unknown as ModelView;
    expect(Number(model.irVersion)).toBe(8);
    expect(model.opsetImport.map((o) => [o.domain, Number(o.version)])).toEqual([['', 17]]);
    expect(model.producerName).toBe('latent-digits training/export');
    expect(model.producerVersion).toBe('1');
    expect(model.docString).toBe('what it does');
    expect(model.graph.name).toBe('my_graph');
    const info = (t: ValueInfoView) => [
      t.name,
      t.type.tensorType.elemType,
      t.type.tensorType.shape.dim.map((d) => (d.dimParam ? d.dimParam : Number(d.dimValue))),
    ];
    expect(model.graph.input.map(info)).toEqual([
      ['x', DataType.FLOAT, ['N', 2, 3]],
      ['y', DataType.FLOAT, ['N', 4]],
    ]);
    expect(model.graph.output.map(info)).toEqual([['out', DataType.FLOAT, ['N', 4]]]);
    expect(model.metadataProps.map((p) => [p.key, p.value])).toEqual([
      ['model_id', 'm'],
      ['role', 'r'],
    ]);
    expect(decode(new GraphBuilder('g', 'float32').encode({})).docString).toBe('');
  });

  it('a float32 graph computes relu(x W + b) in onnxruntime-node, for any batch size', async () => {
    const g = new GraphBuilder('dense', 'float32');
    g.addInput({ name: 'x', featureShape: [3] });
    const w = g.addWeight('w', Float32Array.from([1, 2, 0, -1, 0.5, 0.5]), [3, 2]);
    const b = g.addWeight('b', Float32Array.from([0.25, -10]), [2]);
    g.addNode('MatMul', ['x', w], ['xw']);
    g.addNode('Add', ['xw', b], ['pre']);
    g.addNode('Relu', ['pre'], ['y']);
    g.addOutput({ name: 'y', featureShape: [2] });
    const bytes = g.encode({});
    // row [1, 2, 3]: [1 + 0 + 1.5 + 0.25, 2 - 2 + 1.5 - 10] = [2.75, -8.5] -> relu [2.75, 0]
    // row [0, 0, 40]: [20.25, 10] ; row [-1, 0, 0]: [-0.75, -12] -> [0, 0]
    const { y } = await run(bytes, { x: { data: [1, 2, 3, 0, 0, 40, -1, 0, 0], dims: [3, 3] } });
    expect(y).toEqual([2.75, 0, 20.25, 10, 0, 0]);
  });

  it('a float16-stored weight computes with the half-rounded values (1/3 -> 0.333251953125) cast back to float32', async () => {
    const n = FLOAT32_BELOW + 1; // large enough to be stored as float16
    const build = (weights: 'float32' | 'float16') => {
      const g = new GraphBuilder('sum', weights);
      g.addInput({ name: 'x', featureShape: [n] });
      const w = g.addWeight('w', new Float32Array(n).fill(1 / 3), [n, 1]);
      g.addNode('MatMul', ['x', w], ['y']);
      g.addOutput({ name: 'y', featureShape: [1] });
      return g.encode({});
    };
    const ones = { x: { data: new Array(n).fill(1), dims: [1, n] } };
    const [half] = (await run(build('float16'), ones)).y;
    const [full] = (await run(build('float32'), ones)).y;
    expect(half).toBeCloseTo((n * 1365) / 4096, 3); // 341.587
    expect(full).toBeCloseTo(n / 3, 3); // 341.667
  });
});
