/**
 * The fonts the recognizer trains on and the fonts it is tested on are disjoint, in the lists
 * (training/data/fonts.ts) and in the committed data made from them: the test fixtures'
 * manifest (test/fixtures/font-digits/manifest.json) and the training glyphs' (training/data/font-glyphs/glyphs.json).
 * Disjoint by package, by file and by family, and no training package is one known to clone a tested one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fontId, isValidationFont, TEST_FONTS, TRAINING_FONTS, type FontDigitsManifest, type FontFile, type FontGlyphs } from '../../training/data/fonts';

const ROOT = resolve(import.meta.dirname, '../..');
const testManifest = JSON.parse(readFileSync(resolve(ROOT, 'test/fixtures/font-digits/manifest.json'), 'utf8')) as FontDigitsManifest;
const glyphs = JSON.parse(readFileSync(resolve(ROOT, 'training/data/font-glyphs/glyphs.json'), 'utf8')) as FontGlyphs;

/** "NimbusSans-BoldItalic.otf" -> "nimbussans": the family, without style words and extension */
function family(file: string): string {
  return file
    .replace(/\.(otf|ttf|pfb)$/i, '')
    .replace(/[-_ ]?(regular|bold|italic|oblique|light|medium|semibold|book|roman|black|thin|condensed|narrow|r|rb|ri|i|bd|it|bi|\d+)$/gi, '')
    .replace(/[-_ ]?(regular|bold|italic|oblique|light|medium|semibold|book|roman|black|condensed)$/gi, '')
    .replace(/[^a-z0-9]/gi, '')
    .toLowerCase();
}

/** Debian packages that are clones or derivatives of another (metric clones, forks of the same outlines). */
const DERIVED_FROM: Record<string, string[]> = {
  'fonts-urw-base35': ['fonts-texgyre', 'fonts-freefont-ttf', 'fonts-freefont-otf', 'gsfonts'],
  'fonts-liberation': ['fonts-liberation2', 'fonts-croscore'],
  'fonts-lato': ['fonts-crosextra-carlito'],
  'fonts-dejavu-core': ['fonts-dejavu-extra', 'ttf-bitstream-vera'],
  'fonts-comic-neue': ['fonts-comic-relief'],
};

const packages = (fonts: readonly FontFile[]) => new Set(fonts.map((f) => f.package));

describe('training and test fonts', () => {
  it('share no package, no file and no family', () => {
    const training = packages(TRAINING_FONTS);
    expect([...packages(TEST_FONTS)].filter((p) => training.has(p))).toEqual([]);
    const trainingFiles = new Set(TRAINING_FONTS.map((f) => f.file.toLowerCase()));
    expect(TEST_FONTS.filter((f) => trainingFiles.has(f.file.toLowerCase()))).toEqual([]);
    const trainingFamilies = new Set(TRAINING_FONTS.map((f) => family(f.file)));
    expect(TEST_FONTS.filter((f) => trainingFamilies.has(family(f.file))).map(fontId)).toEqual([]);
  });

  it('the family rule sees through style names (so the check above is not vacuous)', () => {
    expect(family('NimbusSans-BoldItalic.otf')).toBe(family('NimbusSans-Regular.otf'));
    expect(family('Lato-Bold.ttf')).toBe('lato');
    expect(family('LinBiolinum_RB.otf')).toBe(family('LinBiolinum_R.otf'));
  });

  it('train on no package derived from a tested one', () => {
    const training = packages(TRAINING_FONTS);
    for (const tested of packages(TEST_FONTS)) {
      expect((DERIVED_FROM[tested] ?? []).filter((p) => training.has(p)), tested).toEqual([]);
    }
  });

  it('are several dozen test fonts, plain and handwriting-like, and more training fonts with some held out for validation', () => {
    expect(TEST_FONTS.length).toBeGreaterThanOrEqual(36);
    expect(TEST_FONTS.filter((f) => f.handwriting).length).toBeGreaterThanOrEqual(10);
    expect(TEST_FONTS.filter((f) => !f.handwriting).length).toBeGreaterThanOrEqual(20);
    expect(TRAINING_FONTS.filter((_, i) => isValidationFont(i)).length).toBeGreaterThanOrEqual(5);
    expect(new Set(TEST_FONTS.map(fontId)).size).toBe(TEST_FONTS.length);
    expect(new Set(TRAINING_FONTS.map(fontId)).size).toBe(TRAINING_FONTS.length);
  });
});

describe('the committed font data', () => {
  it('test fixtures: exactly the test fonts, every digit of each, every file present', () => {
    expect(testManifest.fonts.map((f) => f.id)).toEqual(TEST_FONTS.map(fontId));
    for (const font of TEST_FONTS) {
      const digits = testManifest.images.filter((e) => e.font === fontId(font)).map((e) => e.digit);
      expect(new Set(digits).size, fontId(font)).toBe(10);
    }
    for (const image of testManifest.images) expect(existsSync(resolve(ROOT, 'test/fixtures/font-digits', image.file)), image.file).toBe(true);
  });

  it('training glyphs: exactly the training fonts, none of them a test font', () => {
    expect(glyphs.fonts.map((f) => f.id)).toEqual(TRAINING_FONTS.map(fontId));
    const tested = new Set(testManifest.fonts.map((f) => f.id));
    expect(glyphs.fonts.filter((f) => tested.has(f.id))).toEqual([]);
    const testedPackages = new Set(testManifest.fonts.map((f) => f.package));
    expect(glyphs.fonts.filter((f) => testedPackages.has(f.package))).toEqual([]);
    expect(new Set(glyphs.glyphs.map((g) => g.font)).size).toBe(TRAINING_FONTS.length);
  });
});
