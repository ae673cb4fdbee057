/**
 * Run as its own process by image-input-hostile.test.ts: decodes one hostile case of
 * test/robustness/hostile-cases.ts (walk, decode with the worker's mozjpeg, normalise) after warming the
 * same path on a valid picture, and prints JSON: the outcome, the CPU it took and how far it raised the
 * process's peak resident memory (getrusage maxrss). A process of its own, so no earlier case's peak hides
 * this one's.
 */
import { inspectImage, ImageInputError } from '../../edge/encoding/image-input';
import { NoInkError, DegenerateImageError, normaliseDigit } from '../../edge/encoding/normalise';
import { digitPng, hostileCases, PROGRESSIVE_BAR_JPEG_BASE64 } from '../robustness/hostile-cases';
import { fromBase64, SEVEN_JPEG_BASE64 } from '../worker/upload-fixtures';
import { decodeJpegNode } from './jpeg-node';

async function readDigit(bytes: Uint8Array): Promise<string> {
  try {
    const image = inspectImage(bytes);
    normaliseDigit(await image.decode(decodeJpegNode), image.header.orientation);
    return '200';
  } catch (err) {
    if (err instanceof ImageInputError) return `${err.status} ${err.code}`;
    if (err instanceof NoInkError) return '400 no_ink';
    if (err instanceof DegenerateImageError) return '400 invalid_image';
    return `500 ${err instanceof Error ? err.message : String(err)}`;
  }
}

const jpegs = { progressive: fromBase64(PROGRESSIVE_BAR_JPEG_BASE64), baseline: fromBase64(SEVEN_JPEG_BASE64) };
const name = process.argv[2];
const found = hostileCases(jpegs).find((c) => c.name === name);
if (!found) throw new Error(`no hostile case ${name}`);
for (let i = 0; i < 3; i++) {
  await readDigit(digitPng());
  await readDigit(jpegs.progressive);
  await readDigit(jpegs.baseline);
}
const peakBefore = process.resourceUsage().maxRSS;
const cpuBefore = process.cpuUsage();
const outcome = await readDigit(found.bytes);
const cpu = process.cpuUsage(cpuBefore);
const peakAfter = process.resourceUsage().maxRSS;
console.log(JSON.stringify({ outcome, cpuMs: (cpu.user + cpu.system) / 1000, peakAddedMiB: (peakAfter - peakBefore) / 1024 }));
