import { decode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { encodeRepeatedRows, gridPng, imagePng, tileGrid, toByte } from '../../core/png';

describe('PNG writer', () => {
  it('maps [0,1] floats to bytes, clamping out-of-range and NaN', () => {
    expect([toByte(-1), toByte(0), toByte(0.5), toByte(1), toByte(2), toByte(NaN)]).toEqual([0, 0, 128, 255, 255, 0]);
  });

  it('encodes a 28x28 greyscale PNG that decodes to the same pixels', async () => {
    const pixels = Float32Array.from({ length: 784 }, (_, i) => (i % 28) / 27);
    const png = decode(await imagePng(pixels));
    expect([png.width, png.height, png.channels, png.depth]).toEqual([28, 28, 1, 8]);
    expect(png.data[27]).toBe(255);
    expect(png.data[28]).toBe(0);
  });

  it('lays tiles out 8 per row, scaled by nearest neighbour', async () => {
    const count = 10;
    const pixels = Float32Array.from({ length: count * 784 }, (_, i) => Math.floor(i / 784) / 9);
    const { width, height, bytes } = tileGrid(pixels, count, { columns: 8, scale: 2 });
    expect([width, height]).toEqual([8 * 28 * 2, 2 * 28 * 2]);
    // tile 9 is the second tile of row two; every one of its scaled pixels carries its value
    const y = 28 * 2 + 5;
    const x = 28 * 2 + 7;
    expect(bytes[y * width + x]).toBe(toByte(9 / 9));
    expect(bytes[0]).toBe(0);
    const png = decode(await gridPng(pixels, count, { columns: 8, scale: 2 }));
    expect([png.width, png.height]).toEqual([448, 112]);
  });

  it('rejects pixel arrays that do not match the tile count', () => {
    expect(() => tileGrid(new Float32Array(100), 1)).toThrow(/expected 1 tiles of 784 pixels, got 100 values/);
  });

  it('encodeRepeatedRows refuses a repeat that is not an integer >= 1 and a pixel count that is not width x rows', async () => {
    const image = { bytes: new Uint8Array(6), width: 3, rows: 2, repeat: 1 };
    await expect(encodeRepeatedRows({ ...image, repeat: 0 })).rejects.toThrow(new RangeError('repeat must be an integer >= 1, got 0'));
    await expect(encodeRepeatedRows({ ...image, repeat: 1.5 })).rejects.toThrow('repeat must be an integer >= 1, got 1.5');
    await expect(encodeRepeatedRows({ ...image, repeat: -2 })).rejects.toThrow('repeat must be an integer >= 1, got -2');
    await expect(encodeRepeatedRows({ ...image, bytes: new Uint8Array(5) })).rejects.toThrow('expected 3x2=6 pixels, got 5');
    const png = decode(await encodeRepeatedRows({ ...image, bytes: Uint8Array.from([1, 2, 3, 4, 5, 6]), repeat: 2 }));
    expect([png.width, png.height]).toEqual([3, 4]);
    expect(Array.from(png.data)).toEqual([1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
  });
});
