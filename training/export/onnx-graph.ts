/**
 * A small builder for ONNX graphs of float32 tensors with a dynamic batch dimension, encoded with
 * onnx-proto's generated protobuf classes. It knows the ONNX versions we target and how weights are
 * stored (float32, or float16 cast back to float32 inside the graph); it knows nothing about tfjs.
 */
import onnxProto from 'onnx-proto';
import { toFloat16Array } from './float16';

const { onnx } = onnxProto;
export type OnnxModelProto = onnxProto.onnx.ModelProto;

/** Debian's check-model (onnx 1.12) accepts IR version <= 8 and opset <= 17. */
export const OPSET = 17;
export const IR_VERSION = 8;
export const BATCH_DIM = 'N';

export type WeightStorage = 'float32' | 'float16';

/**
 * Weights with at most this many values keep float32 storage in float16 files: they save at most 2 KB
 * each, and some must be exact, e.g. the latent GAN's mode selector, whose steep steps (slope 200) at the
 * normal deciles would move by float16's rounding of their biases and send draws near a step to the
 * neighbouring mode (measured: pixels changed by up to 0.0107 > 2/255).
 */
export const FLOAT32_BELOW = 1024;

/** ONNX attributes are typed: an int, a float or a list of ints (all this exporter needs). */
export type AttributeValue = { int: number } | { float: number } | { ints: number[] };

export interface GraphTensor {
  name: string;
  /** feature shape without the batch dimension, e.g. [784] for [N, 784] */
  featureShape: number[];
}

export class GraphBuilder {
  private readonly nodes: onnxProto.onnx.INodeProto[] = [];
  private readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private readonly inputs: GraphTensor[] = [];
  private readonly outputs: GraphTensor[] = [];
  private readonly usedNames = new Set<string>();

  constructor(
    readonly name: string,
    readonly weights: WeightStorage,
  ) {}

  addInput(tensor: GraphTensor): void {
    this.claim(tensor.name);
    this.inputs.push(tensor);
  }

  addOutput(tensor: GraphTensor): void {
    this.outputs.push(tensor);
  }

  /** A unique tensor name derived from `base` (layer names are unique, but their helper tensors need suffixes). */
  fresh(base: string): string {
    let name = base;
    for (let i = 1; this.usedNames.has(name); i++) name = `${base}_${i}`;
    this.claim(name);
    return name;
  }

  /** Claims a name chosen elsewhere (a contract tensor name); two producers of one name is a bug. */
  claim(name: string): void {
    if (this.usedNames.has(name)) throw new Error(`ONNX tensor name "${name}" is produced twice`);
    this.usedNames.add(name);
  }

  /**
   * A float32 weight. With float16 storage the initializer holds float16 values and a Cast node
   * restores float32, so every op still computes in float32; returns the float32 tensor's name.
   * Tensors of at most FLOAT32_BELOW values stay float32 either way (see there).
   */
  addWeight(base: string, values: Float32Array, dims: number[]): string {
    if (this.weights === 'float32' || values.length <= FLOAT32_BELOW) {
      const name = this.fresh(base);
      this.initializers.push({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: littleEndianBytes(values) });
      return name;
    }
    const stored = this.fresh(`${base}_f16`);
    this.initializers.push({
      name: stored,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT16,
      rawData: littleEndianBytes(toFloat16Array(values)),
    });
    const name = this.fresh(base);
    this.addNode('Cast', [stored], [name], { to: { int: onnx.TensorProto.DataType.FLOAT } });
    return name;
  }

  /** A small int64 constant (shapes for Reshape); never converted to float16. */
  addInt64Constant(base: string, values: number[]): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims: [values.length], dataType: onnx.TensorProto.DataType.INT64, int64Data: values });
    return name;
  }

  addNode(opType: string, input: string[], output: string[], attributes: Record<string, AttributeValue> = {}): void {
    this.nodes.push({
      opType,
      input,
      output,
      name: output[0],
      attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)),
    });
  }

  /** Encodes the graph as an ONNX model; `metadata` becomes metadata_props. */
  encode(metadata: Record<string, string>, docString = ''): Uint8Array {
    const valueInfo = (t: GraphTensor): onnxProto.onnx.IValueInfoProto => ({
      name: t.name,
      type: {
        tensorType: {
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: { dim: [{ dimParam: BATCH_DIM }, ...t.featureShape.map((d) => ({ dimValue: d }))] },
        },
      },
    });
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'latent-digits training/export',
      producerVersion: '1',
      docString,
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs.map(valueInfo),
        output: this.outputs.map(valueInfo),
      },
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function attribute(name: string, value: AttributeValue): onnxProto.onnx.IAttributeProto {
  const { AttributeType } = onnx.AttributeProto;
  if ('int' in value) return { name, type: AttributeType.INT, i: value.int };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.INTS, ints: value.ints };
}

/** ONNX raw_data is little-endian; copy so the bytes do not alias a larger buffer. */
function littleEndianBytes(values: Float32Array | Uint16Array): Uint8Array {
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('big-endian hosts are not supported');
  return new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
}

export function decodeModel(bytes: Uint8Array): OnnxModelProto {
  return onnx.ModelProto.decode(bytes);
}
