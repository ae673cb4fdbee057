/**
 * Many small classifier heads trained at once: M independent copies of one architecture (every draw x
 * every cross-validation fold, plus each draw's final head) as batched weight tensors [M, in, out]. Each
 * copy has its own rows (a 0/1 mask over its draw's labelled codes), its own initialisation and its own
 * Adam state; the loss is the sum of the copies' mean cross-entropies, so every copy's gradient is the one
 * it would get alone. One step costs about what one head's step costs: op overhead dominates at 50 rows.
 */
import * as tf from '@tensorflow/tfjs';
import { NUM_CLASSES } from '../../core/contract';

export interface HeadLayer {
  units: number;
  activation: 'sigmoid' | 'relu' | 'softmax';
  /** dropout rate on this layer's output while training */
  dropout?: number;
}

export interface BatchedHeads {
  /** per layer: kernel [M, in, out] and bias [M, 1, out] */
  params: { kernel: tf.Variable; bias: tf.Variable }[];
  layers: HeadLayer[];
  copies: number;
}

export function createHeads(layers: HeadLayer[], inputDim: number, copies: number): BatchedHeads {
  let fanIn = inputDim;
  const params = layers.map((layer) => {
    const limit = Math.sqrt(6 / (fanIn + layer.units)); // Glorot uniform, as tf.layers.dense
    const kernel = tf.variable(tf.randomUniform([copies, fanIn, layer.units], -limit, limit));
    const bias = tf.variable(tf.zeros([copies, 1, layer.units]));
    fanIn = layer.units;
    return { kernel, bias };
  });
  return { params, layers, copies };
}

export function disposeHeads(heads: BatchedHeads): void {
  heads.params.forEach((p) => {
    p.kernel.dispose();
    p.bias.dispose();
  });
}

/**
 * x [M, rows, in] -> class probabilities [M, rows, 10], with the given parameters (all copies or a gathered
 * subset). Each copy multiplies with 2-D matMuls: tfjs-backend-wasm@4.22 sends only batch-1 products to
 * XNNPACK, and a batched [10, 50, 128] x [10, 128, 512] measured ~70x slower than ten 2-D products.
 */
export function forwardHeads(params: { kernel: tf.Tensor; bias: tf.Tensor }[], layers: HeadLayer[], x: tf.Tensor3D, training: boolean): tf.Tensor3D {
  let hs = tf.unstack(x);
  layers.forEach((layer, i) => {
    const kernels = tf.unstack(params[i].kernel);
    const biases = tf.unstack(params[i].bias);
    hs = hs.map((h, m) => {
      const z = tf.matMul(h as tf.Tensor2D, kernels[m] as tf.Tensor2D).add(biases[m]);
      let a = layer.activation === 'sigmoid' ? tf.sigmoid(z) : layer.activation === 'relu' ? tf.relu(z) : tf.softmax(z);
      if (training && layer.dropout) a = tf.dropout(a, layer.dropout);
      return a;
    });
  });
  return tf.stack(hs) as tf.Tensor3D;
}

/**
 * Full-batch Adam for `epochs` steps. x [M, rows, in], onehot [M, rows, 10], mask [M, rows] (1 = the copy
 * trains on that row). `at(epoch)` runs after the listed epochs (1-based).
 */
export async function trainHeads(heads: BatchedHeads, x: tf.Tensor3D, onehot: tf.Tensor3D, mask: tf.Tensor2D, epochs: number, learningRate: number, checkpoints: Set<number>, at: (epoch: number) => void): Promise<void> {
  const optimizer = tf.train.adam(learningRate);
  const variables = heads.params.flatMap((p) => [p.kernel, p.bias]);
  const rowsPerCopy = mask.sum(1);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    tf.tidy(() => {
      optimizer.minimize(
        () => {
          const probs = forwardHeads(heads.params, heads.layers, x, true).clipByValue(1e-7, 1 - 1e-7);
          const ce = onehot.mul(probs.log()).sum(2).neg(); // [M, rows]
          return ce.mul(mask).sum(1).div(rowsPerCopy).sum() as tf.Scalar;
        },
        false,
        variables,
      );
    });
    if (checkpoints.has(epoch)) at(epoch);
    if (epoch % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  rowsPerCopy.dispose();
  optimizer.dispose();
}

/** Probabilities of copies `which` on shared inputs x [rows, in] -> [which.length, rows, 10] as data. */
export function predictCopies(params: { kernel: tf.Tensor; bias: tf.Tensor }[], layers: HeadLayer[], which: number[], x: tf.Tensor2D): Float32Array {
  return tf.tidy(() => {
    const idx = tf.tensor1d(which, 'int32');
    const gathered = params.map((p) => ({ kernel: tf.gather(p.kernel, idx), bias: tf.gather(p.bias, idx) }));
    const input = x.expandDims(0).tile([which.length, 1, 1]) as tf.Tensor3D;
    return forwardHeads(gathered, layers, input, false).dataSync() as Float32Array;
  });
}

export const HEAD_CLASSES = NUM_CLASSES;
