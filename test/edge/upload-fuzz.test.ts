/**
 * Structure-aware fuzzing of the upload decoding path (test/robustness/upload-mutations.ts): a few hundred
 * seeded mutants of valid PNGs (grey, RGB, palette, interlaced, 16-bit) and JPEGs (baseline, progressive,
 * and one 768 px wide) through inspectImage -> decode (fast-png, the worker's mozjpeg, or for the wide one
 * the quarter-size read from its coefficients) -> normaliseDigit. Per mutant: it either
 * decodes to a digit or fails with one of the errors the routes turn into a JSON 4xx (never anything a
 * route would answer 500), within a CPU bound, with the heap back near where it was; and the run as a whole
 * within a time bound. Failures name the seed, the index and the mutations, so each one replays.
 */
import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { ImageInputError, inspectImage } from '../../edge/encoding/image-input';
import { decodeQuarterLuma } from '../../edge/encoding/jpeg-luma';
import { walkJpeg } from '../../edge/encoding/jpeg-markers';
import { DegenerateImageError, NoInkError, normaliseDigit } from '../../edge/encoding/normalise';
import { bar, seedJpegs, seedPngs } from '../robustness/fuzz-seeds';
import { jpegMutant, mutant } from '../robustness/upload-mutations';
import { decodeJpegNode } from './jpeg-node';

const SEED = 21;
const COUNT = 300;
/** loose, for a shared machine: the attacks this catches took seconds */
const CPU_BOUND_MS = 1000;
const HEAP_BOUND_MIB = 64;

const PNGS = seedPngs();
const jpegOfBar = (width: number, height: number, quality: number) =>
  new Uint8Array(jpeg.encode({ width, height, data: Uint8Array.from({ length: width * height * 4 }, (_, i) => bar(width, height)[i >> 2]) }, quality).data);
// 768 px wide: read from its coefficients (edge/encoding/jpeg-luma.ts), so its mutants fuzz that reader too
const WIDE_JPEG = jpegOfBar(768, 96, 80);
const JPEGS = [...seedJpegs(), jpegOfBar(48, 40, 75), WIDE_JPEG];

type Outcome = 'decoded' | 'refused';

async function readDigit(bytes: Uint8Array): Promise<Outcome> {
  try {
    const image = inspectImage(bytes);
    normaliseDigit(await image.decode(decodeJpegNode), image.header.orientation);
    return 'decoded';
  } catch (err) {
    // what uploads.ts turns into 400/413/415 JSON; anything else would be a 500
    if (err instanceof ImageInputError || err instanceof NoInkError || err instanceof DegenerateImageError) return 'refused';
    throw err;
  }
}

describe('structure-aware upload fuzzing', () => {
  it('the unmutated files decode', async () => {
    for (const bytes of [...PNGS, ...JPEGS]) expect(await readDigit(bytes)).toBe('decoded');
  });

  it(`${COUNT} mutants of seed ${SEED}: a digit or a 4xx error, each within its CPU and heap bounds`, { timeout: 300_000 }, async () => {
    const problems: string[] = [];
    const outcomes = { decoded: 0, refused: 0 };
    const ops = new Set<string>();
    const started = Date.now();
    for (let i = 0; i < COUNT; i++) {
      const m = mutant(SEED, i, PNGS, JPEGS);
      m.ops.forEach((op) => ops.add(`${m.type}:${op}`));
      const label = `#${i} ${m.type} [${m.ops.join(', ')}] (${m.bytes.length} bytes)`;
      const heapBefore = process.memoryUsage();
      const cpuBefore = process.cpuUsage();
      try {
        outcomes[await readDigit(m.bytes)]++;
      } catch (err) {
        problems.push(`${label}: threw ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
        continue;
      }
      const cpu = process.cpuUsage(cpuBefore);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      if (cpuMs > CPU_BOUND_MS) problems.push(`${label}: ${cpuMs.toFixed(0)} ms of CPU`);
      const after = process.memoryUsage();
      const heldMiB = (after.heapUsed + after.arrayBuffers - heapBefore.heapUsed - heapBefore.arrayBuffers) / 2 ** 20;
      if (heldMiB > HEAP_BOUND_MIB) problems.push(`${label}: ${heldMiB.toFixed(0)} MiB still held after it`);
    }
    expect(problems).toEqual([]);
    // the fuzzer reaches both outcomes and every kind of mutation
    expect(outcomes.decoded).toBeGreaterThan(10);
    expect(outcomes.refused).toBeGreaterThan(COUNT / 3);
    for (const op of ['duplicate', 'reorder', 'resize', 'recompress', 'split', 'inflate-bomb', 'fake-ihdr', 'second-ihdr', 'ancillary-bomb']) {
      expect(ops, op).toContain(`image/png:${op}`);
    }
    for (const op of ['duplicate', 'reorder', 'resize', 'scan-bomb', 'fake-sof', 'parameterless', 'truncate']) expect(ops, op).toContain(`image/jpeg:${op}`);
    expect(Date.now() - started).toBeLessThan(240_000);
  });

  it('mutants of the 768 px JPEG through the coefficient reader alone: null or a picture of ceil(side / 4), never a throw', () => {
    const counts = { read: 0, handedBack: 0, refusedByWalk: 0 };
    const problems: string[] = [];
    for (let i = 0; i < 150; i++) {
      const m = jpegMutant(SEED, i, [WIDE_JPEG]);
      const label = `#${i} [${m.ops.join(', ')}]`;
      try {
        // the checks every upload gets first (sides at most 1024 among them)
        inspectImage(m.bytes);
      } catch (err) {
        if (!(err instanceof ImageInputError)) problems.push(`${label}: the walk threw ${String(err)}`);
        counts.refusedByWalk++;
        continue;
      }
      const frame = walkJpeg(m.bytes, () => {});
      const cpuBefore = process.cpuUsage();
      try {
        const luma = decodeQuarterLuma(frame);
        if (!luma) counts.handedBack++;
        else {
          counts.read++;
          const want = [Math.ceil(frame.width / 4), Math.ceil(frame.height / 4)];
          if (luma.width !== want[0] || luma.height !== want[1] || luma.grey.length !== want[0] * want[1]) problems.push(`${label}: ${luma.width}x${luma.height}, expected ${want.join('x')}`);
        }
      } catch (err) {
        problems.push(`${label}: threw ${String(err)}`);
      }
      const cpu = process.cpuUsage(cpuBefore);
      if ((cpu.user + cpu.system) / 1000 > CPU_BOUND_MS) problems.push(`${label}: ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms of CPU`);
    }
    expect(problems).toEqual([]);
    // the mutations reach both answers of the reader
    expect(counts.read).toBeGreaterThan(10);
    expect(counts.handedBack).toBeGreaterThan(10);
  });
});
