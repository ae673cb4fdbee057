/**
 * Photos as people take them, through the worker's whole decoding path (inspectImage -> fast-png or
 * mozjpeg -> normaliseDigit): EXIF orientation from a JPEG's APP1 and a PNG's eXIf, with the stored
 * pictures made from upright ones by turns and mirrors defined here from the EXIF specification's words;
 * ink on noisy grey paper found where the clean photo's is; a 1000x2 picture that used to shrink to 0 rows.
 */
import { encode } from 'fast-png';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { ImageInputError, inspectImage } from '../../edge/encoding/image-input';
import { normaliseDigit } from '../../edge/encoding/normalise';
import { orientationOf } from '../../edge/encoding/orientation';
import { concat, pngChunks, pngOf, segment } from '../robustness/hostile-cases';
import { decodeJpegNode } from './jpeg-node';
import { digitAt, mnistTest, upscaledOnPaper } from './mnist-fixtures';

interface Grey {
  width: number;
  height: number;
  data: Uint8Array;
}

/** new(x, y) = old(f(x, y)) on a picture of the given new size */
function remap(g: Grey, width: number, height: number, from: (x: number, y: number) => [number, number]): Grey {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [sx, sy] = from(x, y);
      data[y * width + x] = g.data[sy * g.width + sx];
    }
  }
  return { width, height, data };
}

// Turning clockwise moves old (x, y) to (H-1-y, x); mirrors and the two diagonal flips as their names say.
const clockwise = (g: Grey) => remap(g, g.height, g.width, (x, y) => [y, g.height - 1 - x]);
const anticlockwise = (g: Grey) => remap(g, g.height, g.width, (x, y) => [g.width - 1 - y, x]);
const mirrorLeftRight = (g: Grey) => remap(g, g.width, g.height, (x, y) => [g.width - 1 - x, y]);
const mirrorTopBottom = (g: Grey) => remap(g, g.width, g.height, (x, y) => [x, g.height - 1 - y]);
const half = (g: Grey) => clockwise(clockwise(g));
const transpose = (g: Grey) => remap(g, g.height, g.width, (x, y) => [y, x]);

/**
 * How a camera stores an upright scene for each EXIF orientation (the tag says what the viewer must do to
 * the stored picture: 6 "rotate 90 CW to display", so the stored one is the scene turned anticlockwise).
 */
const STORED: Record<number, (g: Grey) => Grey> = {
  1: (g) => g,
  2: mirrorLeftRight,
  3: half,
  4: mirrorTopBottom,
  5: transpose,
  6: anticlockwise,
  7: (g) => half(transpose(g)),
  8: clockwise,
};

/** A big-endian or little-endian TIFF with one IFD0 entry: Orientation (0x0112), SHORT, `value`. */
function tiffOrientation(value: number, little = false): Uint8Array {
  const u16 = (n: number) => (little ? [n & 0xff, n >> 8] : [n >> 8, n & 0xff]);
  const u32 = (n: number) => (little ? [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24] : [n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]);
  const header = little ? [0x49, 0x49, ...u16(42)] : [0x4d, 0x4d, ...u16(42)];
  // an unrelated entry first (ImageWidth), then Orientation
  return Uint8Array.from([...header, ...u32(8), ...u16(2), ...u16(0x0100), ...u16(3), ...u32(1), ...u16(7), 0, 0, ...u16(0x0112), ...u16(3), ...u32(1), ...u16(value), 0, 0, ...u32(0)]);
}

const greyPng = (g: Grey) => encode({ width: g.width, height: g.height, data: g.data, channels: 1, depth: 8 });

function withExifPng(png: Uint8Array, tiff: Uint8Array): Uint8Array {
  const chunks = pngChunks(png);
  return pngOf([chunks[0], ['eXIf', tiff], ...chunks.slice(1)]);
}

function jpegOf(g: Grey, quality = 92): Uint8Array {
  const rgba = new Uint8Array(g.width * g.height * 4);
  for (let i = 0; i < g.data.length; i++) rgba.set([g.data[i], g.data[i], g.data[i], 255], i * 4);
  return new Uint8Array(jpeg.encode({ width: g.width, height: g.height, data: rgba }, quality).data);
}

function withExifJpeg(bytes: Uint8Array, tiff: Uint8Array): Uint8Array {
  return concat([bytes.subarray(0, 2), segment(0xe1, concat([[0x45, 0x78, 0x69, 0x66, 0, 0], tiff])), bytes.subarray(2)]);
}

async function normalised(bytes: Uint8Array) {
  const image = inspectImage(bytes);
  return normaliseDigit(await image.decode(decodeJpegNode), image.header.orientation);
}

const mnist = mnistTest(20);

/** MNIST test digit i, dark on white, enlarged 3x (84x84) and cut to 84x70 so that the sides differ */
function uprightDigit(i: number): Grey {
  const up = upscaledOnPaper(digitAt(mnist, i), 3);
  const data = new Uint8Array(84 * 70);
  for (let y = 0; y < 70; y++) for (let x = 0; x < 84; x++) data[y * 84 + x] = up.rgb[((y + 7) * 84 + x) * 3];
  return { width: 84, height: 70, data };
}

describe('EXIF orientation', () => {
  it('reads tag 0x0112 from big- and little-endian TIFF; absent, out of range or unreadable is 1', () => {
    for (let o = 1; o <= 8; o++) {
      expect(orientationOf(tiffOrientation(o))).toBe(o);
      expect(orientationOf(tiffOrientation(o, true))).toBe(o);
    }
    expect(orientationOf(undefined)).toBe(1);
    expect(orientationOf(tiffOrientation(9))).toBe(1);
    expect(orientationOf(tiffOrientation(6).subarray(0, 20))).toBe(1); // the entry cut off
    expect(orientationOf(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]))).toBe(1);
  });

  it('PNG eXIf: every orientation of a stored digit normalises exactly like the upright digit', async () => {
    const upright = uprightDigit(0);
    const expected = await normalised(greyPng(upright));
    for (let o = 1; o <= 8; o++) {
      const stored = STORED[o](upright);
      const got = await normalised(withExifPng(greyPng(stored), tiffOrientation(o)));
      expect(got.pixels, `orientation ${o}`).toEqual(expected.pixels);
      expect(got.box, `orientation ${o}`).toEqual(expected.box);
    }
    // and without the tag the turned digit is not the upright one
    const untagged = await normalised(greyPng(STORED[6](upright)));
    expect(untagged.pixels).not.toEqual(expected.pixels);
  });

  it('JPEG APP1 Exif: 10 digits stored turned (Orientation 6) normalise like the same digits stored upright', async () => {
    for (let i = 0; i < 10; i++) {
      const upright = uprightDigit(i);
      const expected = (await normalised(jpegOf(upright))).pixels;
      const got = (await normalised(withExifJpeg(jpegOf(STORED[6](upright)), tiffOrientation(6)))).pixels;
      const untagged = (await normalised(jpegOf(STORED[6](upright)))).pixels;
      const diff = (a: Float32Array) => a.reduce((n, v, k) => n + Math.abs(v - expected[k]), 0) / a.length;
      // JPEG blocks fall differently on a turned picture (and the centring may round the other way): close,
      // not equal (measured 0.002-0.063 mean difference); untagged is 2.5-40x as far
      expect(diff(got), `digit ${i}`).toBeLessThan(0.08);
      expect(diff(untagged), `digit ${i}`).toBeGreaterThan(2 * diff(got));
    }
  });
});

describe('ink on noisy grey paper', () => {
  it('with +-10 grey levels of noise on grey paper the JPEG\'s ink box is within 2 px of the clean picture\'s', async () => {
    // MNIST digit 0 (a 7) enlarged 10x: 280x280, ink 40 on paper 170
    const up = upscaledOnPaper(digitAt(mnist, 0), 10);
    const clean = new Uint8Array(280 * 280);
    for (let i = 0; i < clean.length; i++) clean[i] = Math.round(170 - (up.rgb[i * 3] < 255 ? ((255 - up.rgb[i * 3]) / 255) * 130 : 0));
    let state = 12345;
    const noise = () => ((state = (state * 1103515245 + 12345) >>> 0) % 21) - 10; // -10..10
    const noisy = clean.map((v) => Math.max(0, Math.min(255, v + noise())));
    const a = await normalised(greyPng({ width: 280, height: 280, data: clean }));
    const b = await normalised(jpegOf({ width: 280, height: 280, data: noisy }, 90));
    for (const key of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(a.box[key] - b.box[key]), key).toBeLessThanOrEqual(2);
    // the clean box is the digit's own: MNIST test image 0's ink spans columns 6..21 and rows 7..26, x10
    expect(a.box).toEqual({ x: 60, y: 70, width: 160, height: 200 });
  });
});

describe('large JPEGs read at a quarter size from their coefficients (jpeg-luma.ts)', () => {
  /** MNIST test digit i as a 1024x1024 photo: dark ink enlarged 36x on lit, noisy, tinted paper, JPEG quality 88 */
  function photo(i: number): Uint8Array {
    const digit = digitAt(mnist, i);
    let state = 7 + i;
    const noise = () => ((state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff - 0.5) * 16;
    const rgba = new Uint8Array(1024 * 1024 * 4);
    for (let y = 0; y < 1024; y++) {
      for (let x = 0; x < 1024; x++) {
        const inside = x >= 8 && y >= 8 && x < 1016 && y < 1016;
        const ink = inside ? digit[Math.floor((y - 8) / 36) * 28 + Math.floor((x - 8) / 36)] : 0;
        const v = 185 + (40 * x) / 1024 + noise() - ink * 0.75;
        rgba.set([v + 6, v, v - 8, 255], (y * 1024 + x) * 4);
      }
    }
    return new Uint8Array(jpeg.encode({ width: 1024, height: 1024, data: rgba }, 88).data);
  }

  it('10 digits as 1024x1024 photos normalise as from the full decode: pixels within 0.08 (0.005 on average), ink boxes within 4 px', async () => {
    let worst = 0;
    let total = 0;
    for (let i = 0; i < 10; i++) {
      const bytes = photo(i);
      const image = inspectImage(bytes);
      const raster = await image.decode(decodeJpegNode);
      expect([raster.width, raster.height, raster.scale]).toEqual([256, 256, 4]);
      const quarter = normaliseDigit(raster);
      const full = normaliseDigit(await decodeJpegNode(bytes));
      for (let p = 0; p < 784; p++) {
        const d = Math.abs(quarter.pixels[p] - full.pixels[p]);
        worst = Math.max(worst, d);
        total += d;
      }
      for (const key of ['x', 'y', 'width', 'height'] as const) expect(Math.abs(quarter.box[key] - full.box[key]), `digit ${i} ${key}`).toBeLessThanOrEqual(4);
      expect(quarter.inverted).toBe(full.inverted);
    }
    // normalisation stretches the ink's contrast, so the decoders' 1-2 grey levels become a few hundredths
    console.log(`quarter read vs full decode: worst pixel ${worst.toFixed(4)}, mean ${(total / 7840).toFixed(5)}`);
    expect(worst).toBeLessThanOrEqual(0.08);
    expect(total / 7840).toBeLessThanOrEqual(0.005);
  });

  it('a 700x700 JPEG (under QUARTER_READ_SIDE) is decoded whole', async () => {
    const g = { width: 700, height: 700, data: new Uint8Array(700 * 700).fill(200) };
    g.data.fill(20, 300 * 700, 400 * 700);
    const raster = await inspectImage(jpegOf(g)).decode(decodeJpegNode);
    expect([raster.width, raster.height, raster.channels, raster.scale]).toEqual([700, 700, 4, undefined]);
  });
});

describe('degenerate sizes', () => {
  it('a 1000x2 picture is shrunk by 2, not 3 (which left 0 rows): a positive ink box inside the picture', async () => {
    const data = new Uint8Array(2000).fill(255);
    data.fill(0, 400, 600);
    data.fill(0, 1400, 1600);
    const digit = await normalised(encode({ width: 1000, height: 2, data, channels: 1, depth: 8 }));
    expect(digit.box).toEqual({ x: 400, y: 0, width: 200, height: 2 });
    expect(digit.pixels.every(Number.isFinite)).toBe(true);
  });

  it('a CMYK JPEG is refused by name (415), before any decoding', () => {
    // SOI, an Adobe APP14 with transform 0, a 4-component frame header
    const adobe = segment(0xee, [0x41, 0x64, 0x6f, 0x62, 0x65, 0, 100, 0, 0, 0, 0, 0]);
    const sof = segment(0xc0, [8, 0, 16, 0, 16, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]);
    const bytes = concat([[0xff, 0xd8], adobe, sof, [0xff, 0xd9]]);
    let err: unknown;
    try {
      inspectImage(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ImageInputError);
    expect(err).toMatchObject({ status: 415, code: 'unsupported_media_type', message: expect.stringMatching(/^the JPEG is CMYK \(4 colour components/) });
  });
});
