/**
 * The MNIST-style normalisation (edge/encoding/normalise.ts) and the upload decoder in front of it
 * (edge/encoding/image-input.ts, with the worker's mozjpeg codec), in Node: hand-worked values, and MNIST test digits that must come back
 * as themselves when posted as they are, enlarged, or re-compressed.
 */
import { encode } from 'fast-png';
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { IMAGE_PIXELS } from '../../core/contract';
import { decodeImage, readHeader, sniffType } from '../../edge/encoding/image-input';
import { NoInkError, normaliseDigit, normaliseGrey, resizeArea, toGrey } from '../../edge/encoding/normalise';
import { decodeJpegNode } from './jpeg-node';
import { digitAt, mnistTest, upscaledOnPaper } from './mnist-fixtures';

const set = mnistTest(200);

/** Mean and largest absolute difference between normalised pixels and an MNIST digit (bytes). */
function gap(pixels: Float32Array, digit: Uint8Array) {
  let sum = 0;
  let max = 0;
  for (let i = 0; i < IMAGE_PIXELS; i++) {
    const d = Math.abs(pixels[i] - digit[i] / 255);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / IMAGE_PIXELS, max };
}

function rgbaOf(rgb: Uint8Array): Uint8Array {
  const rgba = new Uint8Array((rgb.length / 3) * 4);
  for (let p = 0; p < rgb.length / 3; p++) {
    rgba.set(rgb.subarray(p * 3, p * 3 + 3), p * 4);
    rgba[p * 4 + 3] = 255;
  }
  return rgba;
}

describe('area averaging', () => {
  it('3 -> 2 pixels: each output is the coverage-weighted mean of what it covers', () => {
    // output 0 covers [0, 1.5): (0 * 1 + 0.5 * 0.5) / 1.5; output 1 covers [1.5, 3): (0.5 * 0.5 + 1 * 1) / 1.5
    const out = resizeArea(Float32Array.from([0, 0.5, 1]), 3, 0, 0, 3, 1, 2, 1);
    expect(out[0]).toBeCloseTo(1 / 6, 6);
    expect(out[1]).toBeCloseTo(5 / 6, 6);
  });

  it('4x4 -> 2x2 averages 2x2 blocks; 1 -> 3 repeats the pixel', () => {
    const src = Float32Array.from({ length: 16 }, (_, i) => i);
    expect([...resizeArea(src, 4, 0, 0, 4, 4, 2, 2)]).toEqual([2.5, 4.5, 10.5, 12.5]);
    expect([...resizeArea(Float32Array.from([0.25]), 1, 0, 0, 1, 1, 3, 1)]).toEqual([0.25, 0.25, 0.25]);
  });
});

describe('normalisation', () => {
  it('a dark bar on light paper: inverted, cropped, centred by its centre of mass (worked by hand)', () => {
    const w = 40;
    const grey = new Float32Array(w * w).fill(1);
    for (let y = 8; y < 28; y++) grey.fill(0, y * w + 5, y * w + 15);
    const { pixels, inverted, box } = normaliseGrey(grey, w, w);
    expect(inverted).toBe(true);
    expect(box).toEqual({ x: 5, y: 8, width: 10, height: 20 });
    // centre of mass (4.5, 9.5) -> shift (round(9.5), round(4.5)) = (10, 5)
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) expect(pixels[y * 28 + x], `(${x}, ${y})`).toBe(y >= 5 && y < 25 && x >= 10 && x < 20 ? 1 : 0);
    }
  });

  it('a small blot is enlarged to 20 px; a wide stroke keeps its aspect ratio', () => {
    const grey = new Float32Array(100 * 100);
    for (let y = 50; y < 52; y++) grey.fill(1, y * 100 + 40, y * 100 + 60); // 20x2, white on black
    const { pixels, inverted } = normaliseGrey(grey, 100, 100);
    expect(inverted).toBe(false);
    // fitted to 20x2, centre of mass (9.5, 0.5) -> shift (round(4.5), round(13.5)) = (5, 14)
    const lit = [...pixels.keys()].filter((i) => pixels[i] > 0);
    expect(lit).toHaveLength(40);
    expect(lit.map((i) => [i % 28, Math.floor(i / 28)])).toContainEqual([5, 14]);
    expect(lit.map((i) => [i % 28, Math.floor(i / 28)])).toContainEqual([24, 15]);
  });

  it('background noise below the border\'s 95th percentile is removed and the ink stretched to 1', () => {
    const w = 30;
    const grey = Float32Array.from({ length: w * w }, (_, i) => 0.1 + 0.02 * ((i * 7919) % 5) / 4); // 0.10..0.12
    for (let y = 5; y < 25; y++) grey.fill(0.6, y * w + 10, y * w + 20);
    const { pixels } = normaliseGrey(grey, w, w);
    const values = new Set(pixels);
    expect(values).toEqual(new Set([0, 1]));
    expect(pixels.filter((v) => v === 1)).toHaveLength(200);
  });

  it('transparency: a black or a white stroke on a transparent canvas becomes the same grey picture', () => {
    const w = 8;
    const alpha = new Uint8Array(w * w);
    alpha.fill(255, 18, 22);
    const rgba = (v: number) => Uint8Array.from({ length: w * w * 4 }, (_, i) => (i % 4 === 3 ? alpha[i >> 2] : v));
    const black = toGrey({ width: w, height: w, channels: 4, data: rgba(0), maxValue: 255 });
    const white = toGrey({ width: w, height: w, channels: 4, data: rgba(255), maxValue: 255 });
    expect(black[0]).toBe(1); // transparent -> white paper behind dark ink
    expect(black[18]).toBe(0);
    expect(white[0]).toBe(0); // transparent -> black behind light ink
    expect(white[18]).toBe(1);
    expect(normaliseGrey(black, w, w).pixels).toEqual(normaliseGrey(white, w, w).pixels);
  });

  it('a blank or nearly blank picture has no ink', () => {
    expect(() => normaliseGrey(new Float32Array(100).fill(1), 10, 10)).toThrow(NoInkError);
    const faint = new Float32Array(400).fill(1);
    for (let y = 5; y < 10; y++) faint.fill(0.95, y * 20 + 5, y * 20 + 15);
    expect(() => normaliseGrey(faint, 20, 20)).toThrow(/no ink found: the strongest ink is 13 grey levels/);
  });

  it('MNIST test digits posted as they are come back as themselves (within 1 grey level + re-centring)', () => {
    for (let i = 0; i < set.count; i++) {
      const digit = digitAt(set, i);
      const { pixels } = normaliseDigit({ width: 28, height: 28, channels: 1, data: digit, maxValue: 255 });
      expect(gap(pixels, digit).max, `test image ${i}`).toBeLessThan(0.01);
    }
  });

  it('MNIST digits enlarged 10x as dark-on-white RGB PNGs normalise back to the original', async () => {
    for (let i = 0; i < 20; i++) {
      const digit = digitAt(set, i);
      const up = upscaledOnPaper(digit, 10);
      const { raster } = await decodeImage(encode({ width: up.width, height: up.height, data: up.rgb, channels: 3, depth: 8 }), decodeJpegNode);
      const { mean, max } = gap(normaliseDigit(raster).pixels, digit);
      expect(mean, `test image ${i}`).toBeLessThan(0.002);
      expect(max, `test image ${i}`).toBeLessThan(0.02);
    }
  });

  it('the same as JPEG (quality 85, enlarged 4x) comes back close despite JPEG ringing around the strokes', async () => {
    for (let i = 0; i < 10; i++) {
      const digit = digitAt(set, i);
      const up = upscaledOnPaper(digit, 4);
      const bytes = new Uint8Array(jpeg.encode({ width: up.width, height: up.height, data: rgbaOf(up.rgb) }, 85).data);
      const { mean } = gap(normaliseDigit((await decodeImage(bytes, decodeJpegNode, 'image/jpeg')).raster).pixels, digit);
      // measured: mean 0.03 at 10x, up to 0.062 at 4x (ringing widens the crop by a pixel or two)
      expect(mean, `test image ${i}`).toBeLessThan(0.08);
    }
  });
});

describe('image input', () => {
  it('recognises PNG and JPEG by signature and reads their size from the header', () => {
    const png = encode({ width: 33, height: 17, data: new Uint8Array(33 * 17), channels: 1, depth: 8 });
    const jpg = new Uint8Array(jpeg.encode({ width: 35, height: 19, data: new Uint8Array(35 * 19 * 4) }, 80).data);
    expect(sniffType(png)).toBe('image/png');
    expect(sniffType(jpg)).toBe('image/jpeg');
    expect(sniffType(new TextEncoder().encode('GIF89a'))).toBeNull();
    expect(readHeader(png)).toMatchObject({ type: 'image/png', width: 33, height: 17, animated: false });
    expect(readHeader(jpg)).toMatchObject({ type: 'image/jpeg', width: 35, height: 19 });
  });

  it('decodes grey+alpha, 16-bit and RGBA PNGs into rasters with the right sample range', async () => {
    const ga = (await decodeImage(encode({ width: 2, height: 1, data: Uint8Array.from([10, 255, 20, 0]), channels: 2, depth: 8 }), decodeJpegNode)).raster;
    expect([ga.channels, ga.maxValue, [...ga.data]]).toEqual([2, 255, [10, 255, 20, 0]]);
    const deep = (await decodeImage(encode({ width: 1, height: 1, data: Uint16Array.from([40000]), channels: 1, depth: 16 }), decodeJpegNode)).raster;
    expect([deep.maxValue, deep.data[0]]).toEqual([65535, 40000]);
  });

  it('unpacks 1-, 2- and 4-bit grey and palette PNGs to one sample per pixel', async () => {
    const [w, h] = [5, 3];
    const pack = (values: number[], depth: number) => {
      const rowBytes = Math.ceil((w * depth) / 8);
      const out = new Uint8Array(rowBytes * h);
      values.forEach((v, i) => {
        const bit = (i % w) * depth;
        out[Math.floor(i / w) * rowBytes + (bit >> 3)] |= v << (8 - depth - (bit & 7));
      });
      return out;
    };
    for (const depth of [1, 2, 4] as const) {
      const values = Array.from({ length: w * h }, (_, i) => (i * 7) % 2 ** depth);
      const grey = (await decodeImage(encode({ width: w, height: h, data: pack(values, depth), depth, channels: 1 }), decodeJpegNode)).raster;
      expect([grey.maxValue, [...grey.data]], `grey, ${depth} bits`).toEqual([2 ** depth - 1, values]);
      const palette = Array.from({ length: 2 ** depth }, (_, k) => [k * 10, k * 10, k * 10]);
      const indexed = (await decodeImage(encode({ width: w, height: h, data: pack(values, depth), depth, channels: 1, palette }), decodeJpegNode)).raster;
      expect([...indexed.data].filter((_, i) => i % indexed.channels === 0), `palette, ${depth} bits`).toEqual(values.map((v) => v * 10));
    }
  });
});
