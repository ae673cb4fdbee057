/**
 * core/interpolate.ts against hand-worked rows: the straight line from a to b, both ends included.
 */
import { describe, expect, it } from 'vitest';
import { interpolateRows } from '../../core/interpolate';

describe('interpolateRows', () => {
  it('5 steps from [0, 8, -4] to [4, 0, 4]: t = 0, 1/4, 1/2, 3/4, 1', () => {
    const out = interpolateRows(Float32Array.from([0, 8, -4]), Float32Array.from([4, 0, 4]), 5);
    expect(Array.from(out)).toEqual([0, 8, -4, 1, 6, -2, 2, 4, 0, 3, 2, 2, 4, 0, 4]);
  });

  it('2 steps are exactly the two ends; rounding to float32 happens once, from float64', () => {
    const a = Float32Array.from([0.1, 1]);
    const b = Float32Array.from([0.7, 3]);
    expect(Array.from(interpolateRows(a, b, 2))).toEqual([a[0], a[1], b[0], b[1]]);
    const mid = interpolateRows(a, b, 3);
    expect(mid.length).toBe(6);
    expect(mid[2]).toBe(Math.fround(0.5 * a[0] + 0.5 * b[0]));
    expect(mid[3]).toBe(2);
  });
});
