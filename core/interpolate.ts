/**
 * The project's one interpolation: the worker's /v1/interpolate and training's interpolation study walk the
 * same straight line, so a path served by the API is the path the study scored.
 */

/**
 * `steps` rows on the straight line from row vector `a` to `b`, both included: [steps, a.length].
 * Row i = (1 - t) * a + t * b with t = i / (steps - 1), computed in float64 and rounded to float32 once.
 */
export function interpolateRows(a: Float32Array, b: Float32Array, steps: number): Float32Array {
  const width = a.length;
  const out = new Float32Array(steps * width);
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    for (let j = 0; j < width; j++) out[i * width + j] = (1 - t) * a[j] + t * b[j];
  }
  return out;
}
