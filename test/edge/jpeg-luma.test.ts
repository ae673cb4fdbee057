/**
 * edge/encoding/jpeg-luma.ts against an independent reference: mozjpeg's full decode (the worker's codec),
 * then the normaliser's own grey conversion and 4x4 shrink (toGrey, shrinkBy), on JPEGs from two other
 * encoders (jpeg-js, 4:4:4; mozjpeg's encoder, baseline 4:2:0, 4:4:4 and grey, with and without optimised
 * Huffman tables), and the pictures it must hand back to the full decode (null).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import encodeMozjpeg, { init as initEncoder } from '@jsquash/jpeg/encode.js';
import jpeg from 'jpeg-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeQuarterLuma } from '../../edge/encoding/jpeg-luma';
import { walkJpeg } from '../../edge/encoding/jpeg-markers';
import { shrinkBy, toGrey } from '../../edge/encoding/normalise';
import { decodeJpegNode } from './jpeg-node';

const ENCODER_WASM = resolve(import.meta.dirname, '../../node_modules/@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm');

beforeAll(async () => {
  await (initEncoder as unknown as (module: WebAssembly.Module) => Promise<void>)(new WebAssembly.Module(readFileSync(ENCODER_WASM)));
});

/** A photo-like RGBA picture: a dark stroke figure on lit, noisy, tinted paper, with sharp edges and gradients. */
function photo(width: number, height: number, seed = 3): Uint8ClampedArray {
  let state = seed;
  const noise = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 24;
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x / width - 0.5;
      const dy = y / height - 0.5;
      const ring = Math.abs(Math.hypot(dx, dy) - 0.3) < 0.06;
      const bar = Math.abs(dx - dy * 0.4) < 0.03 && Math.abs(dy) < 0.4;
      const paper = 170 + 60 * (x / width) + noise();
      const v = ring || bar ? 25 + noise() : paper;
      rgba.set([v + 10, v, v - 12, 255], (y * width + x) * 4);
    }
  }
  return rgba;
}

async function mozjpeg(rgba: Uint8ClampedArray, width: number, height: number, options: Record<string, unknown>): Promise<Uint8Array> {
  const data = { data: rgba, width, height, colorSpace: 'srgb' } as ImageData;
  return new Uint8Array(await encodeMozjpeg(data, { quality: 88, baseline: true, progressive: false, ...options }));
}

/** The normaliser's working picture from the full decode: grey of mozjpeg's RGBA, shrunk 4x4. */
async function reference(bytes: Uint8Array) {
  const raster = await decodeJpegNode(bytes);
  return shrinkBy(toGrey(raster), raster.width, raster.height, 4);
}

const walk = (bytes: Uint8Array) => walkJpeg(bytes, () => {});

/** Largest and mean difference (in 0..255 grey levels) over the cells both pictures have. */
async function compare(bytes: Uint8Array) {
  const expected = await reference(bytes);
  const got = decodeQuarterLuma(walk(bytes));
  expect(got).not.toBeNull();
  const { width, height, grey } = got!;
  let max = 0;
  let sum = 0;
  for (let y = 0; y < expected.height; y++) {
    for (let x = 0; x < expected.width; x++) {
      const d = Math.abs(grey[y * width + x] - expected.grey[y * expected.width + x] * 255);
      max = Math.max(max, d);
      sum += d;
    }
  }
  return { width, height, max, mean: sum / (expected.width * expected.height) };
}

describe('decodeQuarterLuma: the 4x4 means of the picture, as the full decode would give them', () => {
  it('jpeg-js, 4:4:4, 1024x1024: within 2 grey levels everywhere, 0.5 on average', async () => {
    const bytes = new Uint8Array(jpeg.encode({ width: 1024, height: 1024, data: photo(1024, 1024) }, 88).data);
    const d = await compare(bytes);
    expect([d.width, d.height]).toEqual([256, 256]);
    expect(d.max).toBeLessThanOrEqual(2);
    expect(d.mean).toBeLessThan(0.5);
  });

  for (const [name, options] of [
    ['mozjpeg baseline 4:2:0, optimised Huffman tables', { chroma_subsample: 2, optimize_coding: true }],
    ['mozjpeg baseline 4:2:0, standard Huffman tables', { chroma_subsample: 2, optimize_coding: false }],
    ['mozjpeg baseline 4:4:4', { chroma_subsample: 1, optimize_coding: true }],
    ['mozjpeg baseline grey', { color_space: 1, optimize_coding: true }],
  ] as const) {
    it(`${name}, 1000x776 (sides not multiples of 8 or 16): within 2 grey levels, 0.5 on average; ceil(side / 4) cells`, async () => {
      const bytes = await mozjpeg(photo(1000, 776, 9), 1000, 776, options);
      const d = await compare(bytes);
      expect([d.width, d.height]).toEqual([250, 194]);
      expect(d.max).toBeLessThanOrEqual(2);
      expect(d.mean).toBeLessThan(0.5);
    });
  }

  it('a flat mid-grey picture is flat at its grey level (hand-worked: DC only, F(0,0) / 8 + 128)', async () => {
    const rgba = new Uint8ClampedArray(64 * 64 * 4).fill(0);
    for (let i = 0; i < rgba.length; i += 4) rgba.set([100, 100, 100, 255], i);
    const got = decodeQuarterLuma(walk(await mozjpeg(rgba, 64, 64, { color_space: 1 })))!;
    expect(got.grey.length).toBe(16 * 16);
    expect(new Set(got.grey)).toEqual(new Set([100]));
  });

  it('a block split left dark / right light has its two left cells dark and its two right cells light', async () => {
    const rgba = new Uint8ClampedArray(8 * 8 * 4);
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) rgba.set(x < 4 ? [20, 20, 20, 255] : [230, 230, 230, 255], (y * 8 + x) * 4);
    const got = decodeQuarterLuma(walk(await mozjpeg(rgba, 8, 8, { color_space: 1, quality: 100 })))!;
    expect([got.width, got.height]).toEqual([2, 2]);
    for (const [i, level] of [[0, 20], [1, 230], [2, 20], [3, 230]]) expect(Math.abs(got.grey[i] - level)).toBeLessThanOrEqual(2);
  });
});

describe('decodeQuarterLuma: restart intervals', () => {
  /**
   * A 16x8 grey baseline JPEG written by hand: two flat blocks, a restart marker between them (DRI 1).
   * Quantisation 8 everywhere, so a block's level is 128 + its DC. DC table: 00 -> size 0, 01 -> size 6,
   * 10 -> size 7; AC table: 0 -> end of block. Block 1: DC difference +100 = 10 1100100, EOB 0, padded with
   * 1s: B2 3F. RST0. Block 2, predictor reset to 0: -50 = size 6, bits 001101 (-50 + 63), EOB: 4D 7F.
   */
  const handMade = (restartMarker = [0xff, 0xd0]) =>
    new Uint8Array([
      0xff, 0xd8,
      0xff, 0xdb, 0, 67, 0, ...new Array(64).fill(8),
      0xff, 0xc0, 0, 11, 8, 0, 8, 0, 16, 1, 1, 0x11, 0,
      0xff, 0xc4, 0, 22, 0x00, 0, 3, ...new Array(14).fill(0), 0, 6, 7,
      0xff, 0xc4, 0, 20, 0x10, 1, ...new Array(15).fill(0), 0,
      0xff, 0xdd, 0, 4, 0, 1,
      0xff, 0xda, 0, 8, 1, 1, 0x00, 0, 63, 0,
      0xb2, 0x3f, ...restartMarker, 0x4d, 0x7f,
      0xff, 0xd9,
    ]);

  it('resets the DC predictor at each restart: 228 then 78 (not 178), as mozjpeg decodes the same file', async () => {
    const bytes = handMade();
    const got = decodeQuarterLuma(walk(bytes))!;
    expect([got.width, got.height]).toEqual([4, 2]);
    expect([...got.grey]).toEqual([228, 228, 78, 78, 228, 228, 78, 78]);
    const full = await decodeJpegNode(bytes);
    expect([full.data[0], full.data[(15 + 7 * 16) * 4]]).toEqual([228, 78]);
  });

  it('fill bytes before the restart marker (FF FF FF D0) are stepped over', () => {
    const got = decodeQuarterLuma(walk(handMade([0xff, 0xff, 0xff, 0xd0])))!;
    expect([...got.grey]).toEqual([228, 228, 78, 78, 228, 228, 78, 78]);
  });

  it('a restart marker missing where the interval says answers null', () => {
    expect(decodeQuarterLuma(walk(handMade([])))).toBeNull();
  });
});

describe('decodeQuarterLuma: data that ends early', () => {
  it('a file cut in the middle of its data reads as mozjpeg decodes it: the picture up to the cut, mid-grey after', async () => {
    const whole = await mozjpeg(photo(1024, 768, 5), 1024, 768, { chroma_subsample: 2 });
    const cut = new Uint8Array([...whole.subarray(0, Math.floor(whole.length * 0.6)), 0xff, 0xd9]);
    const expected = await reference(cut);
    const got = decodeQuarterLuma(walk(cut))!;
    let far = 0;
    for (let i = 0; i < expected.grey.length; i++) if (Math.abs(got.grey[i] - expected.grey[i] * 255) > 2) far++;
    // at most the cells of the MCU row where the data ends (16 px of 768: 4 rows of 192) differ by more than 2
    expect(far).toBeLessThanOrEqual(4 * 256);
    // and the bottom rows, past the cut, are mid-grey in both
    expect(got.grey.subarray(got.grey.length - 256).every((v) => v === 128)).toBe(true);
  });
});

describe('decodeQuarterLuma: what it hands back to the full decode', () => {
  it('progressive JPEGs answer null', async () => {
    expect(decodeQuarterLuma(walk(await mozjpeg(photo(256, 256), 256, 256, { progressive: true, baseline: false })))).toBeNull();
  });

  /** A baseline 4:2:0 JPEG with one byte of its frame header (SOF0) changed. */
  async function withFrameByte(offset: (sof: number) => number, value: number): Promise<Uint8Array> {
    const bytes = await mozjpeg(photo(256, 256), 256, 256, { chroma_subsample: 2 });
    let sof = 2;
    while (!(bytes[sof] === 0xff && bytes[sof + 1] === 0xc0)) sof++;
    bytes[offset(sof)] = value;
    return bytes;
  }

  it('an arithmetic-coded frame (SOF9) and a 12-bit one answer null', async () => {
    expect(decodeQuarterLuma(walk(await withFrameByte((sof) => sof + 1, 0xc9)))).toBeNull();
    expect(decodeQuarterLuma(walk(await withFrameByte((sof) => sof + 4, 12)))).toBeNull();
    // the unchanged file is read: the nulls above are the frame's doing
    expect(decodeQuarterLuma(walk(await withFrameByte((sof) => sof + 4, 8)))).not.toBeNull();
  });

  it("three components named 'R', 'G', 'B' (RGB to libjpeg) answer null", async () => {
    const bytes = await withFrameByte(() => 0, 0xff);
    let sof = 2;
    while (!(bytes[sof] === 0xff && bytes[sof + 1] === 0xc0)) sof++;
    const ids = [sof + 10, sof + 13, sof + 16];
    const scanIds: number[] = [];
    // the scan header names the components by id too
    let sos = sof;
    while (!(bytes[sos] === 0xff && bytes[sos + 1] === 0xda)) sos++;
    for (let i = 0; i < 3; i++) scanIds.push(sos + 5 + 2 * i);
    [...ids, ...scanIds].forEach((at, i) => (bytes[at] = [0x52, 0x47, 0x42][i % 3]));
    expect(decodeQuarterLuma(walk(bytes))).toBeNull();
  });

  it("an Adobe APP14 segment with transform 0 (the components are RGB) answers null; with transform 1 (YCbCr) it is read", async () => {
    const bytes = await mozjpeg(photo(256, 256), 256, 256, {});
    const app14 = (transform: number) => new Uint8Array([0xff, 0xee, 0, 14, 0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, transform]);
    const withApp14 = (transform: number) => new Uint8Array([...bytes.subarray(0, 2), ...app14(transform), ...bytes.subarray(2)]);
    expect(decodeQuarterLuma(walk(withApp14(0)))).toBeNull();
    expect(decodeQuarterLuma(walk(withApp14(1)))).not.toBeNull();
  });

  it('a component in a second scan before the luma is read answers null (32 scans of one would be 32 reads of the frame); scans after the luma are not read', async () => {
    const bytes = await mozjpeg(photo(256, 256), 256, 256, { chroma_subsample: 1 });
    const frame = walk(bytes);
    const at = frame.segments.findIndex((s) => s.marker === 0xda);
    const real = frame.segments[at];
    const expected = decodeQuarterLuma(frame)!;
    // a scan of the second component alone (its id and table selector from the real scan header), twice, first
    const cbOnly = { marker: 0xda, body: new Uint8Array([1, real.body[3], real.body[4], 0, 63, 0]), data: real.data };
    frame.segments.splice(at, 0, cbOnly, cbOnly);
    expect(decodeQuarterLuma(frame)).toBeNull();
    // the real scan twice: the second, after the luma, is never read (its data here is no valid code)
    frame.segments.splice(at, 2);
    frame.segments.splice(at + 1, 0, { ...real, data: new Uint8Array(real.data!.length).fill(0xfe) });
    expect(decodeQuarterLuma(frame)!.grey).toEqual(expected.grey);
  });

  it('a Huffman code missing from its table answers null, not a guess', async () => {
    const bytes = await mozjpeg(photo(256, 256), 256, 256, { optimize_coding: true });
    // flip every entropy-coded byte to 0xFE: long runs of 1 bits are no code of an optimised table
    const frame = walk(bytes);
    const scan = frame.segments.find((s) => s.marker === 0xda)!;
    scan.data!.fill(0xfe);
    expect(decodeQuarterLuma(frame)).toBeNull();
  });
});
