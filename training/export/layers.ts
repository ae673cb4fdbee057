/**
 * The tfjs layer -> ONNX node mapping, one entry per supported layer class (inference form: dropout and
 * noise layers are identities, batch normalization uses its moving statistics). A layer or activation
 * without an entry fails the export with the layer's name and class; nothing is approximated.
 */
import type * as tf from '@tensorflow/tfjs';
import type { AttributeValue, GraphBuilder } from './onnx-graph';

export class UnsupportedLayerError extends Error {
  constructor(layer: tf.layers.Layer, why: string) {
    super(`cannot export layer "${layer.name}" (class ${layer.getClassName()}): ${why}`);
    this.name = 'UnsupportedLayerError';
  }
}

export interface LayerCall {
  graph: GraphBuilder;
  layer: tf.layers.Layer;
  /** ONNX names of the layer's input tensors */
  inputs: string[];
  /** shapes of those inputs without the batch dimension */
  inputShapes: number[][];
  /** the ONNX name the layer's output must have */
  output: string;
}

interface Op {
  opType: string;
  /** extra inputs after the running tensor (weights, shapes) */
  extra?: string[];
  attributes?: Record<string, AttributeValue>;
}

/** Emits ops one after another; the last one writes `call.output`. An empty chain is an Identity. */
function emitChain(call: LayerCall, first: string, ops: Op[]): void {
  const chain = ops.length > 0 ? ops : [{ opType: 'Identity' }];
  let current = first;
  chain.forEach((op, i) => {
    const out = i === chain.length - 1 ? call.output : call.graph.fresh(`${call.layer.name}/${op.opType}`);
    call.graph.addNode(op.opType, [current, ...(op.extra ?? [])], [out], op.attributes);
    current = out;
  });
}

/** Keras activation names (as in a layer config) -> ONNX ops computing the same function. */
function activationOps(call: LayerCall, activation: string): Op[] {
  switch (activation) {
    case 'linear':
      return [];
    case 'relu':
      return [{ opType: 'Relu' }];
    case 'sigmoid':
      return [{ opType: 'Sigmoid' }];
    case 'tanh':
      return [{ opType: 'Tanh' }];
    case 'softmax': // tfjs's softmax activation normalizes the last axis
      return [{ opType: 'Softmax', attributes: { axis: { int: -1 } } }];
    case 'elu': // the activation function (not the ELU layer) has alpha fixed at 1
      return [{ opType: 'Elu', attributes: { alpha: { float: 1 } } }];
    case 'selu': // ONNX's default alpha and gamma equal tfjs's constants in float32
      return [{ opType: 'Selu' }];
    case 'softplus':
      return [{ opType: 'Softplus' }];
    case 'softsign':
      return [{ opType: 'Softsign' }];
    default:
      throw new UnsupportedLayerError(call.layer, `activation "${activation}" has no ONNX mapping (supported: ${SUPPORTED_ACTIVATIONS.join(', ')})`);
  }
}

export const SUPPORTED_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh', 'softmax', 'elu', 'selu', 'softplus', 'softsign'];

/** The layer's weights by role ("kernel", "bias", "gamma", ...), read from the tfjs variables. */
function weightsByRole(layer: tf.layers.Layer): Map<string, { values: Float32Array; shape: number[] }> {
  const out = new Map<string, { values: Float32Array; shape: number[] }>();
  for (const w of layer.weights) {
    const role = w.originalName.split('/').pop() ?? w.originalName;
    const value = w.read();
    out.set(role, { values: value.dataSync() as Float32Array, shape: value.shape });
  }
  return out;
}

function requireWeight(layer: tf.layers.Layer, weights: ReturnType<typeof weightsByRole>, role: string) {
  const w = weights.get(role);
  if (!w) throw new UnsupportedLayerError(layer, `expected a "${role}" weight, found [${[...weights.keys()].join(', ')}]`);
  return w;
}

function config(layer: tf.layers.Layer): Record<string, unknown> {
  return layer.getConfig() as Record<string, unknown>;
}

function single(call: LayerCall): string {
  if (call.inputs.length !== 1) throw new UnsupportedLayerError(call.layer, `expected 1 input, got ${call.inputs.length}`);
  return call.inputs[0];
}

/** Dense: y = activation(x · kernel + bias); kernel [in, units], bias [units]. */
function dense(call: LayerCall): void {
  const cfg = config(call.layer);
  const weights = weightsByRole(call.layer);
  const kernel = requireWeight(call.layer, weights, 'kernel');
  const ops: Op[] = [{ opType: 'MatMul', extra: [call.graph.addWeight(`${call.layer.name}/kernel`, kernel.values, kernel.shape)] }];
  if (cfg.useBias !== false) {
    const bias = requireWeight(call.layer, weights, 'bias');
    ops.push({ opType: 'Add', extra: [call.graph.addWeight(`${call.layer.name}/bias`, bias.values, bias.shape)] });
  }
  ops.push(...activationOps(call, String(cfg.activation ?? 'linear')));
  emitChain(call, single(call), ops);
}

/**
 * BatchNormalization at inference: gamma (x - mean) / sqrt(var + eps) + beta, folded (in float64) into
 * x * scale + shift with scale, shift [channels] broadcast over the last axis.
 */
function batchNormalization(call: LayerCall): void {
  const cfg = config(call.layer);
  const rank = call.inputShapes[0].length + 1;
  const axis = Number(cfg.axis ?? -1);
  if (axis !== -1 && axis !== rank - 1) throw new UnsupportedLayerError(call.layer, `only the last axis is supported, got axis ${axis} of rank ${rank}`);
  const weights = weightsByRole(call.layer);
  const mean = requireWeight(call.layer, weights, 'moving_mean').values;
  const variance = requireWeight(call.layer, weights, 'moving_variance').values;
  const gamma = cfg.scale === false ? null : requireWeight(call.layer, weights, 'gamma').values;
  const beta = cfg.center === false ? null : requireWeight(call.layer, weights, 'beta').values;
  const epsilon = Number(cfg.epsilon ?? 1e-3);
  const scale = new Float32Array(mean.length);
  const shift = new Float32Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    const s = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + epsilon);
    scale[c] = s;
    shift[c] = (beta ? beta[c] : 0) - mean[c] * s;
  }
  const { graph, layer } = call;
  emitChain(call, single(call), [
    { opType: 'Mul', extra: [graph.addWeight(`${layer.name}/scale`, scale, [scale.length])] },
    { opType: 'Add', extra: [graph.addWeight(`${layer.name}/shift`, shift, [shift.length])] },
  ]);
}

const identity = (call: LayerCall) => emitChain(call, single(call), []);

/** n-ary Add / Multiply as a chain of ONNX's binary op; tfjs's merge layers want inputs of one shape. */
function elementwise(call: LayerCall, opType: 'Add' | 'Mul'): void {
  if (call.inputs.length < 2) throw new UnsupportedLayerError(call.layer, `expected at least 2 inputs, got ${call.inputs.length}`);
  const shapes = call.inputShapes.map((s) => s.join(','));
  if (new Set(shapes).size !== 1) throw new UnsupportedLayerError(call.layer, `inputs of different shapes [${shapes.join('] [')}] (broadcasting is not mapped)`);
  let acc = call.inputs[0];
  call.inputs.slice(1).forEach((input, i) => {
    const out = i === call.inputs.length - 2 ? call.output : `${call.output}/${opType.toLowerCase()}${i}`;
    call.graph.addNode(opType, [acc, input], [out]);
    acc = out;
  });
}

export const LAYER_EMITTERS: Record<string, (call: LayerCall) => void> = {
  Dense: dense,
  BatchNormalization: batchNormalization,
  Activation: (call) => emitChain(call, single(call), activationOps(call, String(config(call.layer).activation))),
  ReLU: (call) => {
    const maxValue = config(call.layer).maxValue;
    if (maxValue != null) throw new UnsupportedLayerError(call.layer, `maxValue ${maxValue} is not supported (only plain ReLU)`);
    emitChain(call, single(call), [{ opType: 'Relu' }]);
  },
  LeakyReLU: (call) =>
    emitChain(call, single(call), [{ opType: 'LeakyRelu', attributes: { alpha: { float: Number(config(call.layer).alpha ?? 0.3) } } }]),
  ELU: (call) => emitChain(call, single(call), [{ opType: 'Elu', attributes: { alpha: { float: Number(config(call.layer).alpha ?? 1) } } }]),
  Softmax: (call) => emitChain(call, single(call), [{ opType: 'Softmax', attributes: { axis: { int: Number(config(call.layer).axis ?? -1) } } }]),
  // Inference-time identities: these layers only act while training.
  Dropout: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  Concatenate: (call) => {
    if (call.inputs.length < 2) throw new UnsupportedLayerError(call.layer, `expected at least 2 inputs, got ${call.inputs.length}`);
    const axis = Number(config(call.layer).axis ?? -1); // counts the batch axis, as ONNX does
    call.graph.addNode('Concat', call.inputs, [call.output], { axis: { int: axis } });
  },
  // elementwise merges of same-shape inputs (the mixture generator's mode mask and sum)
  Add: (call) => elementwise(call, 'Add'),
  Multiply: (call) => elementwise(call, 'Mul'),
  Reshape: (call) => {
    const target = config(call.layer).targetShape as number[];
    // 0 copies the batch dimension from the input, so the batch stays dynamic.
    const shape = call.graph.addInt64Constant(`${call.layer.name}/shape`, [0, ...target]);
    call.graph.addNode('Reshape', [single(call), shape], [call.output]);
  },
  Flatten: (call) => call.graph.addNode('Flatten', [single(call)], [call.output], { axis: { int: 1 } }),
};

export const SUPPORTED_LAYERS = Object.keys(LAYER_EMITTERS);

export function emitLayer(call: LayerCall): void {
  const className = call.layer.getClassName();
  const emit = LAYER_EMITTERS[className];
  if (!emit) throw new UnsupportedLayerError(call.layer, `no ONNX mapping for this class (supported: ${SUPPORTED_LAYERS.join(', ')})`);
  emit(call);
}
