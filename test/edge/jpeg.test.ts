/**
 * edge/encoding/jpeg.ts (the worker's mozjpeg codec, as the worker loads it: a precompiled module) against
 * jpeg-js, a decoder that is not ours, on JPEGs jpeg-js encoded; and the codec's failures as invalid_image.
 */
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { ImageInputError } from '../../edge/encoding/image-input';
import { decodeJpegWasm } from '../../edge/encoding/jpeg';

function photo(width: number, height: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      rgba.set([(x * 255) / (width - 1), (y * 255) / (height - 1), ((x + y) * 255) / (width + height - 2), 255], p);
    }
  }
  return new Uint8Array(jpeg.encode({ width, height, data: rgba }, 92).data);
}

describe('decodeJpegWasm', () => {
  it('decodes to RGBA of the JPEG\'s size, within a few levels of jpeg-js on the same file', async () => {
    const bytes = photo(40, 24);
    const raster = await decodeJpegWasm(bytes);
    const want = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true });
    expect([raster.width, raster.height, raster.channels, raster.maxValue]).toEqual([40, 24, 4, 255]);
    expect(raster.data).toHaveLength(40 * 24 * 4);
    let sum = 0;
    let max = 0;
    for (let i = 0; i < want.data.length; i++) {
      const d = Math.abs(raster.data[i] - want.data[i]);
      sum += d;
      max = Math.max(max, d);
    }
    expect(sum / want.data.length).toBeLessThan(1.5);
    expect(max).toBeLessThanOrEqual(8);
  });

  it('decodes again after the first call (the codec is initialised once)', async () => {
    const [a, b] = await Promise.all([decodeJpegWasm(photo(8, 8)), decodeJpegWasm(photo(16, 8))]);
    expect([a.width, b.width]).toEqual([8, 16]);
  });

  it('reports data the codec cannot decode as invalid_image "corrupt JPEG"', async () => {
    const bytes = photo(16, 16).slice(0, 40);
    const err = await decodeJpegWasm(bytes).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageInputError);
    expect([(err as ImageInputError).status, (err as ImageInputError).code]).toEqual([400, 'invalid_image']);
    expect((err as Error).message).toMatch(/^corrupt JPEG: /);
  });
});
