/**
 * The recognition test set (test/fixtures/font-digits/, rendered by `npm run render-fonts` from TEST_FONTS)
 * as the worker sees it: each PNG decoded and normalised by the worker's own code (edge/encoding/), so
 * scores here are scores of the same inputs POST /v1/classify classifies. Final numbers only: nothing is
 * chosen on it.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { IMAGE_PIXELS } from '../../core/contract';
import { decodeImage, type JpegDecoder } from '../../edge/encoding/image-input';
import { normaliseDigit } from '../../edge/encoding/normalise';
import type { FontDigitsManifest } from './fonts';
import type { Split } from './mnist';

export const FONT_TEST_DIR = resolve(import.meta.dirname, '../../test/fixtures/font-digits');

export interface FontTestSet extends Split {
  /** per image: the font is hand-writing-like */
  handwriting: boolean[];
  fonts: number;
}

const noJpeg: JpegDecoder = () => Promise.reject(new Error('font digits are PNG only'));

/** A PNG of a digit -> [784] as POST /v1/classify would see it: decoded and normalised by the worker's code. */
export async function normalisedPng(bytes: Uint8Array): Promise<Float32Array> {
  const { raster } = await decodeImage(bytes, noJpeg);
  return normaliseDigit(raster).pixels;
}

export async function readFontTestManifest(dir = FONT_TEST_DIR): Promise<FontDigitsManifest> {
  return JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as FontDigitsManifest;
}

export async function loadFontTestSet(dir = FONT_TEST_DIR): Promise<FontTestSet> {
  const manifest = await readFontTestManifest(dir);
  const handwritingFonts = new Set(manifest.fonts.filter((f) => f.handwriting).map((f) => f.id));
  const count = manifest.images.length;
  const images = new Float32Array(count * IMAGE_PIXELS);
  for (const [i, entry] of manifest.images.entries()) {
    images.set(await normalisedPng(new Uint8Array(await readFile(join(dir, entry.file)))), i * IMAGE_PIXELS);
  }
  return {
    images,
    labels: Uint8Array.from(manifest.images, (e) => e.digit),
    count,
    handwriting: manifest.images.map((e) => handwritingFonts.has(e.font)),
    fonts: manifest.fonts.length,
  };
}
