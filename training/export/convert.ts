/**
 * tfjs LayersModel -> ONNX model bytes. Walks the model's symbolic tensors from its outputs back to its
 * inputs, emitting each layer call once through the layer mapping in ./layers.
 */
import type * as tf from '@tensorflow/tfjs';
import { emitLayer, UnsupportedLayerError } from './layers';
import { GraphBuilder, type WeightStorage } from './onnx-graph';

export interface ConvertOptions {
  /** ONNX graph input names in the model's input order; default: the tfjs input layer names */
  inputNames?: string[];
  /** ONNX graph output names in the model's output order; default: the producing layers' names */
  outputNames?: string[];
  weights: WeightStorage;
  /** becomes the model's metadata_props */
  metadata: Record<string, string>;
  docString?: string;
}

export function convertLayersModel(model: tf.LayersModel, options: ConvertOptions): Uint8Array {
  const graph = new GraphBuilder(model.name, options.weights);
  const onnxNames = new Map<number, string>(); // symbolic tensor id -> ONNX tensor name

  checkNameCount('input', model.inputs.length, options.inputNames);
  checkNameCount('output', model.outputs.length, options.outputNames);

  model.inputs.forEach((input, i) => {
    const name = options.inputNames?.[i] ?? input.sourceLayer.name;
    graph.addInput({ name, featureShape: featureShape(input) });
    onnxNames.set(input.id, name);
  });
  const outputNames = new Map(model.outputs.map((t, i) => [t.id, options.outputNames?.[i] ?? t.sourceLayer.name]));

  const emit = (tensor: tf.SymbolicTensor): string => {
    const known = onnxNames.get(tensor.id);
    if (known !== undefined) return known;
    const layer = tensor.sourceLayer;
    if (layer.getClassName() === 'InputLayer') {
      throw new Error(`tfjs input "${layer.name}" feeds the graph but is not one of the model's inputs`);
    }
    if ((tensor.tensorIndex ?? 0) !== 0) throw new UnsupportedLayerError(layer, 'layers with several outputs are not supported');
    const inputs = tensor.inputs.map(emit);
    const graphOutput = outputNames.get(tensor.id);
    let output: string;
    if (graphOutput !== undefined) {
      graph.claim(graphOutput);
      output = graphOutput;
    } else {
      output = graph.fresh(layer.name);
    }
    emitLayer({ graph, layer, inputs, inputShapes: tensor.inputs.map(featureShape), output });
    onnxNames.set(tensor.id, output);
    return output;
  };

  model.outputs.forEach((tensor) => {
    const name = emit(tensor);
    if (name !== outputNames.get(tensor.id)) throw new Error(`model output "${name}" is also a model input; nothing to export`);
    graph.addOutput({ name, featureShape: featureShape(tensor) });
  });
  return graph.encode(options.metadata, options.docString);
}

/** Shape without the batch axis; every other dimension must be fixed. */
export function featureShape(tensor: tf.SymbolicTensor): number[] {
  const [batch, ...rest] = tensor.shape;
  if (batch !== null) throw new Error(`tensor "${tensor.name}" has a fixed batch size ${batch}; expected a dynamic batch (null)`);
  if (rest.some((d) => d === null)) throw new Error(`tensor "${tensor.name}" has shape [${tensor.shape.map(String).join(', ')}]; only the batch dimension may be dynamic`);
  return rest as number[];
}

function checkNameCount(kind: string, count: number, names?: string[]): void {
  if (names && names.length !== count) throw new Error(`the model has ${count} ${kind}(s) but ${names.length} ${kind} names were given: ${names.join(', ')}`);
}
