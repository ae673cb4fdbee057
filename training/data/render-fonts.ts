/**
 * `npm run render-fonts`: digits rendered with ImageMagick from the Debian fonts in training/data/fonts.ts,
 * as a person's photo or drawing of a printed digit would arrive (dark ink on light paper, 280x280, at a
 * few sizes, offsets and small tilts):
 *
 * - the recognition test set, TEST_FONTS -> test/fixtures/font-digits/*.png + manifest.json (committed, so
 *   tests never need the fonts installed);
 * - the recognizer's font glyphs, TRAINING_FONTS -> normalised the way the worker normalises an upload
 *   (edge/encoding/normalise.ts) -> training/data/font-glyphs/glyphs.png (28x28 tiles) + glyphs.json.
 *
 * Needs `convert` (imagemagick) and the font packages (`apt-get install` the packages named in fonts.ts).
 * Seeded: the same fonts give the same images.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Command, InvalidArgumentError } from 'commander';
import { IMAGE_PIXELS } from '../../core/contract';
import { gridPng } from '../../core/png';
import { Rng } from '../../core/rng';
import { normalisedPng } from './font-test-set';
import { fontId, TEST_FONTS, TRAINING_FONTS, type FontDigitsManifest, type FontFile, type FontGlyphs, type Rendering } from './fonts';

const run = promisify(execFile);

export const CANVAS = 280;
export const TEST_DIR = 'test/fixtures/font-digits';
export const GLYPHS_DIR = 'training/data/font-glyphs';
export const GLYPH_COLUMNS = 30;
const SEED = 20_261_201;

/** Sizes from a small digit in a corner of the photo to one that fills it; tilts of a hand-held camera. */
export function randomRendering(rng: Rng): Rendering {
  const pointsize = Math.round(100 + rng.uniform() * 130);
  const room = Math.max(0, (CANVAS - pointsize * 0.9) / 2 - 10);
  const offset = () => Math.round((rng.uniform() * 2 - 1) * room);
  return {
    pointsize,
    rotate: Math.round((rng.uniform() * 2 - 1) * 80) / 10,
    dx: offset(),
    dy: offset(),
    paper: Math.round(205 + rng.uniform() * 50),
    ink: Math.round(rng.uniform() * 90),
  };
}

const grey = (v: number) => `rgb(${v},${v},${v})`;
const signed = (v: number) => (v < 0 ? `${v}` : `+${v}`);

async function fontPaths(): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  const packages = [...new Set([...TEST_FONTS, ...TRAINING_FONTS].map((f) => f.package))];
  const missing: string[] = [];
  for (const pkg of packages) {
    const listed = await run('dpkg', ['-L', pkg]).then(
      (r) => r.stdout.split('\n'),
      () => null,
    );
    if (!listed) {
      missing.push(pkg);
      continue;
    }
    for (const path of listed) paths.set(`${pkg}/${basename(path)}`, path);
  }
  if (missing.length) throw new Error(`font packages not installed: ${missing.join(' ')} (apt-get install -y ${missing.join(' ')})`);
  for (const font of [...TEST_FONTS, ...TRAINING_FONTS]) {
    if (!paths.has(fontId(font))) throw new Error(`${font.package} does not install ${font.file}`);
  }
  return paths;
}

/** Draws `digit` with ImageMagick into a 280x280 8-bit grey PNG at `out`. */
async function renderDigit(fontPath: string, digit: number, r: Rendering, out: string): Promise<void> {
  await run('convert', [
    '-size', `${CANVAS}x${CANVAS}`, `xc:${grey(r.paper)}`,
    '-font', fontPath, '-pointsize', String(r.pointsize), '-fill', grey(r.ink), '-gravity', 'center',
    '-annotate', `${r.rotate}x${r.rotate}${signed(r.dx)}${signed(r.dy)}`, String(digit),
    '-colorspace', 'Gray', '-depth', '8', '-define', 'png:color-type=0', '-strip', out,
  ]);
}

/** Runs `work` on `items` with `width` at a time (ImageMagick processes: one per core). */
async function pool<T>(items: T[], width: number, work: (item: T, index: number) => Promise<void>, label: string): Promise<void> {
  let next = 0;
  let done = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await work(items[i], i);
      if (++done % 200 === 0 || done === items.length) {
        const eta = ((Date.now() - started) / done) * (items.length - done);
        process.stderr.write(`  ${label}: ${done}/${items.length}, ETA ${Math.round(eta / 1000)} s\n`);
      }
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
}

interface Job {
  fontIndex: number;
  font: FontFile;
  digit: number;
  variant: number;
  rendering: Rendering;
}

function jobsFor(fonts: readonly FontFile[], variants: number, rng: Rng): Job[] {
  const jobs: Job[] = [];
  fonts.forEach((font, fontIndex) => {
    for (let digit = 0; digit < 10; digit++) {
      for (let variant = 0; variant < variants; variant++) jobs.push({ fontIndex, font, digit, variant, rendering: randomRendering(rng) });
    }
  });
  return jobs;
}

async function renderTestSet(paths: Map<string, string>, variants: number, dir: string): Promise<void> {
  const jobs = jobsFor(TEST_FONTS, variants, new Rng(SEED));
  const staging = `${dir}.tmp`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  const fileOf = (j: Job) => `f${String(j.fontIndex).padStart(2, '0')}-d${j.digit}-v${j.variant}.png`;
  await pool(jobs, 2, (j) => renderDigit(paths.get(fontId(j.font))!, j.digit, j.rendering, join(staging, fileOf(j))), 'test set');
  const manifest: FontDigitsManifest = {
    description:
      'Digits printed in Debian fonts (training/data/fonts.ts TEST_FONTS), dark on light, rendered by `npm run render-fonts`. ' +
      'None of these fonts is used in training.',
    canvas: CANVAS,
    fonts: TEST_FONTS.map((f) => ({ id: fontId(f), ...f })),
    images: jobs.map((j) => ({ file: fileOf(j), font: fontId(j.font), digit: j.digit, ...j.rendering })),
  };
  await writeFile(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 1)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
  process.stderr.write(`wrote ${jobs.length} images of ${TEST_FONTS.length} fonts to ${dir}\n`);
}

async function renderTrainingGlyphs(paths: Map<string, string>, variants: number, dir: string): Promise<void> {
  const jobs = jobsFor(TRAINING_FONTS, variants, new Rng(SEED + 1));
  const scratch = await mkdtemp(join(tmpdir(), 'font-glyphs-'));
  const pixels = new Float32Array(jobs.length * IMAGE_PIXELS);
  try {
    await pool(
      jobs,
      2,
      async (j, i) => {
        const file = join(scratch, `${i}.png`);
        await renderDigit(paths.get(fontId(j.font))!, j.digit, j.rendering, file);
        pixels.set(await normalisedPng(new Uint8Array(await readFile(file))), i * IMAGE_PIXELS);
      },
      'training glyphs',
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const meta: FontGlyphs = {
    description:
      'Digits of training/data/fonts.ts TRAINING_FONTS rendered by `npm run render-fonts` and normalised like an upload ' +
      `(edge/encoding/normalise.ts): glyphs.png holds them as 28x28 tiles, ${GLYPH_COLUMNS} per row, white ink on black.`,
    columns: GLYPH_COLUMNS,
    fonts: TRAINING_FONTS.map((f) => ({ id: fontId(f), ...f })),
    glyphs: jobs.map((j) => ({ font: j.fontIndex, digit: j.digit })),
  };
  await mkdir(dir, { recursive: true });
  const write = async (name: string, data: Uint8Array | string) => {
    await writeFile(join(dir, `${name}.tmp`), data);
    await rename(join(dir, `${name}.tmp`), join(dir, name));
  };
  await write('glyphs.png', await gridPng(pixels, jobs.length, { columns: GLYPH_COLUMNS }));
  await write('glyphs.json', `${JSON.stringify(meta)}\n`);
  process.stderr.write(`wrote ${jobs.length} glyphs of ${TRAINING_FONTS.length} fonts to ${dir}\n`);
}

function count(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < 1 || n > 10) throw new InvalidArgumentError(`${flag} must be an integer 1..10, got "${value}"`);
    return n;
  };
}

const program = new Command('npm run render-fonts --')
  .description('Render the font digits: the recognition test set (test fonts) and the recognizer\'s training glyphs (training fonts). Needs imagemagick and the font packages of training/data/fonts.ts.')
  .option('--test-variants <n>', 'renderings of each digit of each test font', count('--test-variants'), 2)
  .option('--training-variants <n>', 'renderings of each digit of each training font', count('--training-variants'), 4)
  .option('--only <set>', 'render only "test" or "training"')
  .option('--root <dir>', 'repository root to write under', resolve(dirname(new URL(import.meta.url).pathname), '../..'))
  .showHelpAfterError();

program.parse();
const opts = program.opts<{ testVariants: number; trainingVariants: number; only?: string; root: string }>();
if (opts.only !== undefined && opts.only !== 'test' && opts.only !== 'training') {
  program.error(`--only must be "test" or "training", got "${opts.only}"`);
}
try {
  const paths = await fontPaths();
  if (opts.only !== 'training') await renderTestSet(paths, opts.testVariants, join(opts.root, TEST_DIR));
  if (opts.only !== 'test') await renderTrainingGlyphs(paths, opts.trainingVariants, join(opts.root, GLYPHS_DIR));
} catch (err) {
  process.stderr.write(`render-fonts failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
