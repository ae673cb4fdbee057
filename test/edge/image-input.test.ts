/**
 * edge/encoding/image-input.ts on hand-built files: PNGs framed here with Node's zlib (deflate, CRC-32) and
 * JPEG marker streams written byte by byte, so each check of the header reader (signature, IHDR, chunk
 * bounds, SOF markers, fill bytes, size limits), the inflate budget and the codec wrapper is hit by a file
 * made for it, and every error is checked by status, code and message.
 */
import { crc32, deflateSync } from 'node:zlib';
import { encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { inflatedSize, parseIhdr } from '../../edge/encoding/png-chunks';
import {
  decodeImage,
  ImageInputError,
  jpegDecoderOf,
  type JpegDecoder,
  MAX_SIDE,
  readHeader,
  sniffType,
} from '../../edge/encoding/image-input';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function be32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

/** One PNG chunk: length, type, data, CRC-32 of type + data. */
function chunk(type: string, data: ArrayLike<number> = []): number[] {
  const body = Uint8Array.from([...Buffer.from(type, 'latin1'), ...Array.from(data)]);
  return [...be32(data.length), ...body, ...be32(crc32(body))];
}

function ihdr(width: number, height: number, depth = 8, colour = 0): number[] {
  return chunk('IHDR', [...be32(width), ...be32(height), depth, colour, 0, 0, 0]);
}

/** A PNG from chunks (signature prepended). */
const png = (...chunks: number[][]) => Uint8Array.from([...SIGNATURE, ...chunks.flat()]);

/** A valid w x h 8-bit grey PNG with filter-None rows of `rows(y)`. */
function greyPng(width: number, height: number, row = (y: number, x: number) => (x * 16 + y) & 0xff, extra: number[][] = []): Uint8Array {
  const raw: number[] = [];
  for (let y = 0; y < height; y++) raw.push(0, ...Array.from({ length: width }, (_, x) => row(y, x)));
  return png(ihdr(width, height), ...extra, chunk('IDAT', deflateSync(Uint8Array.from(raw))), chunk('IEND'));
}

/**
 * A zlib stream written by hand: `padding` empty stored blocks (5 bytes each, inflating to nothing) and one
 * final stored block of `data`, then its Adler-32. Many compressed bytes for few inflated ones.
 */
function storedZlib(data: Uint8Array, padding: number): Uint8Array {
  const out: number[] = [0x78, 0x01];
  for (let i = 0; i < padding; i++) out.push(0x00, 0x00, 0x00, 0xff, 0xff);
  const n = data.length;
  out.push(0x01, n & 0xff, n >> 8, ~n & 0xff, (~n >> 8) & 0xff, ...data);
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  out.push(...be32(((b << 16) | a) >>> 0));
  return Uint8Array.from(out);
}

function caught(fn: () => unknown): ImageInputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ImageInputError);
    return err as ImageInputError;
  }
  throw new Error('expected an ImageInputError');
}

async function caughtAsync(promise: Promise<unknown>): Promise<ImageInputError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ImageInputError);
    return err as ImageInputError;
  }
  throw new Error('expected an ImageInputError');
}

const invalid = (message: string | RegExp) => ({ status: 400, code: 'invalid_image', message });
const noJpeg: JpegDecoder = async () => {
  throw new Error('no JPEG expected here');
};

/** A JPEG marker stream: SOI, then segments. */
const jpeg = (...parts: number[][]) => Uint8Array.from([0xff, 0xd8, ...parts.flat()]);
const segment = (marker: number, payload: number[] = []) => [0xff, marker, ((payload.length + 2) >> 8) & 0xff, (payload.length + 2) & 0xff, ...payload];
const sof = (marker: number, width: number, height: number) => segment(marker, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, 1, 1, 0x11, 0]);

describe('ImageInputError', () => {
  it('is an Error named ImageInputError carrying the status and code', () => {
    const err = new ImageInputError(415, 'unsupported_media_type', 'nope');
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.status, err.code, err.message]).toEqual(['ImageInputError', 415, 'unsupported_media_type', 'nope']);
  });
});

describe('sniffType', () => {
  it('the 8-byte PNG signature alone is a PNG; any one byte of it changed is not', () => {
    expect(sniffType(Uint8Array.from(SIGNATURE))).toBe('image/png');
    for (let i = 0; i < 8; i++) {
      const bytes = Uint8Array.from(SIGNATURE);
      bytes[i] ^= 0x20;
      expect(sniffType(bytes), `byte ${i}`).toBeNull();
    }
    expect(sniffType(Uint8Array.from(SIGNATURE.slice(0, 7)))).toBeNull();
  });

  it('FF D8 FF is a JPEG, even with nothing after it; any one of the three changed is not', () => {
    expect(sniffType(Uint8Array.from([0xff, 0xd8, 0xff]))).toBe('image/jpeg');
    expect(sniffType(Uint8Array.from([0x00, 0xd8, 0xff]))).toBeNull();
    expect(sniffType(Uint8Array.from([0xff, 0xd9, 0xff]))).toBeNull();
    expect(sniffType(Uint8Array.from([0xff, 0xd8, 0xfe]))).toBeNull();
    expect(sniffType(Uint8Array.from([0xff, 0xd8]))).toBeNull();
    expect(sniffType(new Uint8Array(0))).toBeNull();
  });
});

describe('readHeader: PNG', () => {
  it('reads width and height as big-endian 32-bit values; the inflated size is rows x (filter byte + packed samples)', () => {
    expect(readHeader(greyPng(300, 2))).toEqual({ type: 'image/png', width: 300, height: 2, orientation: 1, animated: false });
    const header = (w: number, h: number, depth: number, colour: number, interlace = 0) =>
      parseIhdr(Uint8Array.from([...be32(w), ...be32(h), depth, colour, 0, 0, interlace]), 0);
    expect(inflatedSize(header(3, 2, 16, 6))).toBe((1 + 24) * 2);
    expect(inflatedSize(header(5, 3, 1, 0))).toBe((1 + 1) * 3);
    expect(inflatedSize(header(7, 1, 8, 4))).toBe(1 + 14);
    expect(inflatedSize(header(7, 1, 8, 2))).toBe(1 + 21);
    expect(inflatedSize(header(7, 1, 4, 3))).toBe(1 + 4);
    // Adam7 on 8x8 grey: passes of 1x1, 1x1, 2x1, 2x2, 4x2, 4x4, 8x4 pixels (PNG spec, figure 8.2), worked by hand
    expect(inflatedSize(header(8, 8, 8, 0, 1))).toBe(2 + 2 + 3 + 2 * 3 + 2 * 5 + 4 * 5 + 4 * 9);
    // 1x1 interlaced: only the first pass has a pixel
    expect(inflatedSize(header(1, 1, 8, 0, 1))).toBe(2);
  });

  it('an acTL chunk (an animated PNG) is reported as animated', () => {
    const apng = png(ihdr(1, 1), chunk('acTL', [0, 0, 0, 1, 0, 0, 0, 0]), chunk('IDAT', [0]), chunk('IEND'));
    expect(readHeader(apng).animated).toBe(true);
  });

  it('stops at IEND: chunks after it are neither read nor bounds-checked', () => {
    const bytes = Uint8Array.from([...greyPng(2, 2), ...chunk('acTL', [0, 0, 0, 1, 0, 0, 0, 0]), 0, 0, 0, 99, 0x49, 0x44, 0x41, 0x54]);
    expect(readHeader(bytes)).toMatchObject({ width: 2, height: 2, animated: false });
  });

  it('accepts 1024 px sides and refuses 1025 on either side, from the header alone', () => {
    expect(readHeader(png(ihdr(MAX_SIDE, MAX_SIDE), chunk('IDAT', [0]), chunk('IEND')))).toMatchObject({ width: 1024, height: 1024 });
    for (const [w, h] of [
      [1025, 1],
      [1, 1025],
    ]) {
      expect(caught(() => readHeader(png(ihdr(w, h), chunk('IDAT', [0]), chunk('IEND'))))).toMatchObject({
        status: 400,
        code: 'image_too_large',
        message: `image is ${w}x${h}; expected at most 1024x1024 (checked from the header, nothing was decoded)`,
      });
    }
  });

  it('a width with the top bit set is a huge width, not a negative one', () => {
    const bytes = png(ihdr(0x80000001, 1), chunk('IDAT', [0]), chunk('IEND'));
    expect(caught(() => readHeader(bytes))).toMatchObject({ code: 'image_too_large', message: expect.stringMatching(/^image is 2147483649x1;/) });
  });

  it('a zero side is refused', () => {
    expect(caught(() => readHeader(png(ihdr(0, 5), chunk('IDAT', [0]), chunk('IEND'))))).toMatchObject(invalid('image is 0x5; expected at least 1x1'));
    expect(caught(() => readHeader(png(ihdr(5, 0), chunk('IDAT', [0]), chunk('IEND'))))).toMatchObject(invalid('image is 5x0; expected at least 1x1'));
  });

  it('refuses colour types and bit depths PNG does not define', () => {
    for (const [depth, colour] of [
      [8, 1],
      [8, 5],
      [8, 7],
      [3, 0],
      [0, 0],
      [32, 2],
    ]) {
      const bytes = png(ihdr(2, 2, depth, colour), chunk('IDAT', [0]), chunk('IEND'));
      expect(caught(() => readHeader(bytes))).toMatchObject(invalid(`PNG colour type ${colour} with bit depth ${depth} is not valid`));
    }
    for (const [depth, colour] of [
      [1, 0],
      [2, 0],
      [4, 3],
      [16, 0],
      [16, 2],
      [8, 4],
      [16, 6],
    ]) {
      const plte = colour === 3 ? [chunk('PLTE', [0, 0, 0])] : [];
      expect(readHeader(png(ihdr(2, 2, depth, colour), ...plte, chunk('IDAT', [0]), chunk('IEND'))).type).toBe('image/png');
    }
  });

  it('needs a whole IHDR: 32 bytes is truncated, and the first chunk must be IHDR', () => {
    const whole = greyPng(2, 2);
    const noIhdr = invalid('truncated PNG: the first chunk is not a 13-byte IHDR');
    expect(caught(() => readHeader(whole.slice(0, 32)))).toMatchObject(noIhdr);
    expect(caught(() => readHeader(Uint8Array.from(SIGNATURE)))).toMatchObject(noIhdr);
    const renamed = whole.slice();
    renamed[15] = 0x58; // IHDR -> IHDX
    expect(caught(() => readHeader(renamed))).toMatchObject(noIhdr);
    // exactly 33 bytes (signature + IHDR) is read, and then has no image data
    expect(caught(() => readHeader(png(ihdr(2, 2))))).toMatchObject(invalid('truncated PNG: no image data (IDAT)'));
  });

  it('a chunk running past the end is named with the file size; a chunk ending exactly at the end is fine', () => {
    const idat = chunk('IDAT', deflateSync(Uint8Array.from([0, 1, 2])));
    const cut = png(ihdr(2, 1), idat).slice(0, -1);
    expect(caught(() => readHeader(cut))).toMatchObject(invalid(`truncated PNG: chunk "IDAT" runs past the end of the ${cut.length} bytes`));
    expect(readHeader(png(ihdr(2, 1), idat))).toMatchObject({ width: 2, height: 1 }); // no IEND, nothing past the end
    // fewer than 8 bytes left after the last chunk: not a chunk header, ignored; 8 bytes are one, cut short
    expect(readHeader(Uint8Array.from([...png(ihdr(2, 1), idat), 0, 0, 0, 0, 0x49, 0x45, 0x4e]))).toMatchObject({ width: 2 });
    const eight = Uint8Array.from([...png(ihdr(2, 1), idat), 0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44]);
    expect(caught(() => readHeader(eight))).toMatchObject(invalid(`truncated PNG: chunk "IEND" runs past the end of the ${eight.length} bytes`));
  });

  it('no IDAT chunk at all is truncated image data', () => {
    expect(caught(() => readHeader(png(ihdr(2, 2), chunk('IEND'))))).toMatchObject(invalid('truncated PNG: no image data (IDAT)'));
  });
});

describe('readHeader: JPEG', () => {
  it('skips APPn, DHT, fill bytes and other segments to the frame header and reads its size', () => {
    const bytes = jpeg(segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0]), [0xff], segment(0xc4, [0, 1, 2]), segment(0xdb, Array(65).fill(1)), sof(0xc2, 772, 258));
    expect(readHeader(bytes)).toEqual({ type: 'image/jpeg', width: 772, height: 258, orientation: 1, components: 1, scans: 0 });
  });

  it('every SOF marker (C0-C3, C5-C7, C9-CB, CD-CF) is a frame header', () => {
    for (const marker of [0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]) {
      expect(readHeader(jpeg(sof(marker, 31, 17))), marker.toString(16)).toMatchObject({ type: 'image/jpeg', width: 31, height: 17 });
    }
  });

  it('C4 (DHT), C8 (JPG) and CC (DAC) are not frame headers: skipped as segments', () => {
    for (const marker of [0xc4, 0xc8, 0xcc]) {
      // a segment that would read as 31x17 were it a frame header, then the real frame
      expect(readHeader(jpeg(sof(marker, 31, 17), sof(0xc0, 5, 6))), marker.toString(16)).toMatchObject({ type: 'image/jpeg', width: 5, height: 6 });
    }
  });

  it('refuses sides over 1024 and zero sides from the frame header', () => {
    expect(readHeader(jpeg(sof(0xc0, 1024, 1024)))).toMatchObject({ width: 1024, height: 1024 });
    expect(caught(() => readHeader(jpeg(sof(0xc0, 1025, 8))))).toMatchObject({ code: 'image_too_large' });
    expect(caught(() => readHeader(jpeg(sof(0xc0, 8, 1025))))).toMatchObject({ code: 'image_too_large' });
    expect(caught(() => readHeader(jpeg(sof(0xc0, 0, 8))))).toMatchObject(invalid('image is 0x8; expected at least 1x1'));
  });

  const noFrame = invalid('truncated or corrupt JPEG: no frame header (SOF) before the image data');

  it('scan data (DA) or the end (D9) before any frame header: no frame header', () => {
    expect(caught(() => readHeader(jpeg(segment(0xe0, [1]), segment(0xda, [1, 2]), sof(0xc0, 8, 8))))).toMatchObject(
      invalid('corrupt JPEG: scan data (SOS) before the frame header (SOF)'),
    );
    expect(caught(() => readHeader(jpeg([0xff, 0xd9], sof(0xc0, 8, 8))))).toMatchObject(noFrame);
    // D9 and DA carry no length to skip by: bytes after them that read like one are not followed
    expect(caught(() => readHeader(jpeg([0xff, 0xd9, 0x00, 0x04, 0x00, 0x00], sof(0xc0, 8, 8))))).toMatchObject(noFrame);
    expect(caught(() => readHeader(jpeg([0xff, 0xda, 0x00, 0x04, 0x00, 0x00], sof(0xc0, 8, 8))))).toMatchObject({ code: 'invalid_image' });
  });

  it('a frame header cut short, or nothing after SOI: no frame header', () => {
    const whole = jpeg(sof(0xc0, 8, 8));
    // the size is there after 9 bytes, but a frame header is read whole (its components decide the decoder)
    expect(caught(() => readHeader(whole.slice(0, 11)))).toMatchObject(invalid('truncated JPEG frame header'));
    expect(caught(() => readHeader(whole.slice(0, 10)))).toMatchObject(invalid('truncated JPEG frame header'));
    expect(caught(() => readHeader(Uint8Array.from([0xff, 0xd8, 0xff])))).toMatchObject(noFrame);
    expect(caught(() => readHeader(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0x00])))).toMatchObject(noFrame);
  });

  it('a segment length that lands off a marker is corrupt, naming the byte', () => {
    const bytes = jpeg(segment(0xe0, [1, 2, 3]), [0x12, 0x34, 0x56, 0x78], sof(0xc0, 8, 8));
    expect(caught(() => readHeader(bytes))).toMatchObject(invalid('corrupt JPEG: expected a marker at byte 9, found 0x12'));
  });

  it('reads the frame when it starts right after SOI (no other segment) and when 4 bytes remain after the marker walk', () => {
    expect(readHeader(jpeg(sof(0xc1, 2, 3)))).toMatchObject({ width: 2, height: 3 });
  });
});

describe('readHeader: neither', () => {
  it('an empty body and an unknown signature are told apart', () => {
    expect(caught(() => readHeader(new Uint8Array(0)))).toMatchObject(invalid('the body is empty; expected a PNG or JPEG image'));
    expect(caught(() => readHeader(new TextEncoder().encode('GIF89a')))).toMatchObject(
      invalid('the body is not a PNG or JPEG image (unrecognised signature)'),
    );
  });
});

describe('decodeImage: PNG', () => {
  it('decodes 8-bit grey to one sample per pixel with maxValue 255', async () => {
    const { raster, header } = await decodeImage(greyPng(3, 2), noJpeg);
    expect(raster).toEqual({ width: 3, height: 2, channels: 1, data: Uint8Array.from([0, 16, 32, 1, 17, 33]), maxValue: 255 });
    expect(header).toMatchObject({ type: 'image/png', width: 3, height: 2 });
  });

  it('a palette with transparency becomes RGBA, one without it RGB', async () => {
    const indices = Uint8Array.from([0, 1, 1, 0, 1, 0]); // 3x2
    const rgba = (await decodeImage(encode({ width: 3, height: 2, data: indices, depth: 8, channels: 1, palette: [[255, 0, 0, 255], [0, 0, 255, 0]] }), noJpeg)).raster;
    expect([rgba.width, rgba.height, rgba.channels, rgba.data.length, rgba.maxValue]).toEqual([3, 2, 4, 24, 255]);
    const rgb = (await decodeImage(encode({ width: 2, height: 1, data: Uint8Array.from([0, 1]), depth: 8, channels: 1, palette: [[255, 0, 0], [0, 0, 255]] }), noJpeg)).raster;
    expect([rgb.channels, [...rgb.data]]).toEqual([3, [255, 0, 0, 0, 0, 255]]);
  });

  it('a 2-bit grey PNG packs four samples a byte, the first in the top bits (worked by hand)', async () => {
    // row 0: samples 3 0 1 2 -> 0b11_00_01_10 = 0xC6; row 1: 0 3 -> 0b00_11_0000 = 0x30
    const bytes = png(ihdr(4, 2, 2, 0), chunk('IDAT', deflateSync(Uint8Array.from([0, 0xc6, 0, 0x30]))), chunk('IEND'));
    const raster = (await decodeImage(bytes, noJpeg)).raster;
    expect([raster.maxValue, [...raster.data]]).toEqual([3, [3, 0, 1, 2, 0, 3, 0, 0]]);
  });

  it('data that inflates past the header\'s budget is refused before fast-png decodes it', async () => {
    // a 1x1 grey PNG (filter byte + 1 sample = 2 bytes) whose IDAT is 20 kB of incompressible data
    const noise = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 2654435761) >>> 24);
    const bytes = png(ihdr(1, 1), chunk('IDAT', deflateSync(noise, { level: 0 })), chunk('IEND'));
    expect(await caughtAsync(decodeImage(bytes, noJpeg))).toMatchObject(invalid('PNG image data inflates past the 2 bytes its header allows (to 20000)'));
  });

  it('inflating to exactly the budget is accepted; one byte more is refused', async () => {
    // 1x1 grey: 2 bytes; 3300 empty stored blocks make the stream 16.5 kB (many slices)
    const exactly = png(ihdr(1, 1), chunk('IDAT', storedZlib(Uint8Array.from([0, 77]), 3300)), chunk('IEND'));
    expect((await decodeImage(exactly, noJpeg)).raster).toMatchObject({ width: 1, height: 1, data: Uint8Array.from([77]) });
    const over = png(ihdr(1, 1), chunk('IDAT', storedZlib(new Uint8Array(3), 3300)), chunk('IEND'));
    expect(await caughtAsync(decodeImage(over, noJpeg))).toMatchObject(invalid('PNG image data inflates past the 2 bytes its header allows (to 3)'));
    const under = png(ihdr(1, 1), chunk('IDAT', storedZlib(new Uint8Array(1), 3300)), chunk('IEND'));
    expect(await caughtAsync(decodeImage(under, noJpeg))).toMatchObject(invalid('truncated PNG image data: 1 of the 2 bytes its header implies'));
  });

  it('a large deflate stream cut short is found by the budget check, which ends the stream at the last IDAT', async () => {
    const [w, h] = [1000, 20];
    const raw: number[] = [];
    for (let y = 0; y < h; y++) raw.push(0, ...Array.from({ length: w }, (_, x) => ((x * 2654435761 + y) >>> 24) & 0xff));
    const data = deflateSync(Uint8Array.from(raw), { level: 0 });
    const cut = data.subarray(0, data.length - 100);
    const bytes = png(ihdr(w, h), chunk('IDAT', cut.subarray(0, 9000)), chunk('IDAT', cut.subarray(9000)), chunk('IEND'));
    expect(await caughtAsync(decodeImage(bytes, noJpeg))).toMatchObject(invalid(/^truncated PNG image data: \d+ of the 20020 bytes its header implies$/));
  });

  it('ancillary chunks are skipped unread, even compressed ones; an unknown critical chunk is refused', async () => {
    const big = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 2654435761) >>> 24);
    const iccp = chunk('iCCP', [...Buffer.from('p\0\0', 'latin1'), ...deflateSync(new Uint8Array(4_000_000))]);
    const bytes = greyPng(4, 4, undefined, [chunk('zzZz', big), iccp, chunk('zTXt', [0x61, 0, 0, 1, 2, 3])]);
    expect((await decodeImage(bytes, noJpeg)).raster).toMatchObject({ width: 4, height: 4 });
    expect(caught(() => readHeader(greyPng(4, 4, undefined, [chunk('ZZZZ', [1])])))).toMatchObject(invalid('the PNG has an unknown critical chunk "ZZZZ"'));
  });

  it('a large PNG split over several IDAT chunks passes the budget check and decodes', async () => {
    const [w, h] = [200, 120];
    const raw: number[] = [];
    for (let y = 0; y < h; y++) raw.push(0, ...Array.from({ length: w }, (_, x) => ((x * 2654435761 + y * 40503) >>> 13) & 0xff));
    const data = deflateSync(Uint8Array.from(raw), { level: 0 });
    expect(data.length * 1032).toBeGreaterThan(16 * 1024 * 1024); // large enough to be checked
    const parts = [data.subarray(0, 7000), data.subarray(7000, 15000), data.subarray(15000)];
    const bytes = png(ihdr(w, h), ...parts.map((p) => chunk('IDAT', p)), chunk('IEND'));
    const { raster } = await decodeImage(bytes, noJpeg);
    expect([raster.width, raster.height, raster.data.length]).toEqual([w, h, w * h]);
    expect(raster.data[5 * w + 7]).toBe(raw[5 * (w + 1) + 1 + 7]);
  });

  it('corrupt compressed data is "not a zlib stream" or "corrupt PNG image data"; a bad row filter is named with its row', async () => {
    const garbage = Uint8Array.from({ length: 17_000 }, (_, i) => (i * 7 + 3) & 0xff);
    const large = png(ihdr(1, 1), chunk('IDAT', garbage), chunk('IEND'));
    expect(await caughtAsync(decodeImage(large, noJpeg))).toMatchObject(invalid('PNG image data is not a zlib stream'));
    const header = [0x78, 0x9c];
    const bad = png(ihdr(4, 4), chunk('IDAT', [...header, 0xff, 0xff, 0xff]), chunk('IEND'));
    expect((await caughtAsync(decodeImage(bad, noJpeg))).message).toMatch(/^corrupt PNG image data: \S/);
    const filter9 = png(ihdr(1, 1), chunk('IDAT', deflateSync(Uint8Array.from([9, 0]))), chunk('IEND'));
    expect(await caughtAsync(decodeImage(filter9, noJpeg))).toMatchObject(invalid('corrupt PNG image data: row 0 has filter type 9; expected 0 to 4'));
  });

  it('a declared type that is not the body\'s is refused, naming both', async () => {
    expect(await caughtAsync(decodeImage(greyPng(2, 2), noJpeg, 'image/jpeg'))).toMatchObject(
      invalid('the body is a PNG image but Content-Type says image/jpeg'),
    );
    expect(await caughtAsync(decodeImage(jpeg(sof(0xc0, 8, 8)), noJpeg, 'image/png'))).toMatchObject(
      invalid('the body is a JPEG image but Content-Type says image/png'),
    );
    expect((await decodeImage(greyPng(2, 2), noJpeg, 'image/png')).raster.width).toBe(2);
  });
});

describe('decodeImage: JPEG through jpegDecoderOf', () => {
  const image = { width: 2, height: 1, data: new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 255]) };

  it('waits for ready() once per call, hands the codec a copy of exactly the upload\'s bytes, and returns RGBA', async () => {
    const calls: string[] = [];
    let given: ArrayBuffer | null = null;
    const decoder = jpegDecoderOf(
      async () => void calls.push('ready'),
      async (buffer) => {
        calls.push('decode');
        given = buffer;
        return image;
      },
    );
    const file = jpeg(sof(0xc0, 2, 1));
    const padded = new Uint8Array(file.length + 10);
    padded.set(file, 5);
    const upload = padded.subarray(5, 5 + file.length);
    const { raster, header } = await decodeImage(upload, decoder, 'image/jpeg');
    expect(calls).toEqual(['ready', 'decode']);
    expect(given).not.toBe(padded.buffer);
    expect(new Uint8Array(given!)).toEqual(file);
    expect(raster).toEqual({ width: 2, height: 1, channels: 4, data: image.data, maxValue: 255 });
    expect(header).toEqual({ type: 'image/jpeg', width: 2, height: 1, orientation: 1, components: 1, scans: 0 });
  });

  it('turns whatever the codec throws into invalid_image "corrupt JPEG: ..."', async () => {
    const failing = (thrown: unknown) => jpegDecoderOf(async () => {}, async () => Promise.reject(thrown));
    const bytes = Uint8Array.from([0xff, 0xd8, 0xff]);
    expect(await caughtAsync(failing(new Error('bad Huffman table'))(bytes))).toMatchObject(invalid('corrupt JPEG: bad Huffman table'));
    expect(await caughtAsync(failing('unexpected EOI')(bytes))).toMatchObject(invalid('corrupt JPEG: unexpected EOI'));
    expect(await caughtAsync(failing({ code: 42 })(bytes))).toMatchObject(invalid('corrupt JPEG: the decoder rejected the data'));
  });

  it('no image, or pixel data that is not width x height x 4, is "the decoder returned no image"', async () => {
    const returning = (value: unknown) => jpegDecoderOf(async () => {}, async () => value as typeof image);
    const bytes = Uint8Array.from([0xff, 0xd8, 0xff]);
    const message = invalid('corrupt JPEG: the decoder returned no image');
    expect(await caughtAsync(returning(undefined)(bytes))).toMatchObject(message);
    expect(await caughtAsync(returning({ ...image, data: new Uint8ClampedArray(7) })(bytes))).toMatchObject(message);
    expect(await caughtAsync(returning({ ...image, width: 3 })(bytes))).toMatchObject(message);
    expect((await returning(image)(bytes)).width).toBe(2);
  });
});
