/**
 * The valid files the upload fuzzers mutate (test/robustness/upload-mutations.ts): PNGs of every kind the
 * decoders take (grey, palette, 16-bit, RGBA) and JPEGs (baseline, progressive). Pure functions of typed
 * arrays: the Node fuzzer (test/edge/upload-fuzz.test.ts) and the workerd one
 * (test/worker/uploads-fuzz.test.ts) use the same files.
 */
import { encode } from 'fast-png';
import { digitPng, PROGRESSIVE_BAR_JPEG_BASE64 } from './hostile-cases';
import { fromBase64, SEVEN_JPEG_BASE64 } from '../worker/upload-fixtures';

/** A dark vertical bar on light paper, `width` x `height` grey bytes. */
export function bar(width: number, height: number): Uint8Array {
  const data = new Uint8Array(width * height).fill(230);
  for (let y = 4; y < height - 4; y++) data.fill(20, y * width + (width >> 1) - 3, y * width + (width >> 1) + 3);
  return data;
}

export function seedPngs(): Uint8Array[] {
  return [
    digitPng(),
    encode({ width: 40, height: 30, data: bar(40, 30), channels: 1, depth: 8 }),
    encode({ width: 20, height: 24, data: Uint8Array.from(bar(20, 24), (v) => (v > 128 ? 1 : 0)), channels: 1, depth: 8, palette: [[0, 0, 0], [255, 255, 255]] }),
    encode({ width: 16, height: 16, data: Uint16Array.from(bar(16, 16), (v) => v * 257), channels: 1, depth: 16 }),
    encode({ width: 24, height: 24, data: Uint8Array.from({ length: 24 * 24 * 4 }, (_, i) => (i % 4 === 3 ? 255 : bar(24, 24)[i >> 2])), channels: 4, depth: 8 }),
  ];
}

/** The committed baseline and progressive JPEGs (the Node fuzzer adds one jpeg-js encodes). */
export function seedJpegs(): Uint8Array[] {
  return [fromBase64(SEVEN_JPEG_BASE64), fromBase64(PROGRESSIVE_BAR_JPEG_BASE64)];
}
