/**
 * The recognizer's font glyphs (rendered by `npm run render-fonts` from TRAINING_FONTS and normalised like
 * an upload): glyphs.png, 28x28 tiles in rows of `columns`, and glyphs.json naming each tile's font and digit.
 * Split by font: the validation fonts (fonts.ts isValidationFont) are kept out of fitting.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decode } from 'fast-png';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../core/contract';
import { isValidationFont, type FontGlyphs } from './fonts';
import type { Split } from './mnist';

export const DEFAULT_GLYPHS_DIR = resolve(import.meta.dirname, 'font-glyphs');

export interface GlyphSplits {
  fit: Split;
  validation: Split;
  fonts: { fit: number; validation: number };
}

export async function loadFontGlyphs(dir = DEFAULT_GLYPHS_DIR): Promise<GlyphSplits> {
  const meta = JSON.parse(await readFile(join(dir, 'glyphs.json'), 'utf8')) as FontGlyphs;
  const png = decode(await readFile(join(dir, 'glyphs.png')));
  if (png.channels !== 1 || png.depth !== 8) throw new Error(`${dir}/glyphs.png: expected 8-bit grey, got ${png.channels} channels of ${png.depth} bits`);
  const rows = Math.ceil(meta.glyphs.length / meta.columns);
  const width = Math.min(meta.columns, meta.glyphs.length) * IMAGE_SIDE;
  if (png.width !== width || png.height !== rows * IMAGE_SIDE) {
    throw new Error(`${dir}/glyphs.png is ${png.width}x${png.height}; glyphs.json describes ${width}x${rows * IMAGE_SIDE}`);
  }
  const split = (validation: boolean): Split => {
    const picked = meta.glyphs.map((g, i) => ({ ...g, i })).filter((g) => isValidationFont(g.font) === validation);
    const images = new Float32Array(picked.length * IMAGE_PIXELS);
    picked.forEach(({ i }, n) => {
      const x0 = (i % meta.columns) * IMAGE_SIDE;
      const y0 = Math.floor(i / meta.columns) * IMAGE_SIDE;
      for (let y = 0; y < IMAGE_SIDE; y++) {
        for (let x = 0; x < IMAGE_SIDE; x++) images[n * IMAGE_PIXELS + y * IMAGE_SIDE + x] = png.data[(y0 + y) * width + x0 + x] / 255;
      }
    });
    return { images, labels: Uint8Array.from(picked, (g) => g.digit), count: picked.length };
  };
  const validationFonts = meta.fonts.filter((_, i) => isValidationFont(i)).length;
  return { fit: split(false), validation: split(true), fonts: { fit: meta.fonts.length - validationFonts, validation: validationFonts } };
}
