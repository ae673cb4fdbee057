/**
 * edge/encoding/images.ts in Node: the grid and the per-image PNGs the API returns, every pixel decoded by
 * fast-png and base64 decoded by Node's Buffer (implementations that are not ours).
 */
import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { IMAGE_PIXELS } from '../../core/contract';
import { Rng } from '../../core/rng';
import { encodeGrid, encodeTiles, GRID_COLUMNS, toBase64 } from '../../edge/encoding/images';

const byte = (v: number) => (Number.isNaN(v) || v <= 0 ? 0 : v >= 1 ? 255 : Math.floor(v * 255 + 0.5));

function pixels(count: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: count * IMAGE_PIXELS }, () => rng.uniform());
}

describe('encodeGrid', () => {
  it.each([
    [1, 1],
    [8, 1],
    [9, 2],
    [13, 3],
  ])('%i images at scale %i: 8 per row, request order, no gaps, every pixel', async (count, scale) => {
    const p = pixels(count, count * 7 + scale);
    const png = decode(await encodeGrid(p, count, scale));
    const cols = Math.min(GRID_COLUMNS, count);
    expect(GRID_COLUMNS).toBe(8);
    expect([png.width, png.height, png.channels]).toEqual([cols * 28 * scale, Math.ceil(count / cols) * 28 * scale, 1]);
    const data = png.data as Uint8Array;
    let wrong = 0;
    for (let Y = 0; Y < png.height; Y++) {
      for (let X = 0; X < png.width; X++) {
        const tile = Math.floor(Y / (28 * scale)) * cols + Math.floor(X / (28 * scale));
        const x = Math.floor(X / scale) % 28;
        const y = Math.floor(Y / scale) % 28;
        const want = tile < count ? byte(p[tile * IMAGE_PIXELS + y * 28 + x]) : 0;
        if (data[Y * png.width + X] !== want) wrong++;
      }
    }
    expect(wrong).toBe(0);
  });
});

describe('encodeTiles', () => {
  it('one base64 28x28 PNG per image, in request order, every pixel', async () => {
    const count = 5;
    const p = pixels(count, 3);
    const tiles = await encodeTiles(p, count);
    expect(tiles).toHaveLength(count);
    tiles.forEach((b64, i) => {
      expect(b64).toMatch(/^[A-Za-z0-9+/]+=*$/);
      const png = decode(Buffer.from(b64, 'base64'));
      expect([png.width, png.height]).toEqual([28, 28]);
      const expected = Array.from(p.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), byte);
      expect(Array.from(png.data as Uint8Array)).toEqual(expected);
    });
  });
});

describe('toBase64', () => {
  it('matches Node\'s base64 for every length around the chunk size and every byte value', () => {
    const rng = new Rng(4);
    for (const n of [0, 1, 2, 3, 255, 0x7fff, 0x8000, 0x8001, 0x10000 + 5]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (n < 300 ? i % 256 : rng.int(256)));
      expect(toBase64(bytes), `n=${n}`).toBe(Buffer.from(bytes).toString('base64'));
    }
  });
});
