/**
 * edge/encoding/normalise.ts step by step on pictures small enough to work out by hand: the grey and alpha
 * rules (step 1-2), the border median and floor (3-4), the fit of thin strokes (6), the clamped
 * centre-of-mass shift (7), and the whole-factor shrink of large pictures. test/edge/normalise.test.ts checks
 * the same code on real MNIST digits.
 */
import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../core/manifest';
import { normaliseDigit, normaliseGrey, NoInkError, resizeArea, shrinkBy, toGrey, type Raster } from '../../edge/encoding/normalise';

const raster = (width: number, height: number, channels: Raster['channels'], data: number[], maxValue = 255): Raster => ({
  width,
  height,
  channels,
  data: Uint8Array.from(data),
  maxValue,
});

/** (x, y) of every pixel above zero in a 28x28 result. */
const lit = (pixels: Float32Array) => [...pixels.keys()].filter((i) => pixels[i] > 0).map((i) => [i % 28, Math.floor(i / 28)]);

describe('toGrey', () => {
  it('weighs R, G and B by 0.299, 0.587 and 0.114 (Rec. 601) and scales by maxValue', () => {
    const grey = toGrey(raster(4, 1, 3, [255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]));
    expect([...grey].map((v) => +v.toFixed(6))).toEqual([0.299, 0.587, 0.114, 1]);
    const deep: Raster = { width: 2, height: 1, channels: 1, data: Uint16Array.from([65535, 13107]), maxValue: 65535 };
    expect([...toGrey(deep)].map((v) => +v.toFixed(6))).toEqual([1, 0.2]);
  });

  it('reads grey from the first sample of grey+alpha and RGB from the first three of RGBA', () => {
    expect([...toGrey(raster(2, 1, 2, [51, 255, 204, 255]))].map((v) => +v.toFixed(6))).toEqual([0.2, 0.8]);
    expect([...toGrey(raster(1, 1, 4, [0, 255, 0, 255]))].map((v) => +v.toFixed(6))).toEqual([0.587]);
  });

  it('a transparent pixel shows the backdrop, a half-transparent one half ink, half backdrop', () => {
    // dark ink (alpha-weighted mean grey 0) -> white backdrop; the opaque pixel keeps its 0
    const g = toGrey(raster(2, 1, 2, [0, 255, 0, 0], 255));
    expect([...g]).toEqual([0, 1]);
    // maxValue 2: the second pixel has alpha 0.5 -> 0.5 * 0 + 0.5 * 1
    const half = toGrey({ width: 2, height: 1, channels: 2, data: Uint8Array.from([0, 2, 0, 1]), maxValue: 2 });
    expect([...half]).toEqual([0, 0.5]);
  });

  it('a fully transparent picture shows the white backdrop', () => {
    expect([...toGrey(raster(3, 1, 4, [9, 9, 9, 0, 200, 200, 200, 0, 0, 0, 0, 0]))]).toEqual([1, 1, 1]);
  });

  it('ink of mean grey exactly 0.5 goes over white; above 0.5 over black', () => {
    // maxValue 2: sample 1 is grey 0.5; one opaque ink pixel, one transparent pixel
    const half = toGrey({ width: 2, height: 1, channels: 2, data: Uint8Array.from([1, 2, 0, 0]), maxValue: 2 });
    expect([...half]).toEqual([0.5, 1]);
    const light = toGrey({ width: 2, height: 1, channels: 2, data: Uint8Array.from([2, 2, 0, 0]), maxValue: 2 });
    expect([...light]).toEqual([1, 0]);
  });

  it('refuses fewer samples than width x height x channels, naming both', () => {
    expect(() => toGrey(raster(2, 2, 3, [1, 2, 3]))).toThrow(new RangeError('expected 12 samples for 2x2x3, got 3'));
    expect(toGrey(raster(1, 1, 3, [0, 0, 0])).length).toBe(1);
  });

  it('reads a Uint8ClampedArray (the JPEG codec\'s output) like the same bytes in a Uint8Array', () => {
    const bytes = [10, 20, 30, 255, 40, 50, 60, 128];
    const clamped: Raster = { width: 2, height: 1, channels: 4, data: new Uint8ClampedArray(bytes), maxValue: 255 };
    expect(toGrey(clamped)).toEqual(toGrey(raster(2, 1, 4, bytes)));
  });
});

describe('normaliseGrey: background, floor and contrast', () => {
  it('a border whose median is exactly 0.5 is not inverted', () => {
    // 3x3, border of eight 0.5s, centre ink 1
    const grey = Float32Array.from([0.5, 0.5, 0.5, 0.5, 1, 0.5, 0.5, 0.5, 0.5]);
    const { inverted, box } = normaliseGrey(grey, 3, 3);
    expect(inverted).toBe(false);
    expect(box).toEqual({ x: 1, y: 1, width: 1, height: 1 });
  });

  it('the floor is the border\'s median plus 5 x 1.4826 x its median absolute deviation (worked by hand)', () => {
    // 6x6 at 0.9 (ink 0.1 after the flip), interior ink 0 (1 after the flip) at (2, 2), border specks of 0.3
    const picture = (specks: number[]) => {
      const grey = new Float32Array(36).fill(0.9);
      for (const i of specks) grey[i] = 0.3;
      grey[14] = 0;
      return normaliseGrey(grey, 6, 6);
    };
    // 20 border pixels, up to 9 specks: median 0.9, median |deviation| 0 -> floor 0.1: a speck (ink 0.7) is ink
    expect(picture([0])).toMatchObject({ inverted: true, box: { x: 0, y: 0, width: 3, height: 3 } });
    // 9 specks: the median deviation (index 10 of the 20 sorted) is still 0
    expect(picture([0, 1, 2, 3, 4, 5, 6, 12, 18])).toMatchObject({ inverted: true, box: { x: 0, y: 0, width: 6, height: 4 } });
    // 10: it is 0.6, the floor 0.1 + 5 x 1.4826 x 0.6 = 4.55 is past any ink
    expect(() => picture([0, 1, 2, 3, 4, 5, 6, 12, 18, 24])).toThrow(NoInkError);
  });

  it('noise of +-10 grey levels on grey paper is all under the floor: the box is the ink\'s alone', () => {
    const w = 100;
    // paper 0.7 +- 10/255, a uniform spread (every offset -10..10 equally often), ink 0.1 in a 20x30 block
    const grey = Float32Array.from({ length: w * w }, (_, i) => 0.7 + ((((i * 2654435761) >>> 0) % 21) - 10) / 255);
    for (let y = 40; y < 70; y++) grey.fill(0.1, y * w + 30, y * w + 50);
    expect(normaliseGrey(grey, w, w).box).toEqual({ x: 30, y: 40, width: 20, height: 30 });
  });

  it('names the contrast it found and the 26 grey levels it needs', () => {
    const grey = new Float32Array(100);
    grey[55] = 0.05;
    expect(() => normaliseGrey(grey, 10, 10)).toThrow(
      new NoInkError('no ink found: the strongest ink is 13 grey levels from the background, expected at least 26'),
    );
  });

  it('works on a single row and a single column (the border is every pixel once)', () => {
    // 30 border values with one ink pixel: median and median deviation are the background's
    const row = new Float32Array(30);
    row[12] = 1;
    expect(normaliseGrey(row, 30, 1).box).toEqual({ x: 12, y: 0, width: 1, height: 1 });
    const column = new Float32Array(30);
    column[7] = 1;
    expect(normaliseGrey(column, 1, 30).box).toEqual({ x: 0, y: 7, width: 1, height: 1 });
  });
});

describe('normaliseGrey: fit and centre', () => {
  it('a 1-pixel-wide stroke 50 tall fits as 1x20 (the narrow side is at least 1 px)', () => {
    const grey = new Float32Array(60 * 60);
    for (let y = 5; y < 55; y++) grey[y * 60 + 30] = 1;
    const { pixels, box } = normaliseGrey(grey, 60, 60);
    expect(box).toEqual({ x: 30, y: 5, width: 1, height: 50 });
    // fitted 1x20, centre of mass (0, 9.5) -> shift (14, round(4.5) = 5): column 14, rows 5..24
    expect(lit(pixels)).toEqual(Array.from({ length: 20 }, (_, i) => [14, 5 + i]));
    expect(pixels.filter((v) => v > 0).every((v) => Math.abs(v - 1) < 1e-6)).toBe(true); // a column of ones stays ones
  });

  it('the shift that centres the mass is clamped to keep the 20x20 digit inside the field, at both ends', () => {
    // a 20x20 box: a full-strength 4x4 block in one corner and a faint pixel in the opposite corner
    const corner = (heavyAtStart: boolean) => {
      const grey = new Float32Array(30 * 30);
      const [heavy, faint] = heavyAtStart ? [5, 24] : [21, 5];
      for (let y = heavy; y < heavy + 4; y++) grey.fill(1, y * 30 + heavy, y * 30 + heavy + 4);
      grey[faint * 30 + faint] = 0.5;
      return normaliseGrey(grey, 30, 30).pixels;
    };
    // mass at (33.5 / 16.5 = 2.03, same) in the box -> shift round(11.97) = 12, clamped to 28 - 20 = 8: block at 8..11
    const start = corner(true);
    expect(start[8 * 28 + 8]).toBe(1);
    expect(start[11 * 28 + 11]).toBe(1);
    expect(start[27 * 28 + 27]).toBeCloseTo(0.5, 6);
    // mass at (280 / 16.5 = 16.97, same) -> shift round(-2.97) = -3, clamped to 0: faint pixel at (0, 0), block at 16..19
    const end = corner(false);
    expect(end[0]).toBeCloseTo(0.5, 6);
    expect(end[16 * 28 + 16]).toBe(1);
    expect(end[19 * 28 + 19]).toBe(1);
  });
});

describe('resizeArea', () => {
  it('reads only its window of a larger image (offset and row stride)', () => {
    // 4x3 image, window (1, 1) 2x2 -> 1x1: mean of 5, 6, 9, 10
    const src = Float32Array.from({ length: 12 }, (_, i) => i);
    expect([...resizeArea(src, 4, 1, 1, 2, 2, 1, 1)]).toEqual([7.5]);
    expect([...resizeArea(src, 4, 2, 0, 2, 3, 2, 3)]).toEqual([2, 3, 6, 7, 10, 11]);
  });

  it('5 -> 2: output 0 covers [0, 2.5), output 1 covers [2.5, 5) (worked by hand)', () => {
    const out = resizeArea(Float32Array.from([1, 2, 3, 4, 5]), 5, 0, 0, 5, 1, 2, 1);
    expect(out[0]).toBeCloseTo((1 + 2 + 0.5 * 3) / 2.5, 6);
    expect(out[1]).toBeCloseTo((0.5 * 3 + 4 + 5) / 2.5, 6);
  });
});

describe('shrinkBy and large pictures', () => {
  it('averages k x k blocks and drops a trailing partial block', () => {
    const grey = Float32Array.from({ length: 25 }, (_, i) => i); // 5x5
    const { grey: small, width, height } = shrinkBy(grey, 5, 5, 2);
    expect([width, height]).toEqual([2, 2]);
    expect([...small]).toEqual([(0 + 1 + 5 + 6) / 4, (2 + 3 + 7 + 8) / 4, (10 + 11 + 15 + 16) / 4, (12 + 13 + 17 + 18) / 4]);
    const three = shrinkBy(Float32Array.from({ length: 18 }, (_, i) => i % 6), 6, 3, 3);
    expect([three.width, three.height, ...three.grey]).toEqual([2, 1, 1, 4]);
  });

  it('a 600x520 photo is shrunk by 2 first; the ink box comes back in the photo\'s pixels', () => {
    const [w, h] = [600, 520];
    const grey = new Uint8Array(w * h).fill(255);
    for (let y = 100; y < 300; y++) grey.fill(0, y * w + 200, y * w + 280); // a dark 80x200 bar on white
    const digit = normaliseDigit({ width: w, height: h, channels: 1, data: grey, maxValue: 255 });
    expect(digit.inverted).toBe(true);
    expect(digit.box).toEqual({ x: 200, y: 100, width: 80, height: 200 });
    // 40x100 after the shrink -> fitted 8x20 of full ink, mass at (3.5, 9.5) -> shift (round(10.5), round(4.5)) = (11, 5)
    expect(lit(digit.pixels)).toEqual(Array.from({ length: 160 }, (_, i) => [11 + (i % 8), 5 + Math.floor(i / 8)]));
  });

  it('511 px is not shrunk, 512 px is (by 2)', () => {
    const bar = (side: number) => {
      const grey = new Uint8Array(side * side);
      for (let y = 101; y < 141; y++) grey.fill(255, y * side + 101, y * side + 111); // 10x40 at (101, 101)
      return normaliseDigit({ width: side, height: side, channels: 1, data: grey, maxValue: 255 }).box;
    };
    expect(bar(511)).toEqual({ x: 101, y: 101, width: 10, height: 40 });
    // by 2: the odd edges fall into half-covered blocks (ink 0.5), which still count as ink
    expect(bar(512)).toEqual({ x: 100, y: 100, width: 12, height: 42 });
  });
});

describe("normaliseGrey: Fashion-MNIST's framing (longest side 28, the box centred)", () => {
  const FASHION = DATASETS['fashion-mnist'].framing;
  const rect = (x0: number, x1: number, y0: number, y1: number) => {
    const out: number[][] = [];
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) out.push([x, y]);
    return out;
  };

  it('a 10x5 block on a 40x40 picture fills 28x14 rows 7-20, every pixel 1 (worked by hand)', () => {
    const grey = new Float32Array(40 * 40);
    for (let y = 30; y < 35; y++) for (let x = 3; x < 13; x++) grey[y * 40 + x] = 1;
    const { pixels, box } = normaliseGrey(grey, 40, 40, FASHION);
    expect(box).toEqual({ x: 3, y: 30, width: 10, height: 5 });
    expect(lit(pixels)).toEqual(rect(0, 27, 7, 20));
    expect([...pixels].filter((v) => v > 0).every((v) => v === 1)).toBe(true);
  });

  it('the box is centred, not the mass: an L whose ink is mostly on top is not shifted up', () => {
    // 4x2 on a 6x4 black picture: the top row lit, the bottom row only at its left end; x7 scale exactly
    const grey = new Float32Array(6 * 4);
    for (let x = 1; x <= 4; x++) grey[1 * 6 + x] = 1;
    grey[2 * 6 + 1] = 1;
    const { pixels } = normaliseGrey(grey, 6, 4, FASHION);
    const expected = [...rect(0, 27, 7, 13), ...rect(0, 6, 14, 20)].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
    expect(lit(pixels)).toEqual(expected);
    // MNIST's framing of the same picture: 20x10, its centre of mass (x 8, y 3) moved to (14, 14), so it starts at (6, 11)
    expect(lit(normaliseGrey(grey, 6, 4).pixels)[0]).toEqual([6, 11]);
  });
});
