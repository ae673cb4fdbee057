/**
 * Frechet distance between two sets of feature vectors, each summarised by a Gaussian (mean, covariance):
 *   FD = |mu1 - mu2|^2 + Tr(S1) + Tr(S2) - 2 Tr((S1^1/2 S2 S1^1/2)^1/2)
 * The symmetric form avoids the non-symmetric matrix square root; eigendecompositions come from ml-matrix.
 */
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

export interface Gaussian {
  mean: Float64Array;
  cov: Matrix;
}

/** features: [rows, dim] row-major */
export function fitGaussian(features: Float32Array, dim: number): Gaussian {
  const rows = features.length / dim;
  if (rows < 2) throw new RangeError(`need at least 2 feature rows, got ${rows}`);
  const mean = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) mean[j] += features[r * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= rows;
  const centred = new Matrix(rows, dim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < dim; j++) centred.set(r, j, features[r * dim + j] - mean[j]);
  const cov = centred.transpose().mmul(centred).div(rows - 1);
  return { mean, cov };
}

function symmetricSqrt(m: Matrix): Matrix {
  const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const v = evd.eigenvectorMatrix;
  const roots = evd.realEigenvalues.map((l) => Math.sqrt(Math.max(l, 0)));
  return v.mmul(Matrix.diag(roots)).mmul(v.transpose());
}

export function frechetDistance(a: Gaussian, b: Gaussian): number {
  let meanTerm = 0;
  for (let j = 0; j < a.mean.length; j++) meanTerm += (a.mean[j] - b.mean[j]) ** 2;
  const rootA = symmetricSqrt(a.cov);
  const inner = rootA.mmul(b.cov).mmul(rootA);
  const innerSym = inner.add(inner.transpose()).div(2); // remove round-off asymmetry
  const evd = new EigenvalueDecomposition(innerSym, { assumeSymmetric: true });
  const traceRoot = evd.realEigenvalues.reduce((s, l) => s + Math.sqrt(Math.max(l, 0)), 0);
  return meanTerm + a.cov.trace() + b.cov.trace() - 2 * traceRoot;
}
