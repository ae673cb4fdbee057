/**
 * The standard normal quantile function Phi^-1(p) (probit), by Acklam's rational approximation with its
 * published coefficients (relative error below 1.15e-9 over (0, 1)). Written here because it is one
 * function: the npm packages that have it (@stdlib's normal-quantile) bring nine packages with native-addon
 * manifests along, and tfjs has no erfinv.
 */
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
/** below this p (and above 1 - it) the tail formula applies */
const TAIL = 0.02425;

const polynomial = (coefficients: number[], x: number): number => coefficients.reduce((acc, c) => acc * x + c, 0);

function tail(p: number): number {
  const q = Math.sqrt(-2 * Math.log(p));
  return polynomial(C, q) / (polynomial(D, q) * q + 1);
}

export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p = ${p}, expected a probability strictly between 0 and 1`);
  if (p < TAIL) return tail(p);
  if (p > 1 - TAIL) return -tail(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (polynomial(A, r) * q) / (polynomial(B, r) * r + 1);
}
