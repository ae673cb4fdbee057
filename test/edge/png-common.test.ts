/**
 * The common-PNG fast path (edge/encoding/png-chunks.ts decodeCommonPng: 8-bit grey / grey+alpha / RGB /
 * RGBA rows unfiltered without fast-png) against fast-png, the reference decoder, on files from two other
 * encoders: the 820 committed font renderings (resvg's encoder, which picks filters per row) and images
 * libvips writes with adaptive filtering (sharp, installed with miniflare). The files must use all five
 * filter types, or the comparison would prove nothing about the ones they lack.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { decode, encode } from 'fast-png';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ImageInputError, inspectImage } from '../../edge/encoding/image-input';
import { decodeCommonPng, inflateBounded, PngStructureError, walkPng } from '../../edge/encoding/png-chunks';
import { noiseForSeed } from '../../core/rng';

const FONTS = join(import.meta.dirname, '../fixtures/font-digits');

/** Filter type of every row, read with Node's zlib (not the code under test). */
function rowFilters(png: Uint8Array): number[] {
  const walked = walkPng(png, () => {});
  const rows = inflateSync(Buffer.concat(walked.data));
  const stride = walked.header.width * walked.header.channels + 1;
  return Array.from({ length: walked.header.height }, (_, y) => rows[y * stride]);
}

/** Digit-like strokes with a gradient and noise, so libvips's adaptive filtering picks every filter. */
function picture(width: number, height: number, channels: number, seed: number): Buffer {
  const noise = noiseForSeed(seed, height, width * channels);
  const out = Buffer.alloc(width * height * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const stroke = Math.abs(x - width / 2 - (y - height / 2) / 3) < width / 10 ? 200 : 0;
      for (let c = 0; c < channels; c++) {
        const i = (y * width + x) * channels + c;
        const alpha = channels % 2 === 0 && c === channels - 1;
        out[i] = alpha ? Math.min(255, 128 + ((x * 3) % 128)) : Math.max(0, Math.min(255, stroke + (x + y + 40 * c) / 3 + noise[i] * 12));
      }
    }
  }
  return out;
}

async function libvipsPng(width: number, height: number, channels: 1 | 2 | 3 | 4, seed: number): Promise<Uint8Array> {
  const raw = picture(width, height, channels, seed);
  const image = sharp(raw, { raw: { width, height, channels } });
  // libvips writes a 1- or 2-band image as RGB unless told it is grey
  return new Uint8Array(await (channels <= 2 ? image.toColourspace('b-w') : image).png({ adaptiveFiltering: true, compressionLevel: 6 }).toBuffer());
}

async function expectSameAsFastPng(png: Uint8Array, name: string) {
  const reference = decode(png);
  const fast = await decodeCommonPng(walkPng(png, () => {}));
  expect(fast, `${name}: took the fast path`).not.toBeNull();
  expect({ width: fast!.width, height: fast!.height, channels: fast!.channels }, name).toEqual({ width: reference.width, height: reference.height, channels: reference.channels });
  expect(Buffer.from(fast!.data).equals(Buffer.from(reference.data as Uint8Array)), `${name}: pixels equal fast-png's`).toBe(true);
}

describe('decodeCommonPng', () => {
  it('decodes the 820 font renderings (resvg) exactly as fast-png does, over all five filter types', async () => {
    const files = readdirSync(FONTS).filter((f) => f.endsWith('.png'));
    expect(files.length).toBe(820);
    const filters = new Set<number>();
    for (const file of files) {
      const png = new Uint8Array(readFileSync(join(FONTS, file)));
      for (const f of rowFilters(png)) filters.add(f);
      await expectSameAsFastPng(png, file);
    }
    expect([...filters].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('decodes grey, grey+alpha, RGB and RGBA from libvips (adaptive filtering) exactly as fast-png does', async () => {
    const filters = new Set<number>();
    for (const channels of [1, 2, 3, 4] as const) {
      for (const [width, height, seed] of [[1, 1, 1], [7, 3, 2], [64, 40, 3], [280, 280, 4]]) {
        const png = await libvipsPng(width, height, channels, seed);
        expect(decode(png).channels).toBe(channels);
        for (const f of rowFilters(png)) filters.add(f);
        await expectSameAsFastPng(png, `libvips ${width}x${height}x${channels}`);
      }
    }
    expect([...filters].sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('leaves palette, 16-bit, sub-byte, interlaced and tRNS files to fast-png', async () => {
    const grey = new Uint8Array(16 * 16).map((_, i) => i);
    const cases: Record<string, Uint8Array> = {
      palette: encode({ width: 4, height: 4, data: new Uint8Array(16), depth: 8, channels: 1, palette: [[0, 0, 0], [255, 255, 255]] }),
      '16-bit': encode({ width: 16, height: 16, data: new Uint16Array(256).map((_, i) => i * 200), depth: 16, channels: 1 }),
      '1-bit': encode({ width: 16, height: 16, data: new Uint8Array(32), depth: 1, channels: 1 }),
      interlaced: new Uint8Array(await sharp(Buffer.from(grey), { raw: { width: 16, height: 16, channels: 1 } }).png({ progressive: true }).toBuffer()),
    };
    expect(walkPng(cases.interlaced, () => {}).header.interlaced).toBe(true);
    for (const [name, png] of Object.entries(cases)) expect(await decodeCommonPng(walkPng(png, () => {})), name).toBeNull();
    // and the upload path still decodes them (through fast-png)
    for (const png of Object.values(cases)) expect((await inspectImage(png, 'image/png').decode(null as never)).width).toBeGreaterThan(0);
  });

  it('refuses a row with a filter type past 4, naming the row and the type', async () => {
    const png = encode({ width: 8, height: 3, data: new Uint8Array(24).fill(9), depth: 8, channels: 1 });
    const walked = walkPng(png, () => {});
    const rows = inflateSync(Buffer.concat(walked.data));
    rows[2 * 9] = 5; // row 2's filter byte
    const bad = { ...walked, data: [new Uint8Array(deflateSync(rows))] };
    expect(() => decodeCommonPng(bad)).toThrow(PngStructureError);
    expect(() => decodeCommonPng(bad)).toThrow('row 2 has filter type 5; expected 0 to 4');
    // through the upload path it is a 400 invalid_image
    const error = await (async () => {
      try {
        await inspectImage(withImageData(png, new Uint8Array(deflateSync(rows))), 'image/png').decode(null as never);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(ImageInputError);
    expect((error as ImageInputError).status).toBe(400);
    expect((error as ImageInputError).message).toContain('filter type 5');
  });
});

/** `png` with its IDAT chunks replaced by one holding `zlibData` (CRC left 0: the walk does not check it). */
function withImageData(png: Uint8Array, zlibData: Uint8Array): Uint8Array {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const parts: Uint8Array[] = [png.subarray(0, 8)];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    if (type === 'IDAT') {
      if (!parts.some((p) => p.length === 12 + zlibData.length)) {
        const chunk = new Uint8Array(12 + zlibData.length);
        new DataView(chunk.buffer).setUint32(0, zlibData.length);
        chunk.set([73, 68, 65, 84], 4);
        chunk.set(zlibData, 8);
        parts.push(chunk);
      }
    } else {
      parts.push(png.subarray(at, at + 12 + length));
    }
    at += 12 + length;
  }
  return new Uint8Array(Buffer.concat(parts));
}

describe('inflateBounded', () => {
  // Node's zlib writes the streams (not the code under test): a noisy picture's rows of two sizes
  const rows = (bytes: number) => Uint8Array.from(noiseForSeed(7, 1, bytes), (v, i) => ((i >> 6) % 3 === 0 ? 0 : 128 + Math.round(v * 40)));
  for (const bytes of [4_000, 400_000]) {
    const data = rows(bytes);
    const stream = deflateSync(data);
    it(`${bytes} bytes: exactly the rows; one byte fewer or more allowed, half the stream, or a corrupt stream is refused by name`, () => {
      expect(Buffer.from(inflateBounded(stream, data.length)).equals(Buffer.from(data))).toBe(true);
      expect(() => inflateBounded(stream, data.length - 1)).toThrow(`PNG image data inflates past the ${data.length - 1} bytes its header allows (to ${data.length})`);
      expect(() => inflateBounded(stream, data.length + 1)).toThrow(`truncated PNG image data: ${data.length} of the ${data.length + 1} bytes its header implies`);
      expect(() => inflateBounded(stream.subarray(0, stream.length >> 1), data.length)).toThrow(/^truncated PNG image data: \d+ of the/);
      // a block header of type 3 (reserved) right after the zlib header
      expect(() => inflateBounded(Uint8Array.from([0x78, 0x9c, 0x07, 0, 0]), data.length)).toThrow(/^corrupt PNG image data: \S/);
    });
  }

  it('a stream that would inflate to 256 MiB stops 64 KiB past a 1 MiB budget, without the memory', () => {
    const bomb = deflateSync(new Uint8Array(1 << 28), { level: 9 });
    const before = process.memoryUsage().rss;
    // zlib's cap: the budget plus 64 KiB = 1,114,112 bytes
    expect(() => inflateBounded(bomb, 1 << 20)).toThrow('PNG image data inflates past the 1048576 bytes its header allows (and past 1114112)');
    // inflated whole it would add 256 MiB; capped, a few MiB at most
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
  });
});
