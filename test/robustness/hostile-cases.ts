/**
 * The hostile uploads of issue 21, built in code (no multi-MB files in the repository) from first
 * principles: PNG chunks and JPEG markers by hand, deflate bombs as a hand-written dynamic Huffman block.
 * Each case names what it attacks and what the worker must answer. Pure functions of typed arrays, so they
 * run in Node and inside workerd alike.
 */
import { encode } from 'fast-png';
import { zlibSync } from 'fflate';
import { concat } from '../../edge/encoding/png-chunks';
import { chunk, fromBase64, SEVEN_JPEG_BASE64 } from '../worker/upload-fixtures';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export { concat };

const be32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];

export const pngChunk = chunk;

export function ihdrData(width: number, height: number, depth = 8, colour = 0, interlace = 0): number[] {
  return [...be32(width), ...be32(height), depth, colour, 0, 0, interlace];
}

/** A PNG's chunks as [type, data] (signature checked, CRCs dropped). */
export function pngChunks(png: Uint8Array): [string, Uint8Array][] {
  const out: [string, Uint8Array][] = [];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at);
    out.push([String.fromCharCode(...png.subarray(at + 4, at + 8)), png.subarray(at + 8, at + 8 + length)]);
    at += 12 + length;
  }
  return out;
}

export function pngOf(chunks: [string, ArrayLike<number>][]): Uint8Array {
  return concat([PNG_SIGNATURE, ...chunks.map(([type, data]) => pngChunk(type, data))]);
}

/** A 56x56 dark-on-white "1": a vertical bar, grey 8-bit. */
export function digitPng(side = 56): Uint8Array {
  const data = new Uint8Array(side * side).fill(255);
  for (let y = Math.round(side * 0.15); y < Math.round(side * 0.85); y++) {
    data.fill(0, y * side + Math.round(side * 0.45), y * side + Math.round(side * 0.55));
  }
  return encode({ width: side, height: side, data, channels: 1, depth: 8 });
}

/**
 * A zlib stream that inflates to at least `bytes` zeros at deflate's maximum ratio (~1032:1): one dynamic
 * Huffman block whose codes are 1 bit for "length 258" and 1 bit for "distance 1", so each 258 bytes of
 * output cost 2 bits (all zero). RFC 1951 section 3.2.7, worked by hand:
 * - literal/length code lengths: 0 -> 2, 256 (end) -> 2, 285 (length 258) -> 1; distance: 0 -> 1, 1 -> 1;
 * - code length code lengths (order 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1): 18 -> 1, 1 -> 2, 2 -> 2.
 */
export function deflateBomb(bytes: number): Uint8Array {
  const bits: number[] = [];
  const put = (value: number, count: number) => {
    for (let i = 0; i < count; i++) bits.push((value >> i) & 1);
  };
  // a Huffman code goes most significant bit first
  const code = (value: number, length: number) => {
    for (let i = length - 1; i >= 0; i--) bits.push((value >> i) & 1);
  };
  put(1, 1); // BFINAL
  put(2, 2); // dynamic Huffman
  put(286 - 257, 5); // HLIT
  put(2 - 1, 5); // HDIST
  put(18 - 4, 4); // HCLEN: up to code-length symbol 1 (18th in the order)
  const order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1];
  const clLength: Record<number, number> = { 18: 1, 1: 2, 2: 2 };
  for (const sym of order) put(clLength[sym] ?? 0, 3);
  // canonical code-length codes: 18 -> 0, 1 -> 10, 2 -> 11
  const cl = { 1: () => code(0b10, 2), 2: () => code(0b11, 2) };
  const zeros = (n: number) => {
    while (n > 0) {
      const run = Math.min(138, n);
      code(0, 1);
      put(run - 11, 7);
      n -= run;
    }
  };
  cl[2](); // literal 0
  zeros(255); // literals 1..255
  cl[2](); // 256, end of block
  zeros(28); // lengths 257..284
  cl[1](); // 285
  cl[1](); // distance 0
  cl[1](); // distance 1
  // canonical literal/length codes: 285 -> 0, 0 -> 10, 256 -> 11
  code(0b10, 2); // one literal zero
  const matches = Math.ceil(Math.max(0, bytes - 1) / 258);
  const headerBits = bits.length;
  const totalBits = headerBits + matches * 2 + 2;
  const out = new Uint8Array(2 + Math.ceil(totalBits / 8) + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  for (let i = 0; i < headerBits; i++) if (bits[i]) out[2 + (i >> 3)] |= 1 << (i & 7);
  // each match is code 0 (length 258) then code 0 (distance 1): zero bits, already there
  const end = headerBits + matches * 2;
  for (let i = 0; i < 2; i++) if ((0b11 >> (1 - i)) & 1) out[2 + ((end + i) >> 3)] |= 1 << ((end + i) & 7);
  return out; // the Adler-32 is left zero: nothing inflates this far enough to check it
}

// ---- JPEG ----

/** A JPEG marker segment with its length. */
export function segment(marker: number, payload: ArrayLike<number>): Uint8Array {
  const n = payload.length + 2;
  return concat([[0xff, marker, n >> 8, n & 0xff], payload]);
}

export function sofPayload(width: number, height: number, components = 3): number[] {
  const comps = Array.from({ length: components }, (_, i) => [i + 1, i === 0 ? 0x11 : 0x11, 0]).flat();
  return [8, height >> 8, height & 0xff, width >> 8, width & 0xff, components, ...comps];
}

/** The segments of a JPEG up to its first scan header, and everything from that scan on. */
export function splitAtFirstScan(jpeg: Uint8Array): { head: Uint8Array; scans: Uint8Array } {
  let at = 2;
  while (at < jpeg.length) {
    const marker = jpeg[at + 1];
    if (marker === 0xda) break;
    at += 2 + ((jpeg[at + 2] << 8) | jpeg[at + 3]);
  }
  return { head: jpeg.subarray(0, at), scans: jpeg.subarray(at) };
}

export interface HostileCase {
  name: string;
  /** what the issue measured before the fix */
  attack: string;
  type: 'image/png' | 'image/jpeg';
  bytes: Uint8Array;
  /** the answer: a status and error code */
  expect: { status: number; code: string };
}

/** A 56x56 progressive JPEG (ImageMagick, -interlace JPEG, grey, quality 80) of a dark bar on white: 6 scans. */
export const PROGRESSIVE_BAR_JPEG_BASE64 =
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/wgALCAA4ADgBAREA/8QAFgABAQEAAAAAAAAAAAAAAAAAAAgH/9oACAEBAAAAAdUAEq1UCVaqBKtVAlWqgSrVQA//xAAUEAEAAAAAAAAAAAAAAAAAAABQ/9oACAEBAAEFAkf/xAAUEAEAAAAAAAAAAAAAAAAAAABQ/9oACAEBAAY/Akf/xAAUEAEAAAAAAAAAAAAAAAAAAABQ/9oACAEBAAE/IUf/2gAIAQEAAAAQ/wD/AP8A/wD/AP8A/wD/xAAUEAEAAAAAAAAAAAAAAAAAAABQ/9oACAEBAAE/EEf/2Q==';

/**
 * The table of issue 21. `progressive` is a real progressive JPEG of a digit (the scan bomb repeats its
 * scans), `baseline` a real baseline one (the fake-SOF case reuses its tables and data); by default the
 * committed ones (PROGRESSIVE_BAR_JPEG_BASE64, upload-fixtures' SEVEN_JPEG_BASE64).
 */
export function hostileCases(
  jpegs: { progressive: Uint8Array; baseline: Uint8Array } = { progressive: fromBase64(PROGRESSIVE_BAR_JPEG_BASE64), baseline: fromBase64(SEVEN_JPEG_BASE64) },
): HostileCase[] {
  const digit = pngChunks(digitPng());
  const ihdr = digit[0][1];
  const rest = digit.slice(1);
  const cases: HostileCase[] = [];

  cases.push({
    name: 'png-second-ihdr',
    attack: 'a second IHDR declaring 1,000,000,000x1 after the checked one (the decoder used the last): 6-11 s, +2-4.7 GB',
    type: 'image/png',
    bytes: pngOf([['IHDR', ihdr], ['IHDR', ihdrData(1_000_000_000, 1)], ...rest]),
    expect: { status: 400, code: 'invalid_image' },
  });

  cases.push({
    name: 'png-idat-bomb',
    attack: '1024x1024 RGBA16 header, one IDAT inflating to 1.9 GB (budget checked after a whole push): 8-10 s, +4.3 GB',
    type: 'image/png',
    bytes: pngOf([['IHDR', ihdrData(1024, 1024, 16, 6)], ['IDAT', deflateBomb(1_900_000_000)], ['IEND', []]]),
    expect: { status: 400, code: 'invalid_image' },
  });

  cases.push({
    name: 'png-small-idat-bomb',
    attack:
      'a 280x280 RGBA header (313 KB of rows) and a 7.8 KB stream inflating to 8 MB: a one-call inflate of streams <= 8 KiB (tried, dropped) spent 53 ms of workerd CPU on it, priced at 3.35 by the scheduler',
    type: 'image/png',
    bytes: pngOf([['IHDR', ihdrData(280, 280, 8, 6)], ['IDAT', deflateBomb(8_000_000)], ['IEND', []]]),
    expect: { status: 400, code: 'invalid_image' },
  });

  const profile = concat([[0x70, 0x00, 0x00], deflateBomb(1_000_000_000)]); // name "p", NUL, method 0
  cases.push({
    name: 'png-iccp-bomb',
    attack: 'an iCCP chunk inflating to 1 GB (ancillary chunks unbounded): 4-5 s, +2.4-2.9 GB',
    type: 'image/png',
    bytes: pngOf([['IHDR', ihdr], ['iCCP', profile], ...rest]),
    expect: { status: 200, code: '' },
  });

  // the digit's image data padded with empty stored blocks (5 bytes each, inflating to nothing) to 144,780
  // bytes, after the 2-byte zlib header, and split into one-byte IDAT chunks
  const stream = concat(rest.filter(([t]) => t === 'IDAT').map(([, d]) => d));
  const blocks = Math.floor((144_780 - stream.length) / 5);
  const padded = concat([stream.subarray(0, 2), ...Array.from({ length: blocks }, () => [0, 0, 0, 0xff, 0xff]), stream.subarray(2)]);
  const oneByte: [string, ArrayLike<number>][] = [];
  for (let i = 0; i < padded.length; i++) oneByte.push(['IDAT', padded.subarray(i, i + 1)]);
  cases.push({
    name: 'png-one-byte-idats',
    attack: '144,780 one-byte chunks (streaming inflate re-copied pending input on every push): 4.5-8 s',
    type: 'image/png',
    bytes: pngOf([['IHDR', ihdr], ...oneByte, ['IEND', []]]),
    expect: { status: 400, code: 'invalid_image' },
  });

  // a progressive JPEG whose scans are followed by 174k empty scan headers (one component, DC first scan)
  const { head, scans } = splitAtFirstScan(jpegs.progressive);
  const body = scans.subarray(0, scans.length - 2); // without EOI
  const emptyScan = segment(0xda, [1, 1, 0x00, 0, 0, 0x00]);
  const bomb = new Uint8Array(174_000 * emptyScan.length);
  for (let i = 0; i < 174_000; i++) bomb.set(emptyScan, i * emptyScan.length);
  cases.push({
    name: 'jpeg-scan-bomb',
    attack: 'a progressive JPEG with 174k empty scans (no bound on scans): 29-34 s',
    type: 'image/jpeg',
    bytes: concat([head, body, bomb, [0xff, 0xd9]]),
    expect: { status: 400, code: 'invalid_image' },
  });

  // RST0 has no length; a walk that gives it one reads the next marker's bytes (FF C0 = 65,472) as a length
  // and lands 65,474 bytes on, inside an APP1 segment, on a forged 64x64 frame header
  const real = splitAtFirstScan(jpegs.baseline);
  const realSof = segment(0xc0, sofPayload(16384, 16384, 3));
  const jump = 4 + 2 + 0xffc0; // where the naive walk lands: after SOI, RST0, and the "length" 0xFFC0
  const beforeApp = 2 + 2 + realSof.length;
  const app1Payload = new Uint8Array(1_000_000);
  const fake = segment(0xc0, sofPayload(64, 64, 3));
  app1Payload.set(fake, jump - beforeApp - 4);
  cases.push({
    name: 'jpeg-fake-sof-behind-rst',
    attack: 'a 16384x16384 frame behind a fake 64x64 SOF inside APP1 (parameterless markers given a length): 3.5 s, +3.4 GB held',
    type: 'image/jpeg',
    bytes: concat([[0xff, 0xd8, 0xff, 0xd0], realSof, segment(0xe1, app1Payload), real.scans]),
    expect: { status: 400, code: 'image_too_large' },
  });

  // palette cases (500 internal_error before)
  const indexRows = new Uint8Array(8 * (1 + 8));
  for (let y = 0; y < 8; y++) indexRows.fill(5, y * 9 + 1, y * 9 + 9); // index 5 of a 2-colour palette
  cases.push({
    name: 'png-palette-index-past-plte',
    attack: 'palette indices past PLTE (500 internal_error)',
    type: 'image/png',
    bytes: pngOf([['IHDR', ihdrData(8, 8, 8, 3)], ['PLTE', [0, 0, 0, 255, 255, 255]], ['IDAT', zlibSync(indexRows)], ['IEND', []]]),
    expect: { status: 400, code: 'invalid_image' },
  });
  cases.push({
    name: 'png-16-bit-palette',
    attack: 'a 16-bit palette PNG (500 internal_error)',
    type: 'image/png',
    bytes: pngOf([['IHDR', ihdrData(8, 8, 16, 3)], ['PLTE', [0, 0, 0, 255, 255, 255]], ['IDAT', zlibSync(new Uint8Array(8 * 17))], ['IEND', []]]),
    expect: { status: 400, code: 'invalid_image' },
  });
  return cases;
}
