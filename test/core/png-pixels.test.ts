/**
 * Every pixel of the PNGs core/png.ts writes, decoded by fast-png's decoder and compared with a layout
 * computed here from first principles (per output pixel: which tile, which source pixel, or gap/padding),
 * over tile counts, column counts, scales and gaps.
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng';
import { encodeGreyPng, gridPng, imagePng, tileGrid, toByte } from '../../core/png';

const SIDE = 28;

/** Float in [0,1] -> byte, written independently of toByte: round half up, clamp, NaN -> 0. */
function refByte(v: number): number {
  if (Number.isNaN(v)) return 0;
  return Math.min(255, Math.max(0, Math.floor(v * 255 + 0.5)));
}

/** The expected grey value at output pixel (X, Y). */
function expectedPixel(pixels: Float32Array, count: number, columns: number, scale: number, gap: number, X: number, Y: number): number {
  const cx = Math.floor(X / scale);
  const cy = Math.floor(Y / scale);
  const col = Math.floor(cx / (SIDE + gap));
  const row = Math.floor(cy / (SIDE + gap));
  const x = cx % (SIDE + gap);
  const y = cy % (SIDE + gap);
  if (x >= SIDE || y >= SIDE) return 0; // gap
  const tile = row * Math.min(columns, count) + col;
  if (tile >= count) return 0; // the empty end of the last row
  return refByte(pixels[tile * SIDE * SIDE + y * SIDE + x]);
}

function randomPixels(count: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = Float32Array.from({ length: count * SIDE * SIDE }, () => rng.uniform() * 1.2 - 0.1); // some out of [0,1]
  out[3] = Number.NaN;
  return out;
}

describe('gridPng, pixel by pixel', () => {
  const cases: Array<[number, number, number, number]> = [
    // count, columns, scale, gap
    [1, 8, 1, 0],
    [7, 8, 1, 0],
    [8, 8, 2, 0],
    [9, 8, 1, 0],
    [12, 8, 2, 0],
    [10, 3, 1, 2],
    [5, 2, 3, 1],
    [16, 4, 1, 4],
  ];
  it.each(cases)('%i tiles, %i columns, scale %i, gap %i', async (count, columns, scale, gap) => {
    const pixels = randomPixels(count, count * 100 + columns * 10 + scale + gap);
    const png = decode(await gridPng(pixels, count, { columns, scale, gap }));
    const cols = Math.min(columns, count);
    const rows = Math.ceil(count / cols);
    expect([png.width, png.height, png.channels, png.depth]).toEqual([(cols * (SIDE + gap) - gap) * scale, (rows * (SIDE + gap) - gap) * scale, 1, 8]);
    const data = png.data as Uint8Array;
    let mismatches = 0;
    for (let Y = 0; Y < png.height; Y++) {
      for (let X = 0; X < png.width; X++) {
        if (data[Y * png.width + X] !== expectedPixel(pixels, count, columns, scale, gap, X, Y)) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });

  it('tileGrid gives the same bytes the PNG decodes to', async () => {
    const pixels = randomPixels(6, 1);
    const { bytes, width, height } = tileGrid(pixels, 6, { columns: 4, scale: 2, gap: 1 });
    const png = decode(await encodeGreyPng(bytes, width, height));
    expect(Buffer.from(png.data as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
  });

  it('imagePng is one tile, every pixel, at any scale', async () => {
    const pixels = randomPixels(1, 2);
    for (const scale of [1, 3]) {
      const png = decode(await imagePng(pixels, scale));
      expect([png.width, png.height]).toEqual([SIDE * scale, SIDE * scale]);
      const data = png.data as Uint8Array;
      for (let Y = 0; Y < png.height; Y++) {
        for (let X = 0; X < png.width; X++) expect(data[Y * png.width + X]).toBe(expectedPixel(pixels, 1, 8, scale, 0, X, Y));
      }
    }
  });
});

describe('toByte', () => {
  it('matches the reference rounding on a fine sweep, the .5 boundaries included', () => {
    for (let i = -20; i <= 2 * 255 + 20; i++) {
      const v = i / 510; // hits every k/255 and every (k + 0.5)/255
      expect(toByte(v), `v=${v}`).toBe(refByte(v));
    }
    expect([toByte(Number.NaN), toByte(-0), toByte(Infinity), toByte(-Infinity)]).toEqual([0, 0, 255, 0]);
  });
});

describe('encodeGreyPng', () => {
  it('rejects a byte count that is not width x height, naming both', () => {
    expect(() => encodeGreyPng(new Uint8Array(10), 3, 3)).toThrow(/expected 3x3=9 pixels, got 10/);
  });
});
