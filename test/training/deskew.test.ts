/**
 * Deskewing against hand-worked geometry: a slanted stroke x = 10 + 0.5 (y - 13.5) has ink covariance
 * cov(x, y) = 0.5 var(y), so the shear must stand it upright at its centre column; the result's covariance
 * is computed here independently of deskew.ts.
 */
import { describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../core/contract';
import { deskew, skew } from '../../training/data/deskew';

function stroke(slope: number, x0 = 10): Float32Array {
  const image = new Float32Array(IMAGE_PIXELS);
  for (let y = 4; y < 24; y++) {
    const x = x0 + slope * (y - 13.5);
    const left = Math.floor(x);
    image[y * IMAGE_SIDE + left] += 1 - (x - left); // the stroke's ink split between two pixels by position
    image[y * IMAGE_SIDE + left + 1] += x - left;
  }
  return image;
}

function moments(image: Float32Array) {
  let m = 0, sx = 0, sy = 0;
  image.forEach((v, i) => { m += v; sx += v * (i % IMAGE_SIDE); sy += v * Math.floor(i / IMAGE_SIDE); });
  const cx = sx / m, cy = sy / m;
  let cxy = 0, cyy = 0, cxx = 0;
  image.forEach((v, i) => { const dx = (i % IMAGE_SIDE) - cx, dy = Math.floor(i / IMAGE_SIDE) - cy; cxy += v * dx * dy; cyy += v * dy * dy; cxx += v * dx * dx; });
  return { mass: m, cx, cy, cxy: cxy / m, cyy: cyy / m, cxx: cxx / m };
}

describe('deskew', () => {
  it('measures the slope of a slanted stroke', () => {
    expect(skew(stroke(0.5))!.slope).toBeCloseTo(0.5, 6);
    expect(skew(stroke(-0.3))!.slope).toBeCloseTo(-0.3, 6);
  });

  it('stands a slanted stroke upright at its centre column, keeping its ink', () => {
    const before = moments(stroke(0.5));
    const after = moments(deskew(stroke(0.5)));
    expect(Math.abs(after.cxy)).toBeLessThan(0.02 * after.cyy);
    expect(before.cxx).toBeGreaterThan(8); // 0.5^2 var(y) = 0.25 * 33.25
    expect(after.cxx).toBeLessThan(0.5); // about one pixel wide: ink split between neighbouring columns
    expect(after.cx).toBeCloseTo(before.cx, 1);
    expect(after.mass).toBeCloseTo(before.mass, 3);
    // each row's ink sits at x = 10 (the stroke's centre column), within interpolation
    for (let y = 4; y < 24; y++) {
      const row = Array.from({ length: IMAGE_SIDE }, (_, x) => deskew(stroke(0.5))[y * IMAGE_SIDE + x]);
      const centre = row.reduce((a, v, x) => a + v * x, 0) / row.reduce((a, v) => a + v, 0);
      expect(centre).toBeCloseTo(10, 1);
    }
  });

  it('leaves an upright image as it is, and copies blank and one-row images', () => {
    const upright = stroke(0);
    expect(Array.from(deskew(upright))).toEqual(Array.from(upright));
    const blank = new Float32Array(IMAGE_PIXELS);
    expect(Array.from(deskew(blank))).toEqual(Array.from(blank));
    const line = new Float32Array(IMAGE_PIXELS);
    line.fill(1, 5 * IMAGE_SIDE + 3, 5 * IMAGE_SIDE + 20);
    expect(Array.from(deskew(line))).toEqual(Array.from(line));
  });

  it('deskews each image of a batch on its own', () => {
    const batch = new Float32Array(2 * IMAGE_PIXELS);
    batch.set(stroke(0.5), 0);
    batch.set(stroke(-0.4, 14), IMAGE_PIXELS);
    const out = deskew(batch);
    expect(Array.from(out.subarray(0, IMAGE_PIXELS))).toEqual(Array.from(deskew(stroke(0.5))));
    expect(Array.from(out.subarray(IMAGE_PIXELS))).toEqual(Array.from(deskew(stroke(-0.4, 14))));
  });
});
