/** Principal component analysis of float rows (tfjs for the covariance, ml-matrix for its eigenvectors). */
import * as tf from '@tensorflow/tfjs';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** PCA of rows x [rows, dim] (mean-centred): the top `components` directions [dim, components] and the mean. */
export function principalComponents(x: Float32Array, dim: number, components: number): { mean: Float32Array; basis: Float32Array } {
  const rows = x.length / dim;
  const [mean, cov] = tf.tidy(() => {
    const m = tf.tensor2d(x, [rows, dim]);
    const mu = m.mean(0);
    const centred = m.sub(mu);
    return [mu.dataSync() as Float32Array, centred.matMul(centred, true, false).div(rows - 1).arraySync() as number[][]];
  });
  const eig = new EigenvalueDecomposition(new Matrix(cov), { assumeSymmetric: true });
  const values = eig.realEigenvalues;
  const order = values.map((v, i) => [v, i]).sort((a, b) => b[0] - a[0]).slice(0, components).map((p) => p[1]);
  const vectors = eig.eigenvectorMatrix;
  const basis = new Float32Array(dim * components);
  for (let j = 0; j < dim; j++) order.forEach((col, c) => (basis[j * components + c] = vectors.get(j, col)));
  return { mean, basis };
}

export function project(x: Float32Array, dim: number, pca: { mean: Float32Array; basis: Float32Array }, components: number): Float32Array {
  return tf.tidy(() => tf.tensor2d(x, [x.length / dim, dim]).sub(tf.tensor1d(pca.mean)).matMul(tf.tensor2d(pca.basis, [dim, components])).dataSync() as Float32Array);
}

