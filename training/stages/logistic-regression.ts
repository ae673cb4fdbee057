/**
 * Multinomial logistic regression solved to convergence by Newton's method (the softmax baseline of the
 * 50-label study). Gradient descent from tfjs stops far from the optimum on 50 separable points; Newton
 * with an L2 penalty has a unique optimum and reaches it in a few dozen steps.
 *
 * Loss: mean_i -log softmax(x_i W + b)_{y_i} + (l2 / 2) (|W|^2 + |b|^2), W [dim, classes], b [classes].
 */

export interface LogisticRegression {
  dim: number;
  classes: number;
  /** [(dim + 1), classes]: rows 0..dim-1 are W, row dim is b */
  theta: Float64Array;
  iterations: number;
  /** max |gradient| at the end */
  gradientNorm: number;
  converged: boolean;
}

export interface LogisticOptions {
  l2: number;
  classes: number;
  tolerance?: number;
  maxIterations?: number;
}

function probabilities(theta: Float64Array, x: ArrayLike<number>, rows: number, dim: number, classes: number): Float64Array {
  const p = new Float64Array(rows * classes);
  for (let i = 0; i < rows; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) {
      let z = theta[dim * classes + c];
      for (let j = 0; j < dim; j++) z += x[i * dim + j] * theta[j * classes + c];
      p[i * classes + c] = z;
      if (z > max) max = z;
    }
    let s = 0;
    for (let c = 0; c < classes; c++) s += p[i * classes + c] = Math.exp(p[i * classes + c] - max);
    for (let c = 0; c < classes; c++) p[i * classes + c] /= s;
  }
  return p;
}

function loss(theta: Float64Array, x: ArrayLike<number>, labels: ArrayLike<number>, dim: number, classes: number, l2: number): number {
  const rows = labels.length;
  const p = probabilities(theta, x, rows, dim, classes);
  let l = 0;
  for (let i = 0; i < rows; i++) l -= Math.log(Math.max(p[i * classes + labels[i]], 1e-300));
  let r = 0;
  for (const t of theta) r += t * t;
  return l / rows + (l2 / 2) * r;
}

/** x: [rows, dim] features, labels: [rows] classes 0..classes-1. */
export function fitLogisticRegression(x: ArrayLike<number>, labels: ArrayLike<number>, dim: number, { l2, classes, tolerance = 1e-7, maxIterations = 100 }: LogisticOptions): LogisticRegression {
  const rows = labels.length;
  const d1 = dim + 1;
  const size = d1 * classes;
  // features with the bias column appended, [rows, dim + 1]
  const f = new Float64Array(rows * d1);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < dim; j++) f[i * d1 + j] = x[i * dim + j];
    f[i * d1 + dim] = 1;
  }
  let theta = new Float64Array(size);
  let gradientNorm = Infinity;
  let iterations = 0;
  const hess = new Float64Array(size * size);
  const outer = new Float64Array(d1 * d1);
  for (; iterations < maxIterations; iterations++) {
    const p = probabilities(theta, x, rows, dim, classes);
    const grad = new Float64Array(size);
    hess.fill(0);
    for (let i = 0; i < rows; i++) {
      const fi = i * d1;
      for (let j = 0; j < d1; j++) for (let k = 0; k < d1; k++) outer[j * d1 + k] = f[fi + j] * f[fi + k];
      for (let c = 0; c < classes; c++) {
        const pc = p[i * classes + c];
        const residual = pc - (labels[i] === c ? 1 : 0);
        for (let j = 0; j < d1; j++) grad[j * classes + c] += (f[fi + j] * residual) / rows;
        for (let c2 = 0; c2 < classes; c2++) {
          const w = (pc * ((c === c2 ? 1 : 0) - p[i * classes + c2])) / rows;
          if (w === 0) continue;
          // Hessian entry ((j, c), (k, c2)) += w * f_j f_k, parameters indexed j * classes + c
          for (let j = 0; j < d1; j++) {
            const row = (j * classes + c) * size + c2;
            const oj = j * d1;
            for (let k = 0; k < d1; k++) hess[row + k * classes] += w * outer[oj + k];
          }
        }
      }
    }
    for (let q = 0; q < size; q++) {
      grad[q] += l2 * theta[q];
      hess[q * size + q] += l2;
    }
    gradientNorm = grad.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
    if (gradientNorm < tolerance) break;
    const step = choleskySolve(hess, grad, size);
    // damped Newton: halve the step until the loss decreases
    const before = loss(theta, x, labels, dim, classes, l2);
    let t = 1;
    let next = theta;
    for (let h = 0; h < 30; h++, t /= 2) {
      next = theta.map((v, q) => v - t * step[q]);
      if (loss(next, x, labels, dim, classes, l2) <= before) break;
    }
    theta = next;
  }
  return { dim, classes, theta, iterations, gradientNorm, converged: gradientNorm < tolerance };
}

/** Class probabilities [rows, classes] for x [rows, dim]. */
export function predictLogistic(model: LogisticRegression, x: ArrayLike<number>): Float32Array {
  return Float32Array.from(probabilities(model.theta, x, x.length / model.dim, model.dim, model.classes));
}

/** Solves A s = b for symmetric positive definite A [n, n] (the penalised Hessian) by Cholesky; A is overwritten. */
function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array {
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 0)) throw new Error(`Hessian is not positive definite at column ${j} (pivot ${d}); is l2 > 0?`);
    const l = Math.sqrt(d);
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let v = a[i * n + j];
      for (let k = 0; k < j; k++) v -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = v / l;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = b[i];
    for (let k = 0; k < i; k++) v -= a[i * n + k] * y[k];
    y[i] = v / a[i * n + i];
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let v = y[i];
    for (let k = i + 1; k < n; k++) v -= a[k * n + i] * x[k];
    x[i] = v / a[i * n + i];
  }
  return x;
}
