/**
 * A PNG's chunks walked once, with every resource bounded before it is spent, and a minimal PNG rebuilt
 * from only what was checked, for fast-png to decode. fast-png on the uploaded bytes would use the last
 * IHDR, inflate every IDAT push by push (re-copying its 32 KiB window each time) with no budget, and
 * inflate iCCP profiles of any size; none of that can happen to the rebuilt file.
 *
 * Bounds, and why they are safe for real images:
 * - exactly one IHDR, the first chunk (the PNG specification requires it there; a second one is refused,
 *   not ignored, because decoders disagree about which one wins);
 * - at most MAX_CHUNKS chunks: encoders write image data in chunks of 8 KiB (libpng) or more, so a 2 MB
 *   file has a few hundred; the rest (text, colour, APNG frame control) adds tens;
 * - the image data inflates to exactly the size the header implies (rows x (filter byte + row bytes),
 *   summed over the 7 Adam7 passes when interlaced); the platform's zlib stops 64 KiB past that (see
 *   inflateBounded), so a 1024x1024 16-bit RGBA header (8.4 MB, the largest) bounds any stream. The stream
 *   is concatenated once from its IDAT chunks: no re-copying per chunk, whatever the chunks' sizes;
 * - compressed ancillary chunks (iCCP, zTXt, iTXt) are skipped, never inflated: colour profiles and text
 *   do not change which digit a picture shows; APNG frames after the default image are skipped too.
 */
import { constants as zlib, inflateRawSync } from 'node:zlib';

export const MAX_CHUNKS = 4096;

const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Bit depths the PNG specification allows for each colour type, and that type's samples per pixel. */
const COLOUR_TYPES: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};

/** Adam7 passes: [x0, y0, dx, dy] */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colourType: number;
  channels: number;
  interlaced: boolean;
}

export interface WalkedPng {
  header: PngHeader;
  /** IHDR's 13 data bytes */
  ihdr: Uint8Array;
  plte?: Uint8Array;
  trns?: Uint8Array;
  /** the TIFF bytes of an eXIf chunk, for the orientation */
  exif?: Uint8Array;
  /** the IDAT chunks' data, in order */
  data: Uint8Array[];
  animated: boolean;
}

export class PngStructureError extends Error {
  override readonly name = 'PngStructureError';
}

const fail = (message: string) => new PngStructureError(message);

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

const typeOf = (bytes: Uint8Array, at: number) => String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);

/** The header of IHDR's 13 bytes at `at`, checked against the specification. */
export function parseIhdr(bytes: Uint8Array, at: number): PngHeader {
  const width = u32(bytes, at);
  const height = u32(bytes, at + 4);
  const depth = bytes[at + 8];
  const colourType = bytes[at + 9];
  const kind = Object.hasOwn(COLOUR_TYPES, colourType) ? COLOUR_TYPES[colourType] : undefined;
  if (!kind || !kind.depths.includes(depth)) throw fail(`PNG colour type ${colourType} with bit depth ${depth} is not valid`);
  if (bytes[at + 10] !== 0 || bytes[at + 11] !== 0) throw fail(`PNG compression ${bytes[at + 10]} / filter ${bytes[at + 11]} method is not 0`);
  if (bytes[at + 12] > 1) throw fail(`PNG interlace method ${bytes[at + 12]} is not 0 or 1`);
  return { width, height, depth, colourType, channels: kind.channels, interlaced: bytes[at + 12] === 1 };
}

/** Bytes the image data must inflate to: per row a filter byte and the packed samples, per pass if interlaced. */
export function inflatedSize(h: PngHeader): number {
  const row = (w: number) => (w === 0 ? 0 : 1 + Math.ceil((w * h.channels * h.depth) / 8));
  if (!h.interlaced) return h.height * row(h.width);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.ceil((h.width - x0) / dx);
    const rows = Math.ceil((h.height - y0) / dy);
    if (w > 0 && rows > 0) total += rows * row(w);
  }
  return total;
}

/**
 * Inflates a zlib stream into exactly `expected` bytes, or throws PngStructureError naming what it does
 * instead (inflates past them, stops short, is corrupt). The platform's zlib does it (node:zlib: Node's,
 * or workerd's native one under nodejs_compat) in one call whose output is capped at INFLATE_CAP(expected):
 * zlib stops there, so a stream costs the CPU and memory of at most `expected` + 64 KiB inflated bytes,
 * however far it would inflate (the largest header, 1024x1024 16-bit RGBA, allows 8.4 MB).
 *
 * Why 64 KiB of slack, not one byte: workerd's inflateRawSync (src/workerd/api/node/zlib-util.c++) writes
 * into a buffer that starts at 40 KiB and doubles, and whenever the buffer is full it first reserves
 * another 40 KiB, refusing "Memory limit exceeded" if that passes the cap. A valid stream therefore needs
 * the cap to exceed its size by that reservation, not by one byte: under a cap of `expected` + 1, streams
 * of 41-123 KB, 164-205 KB, 328-369 KB, ... (just past each buffer size) failed (scratch sweep in wrangler
 * dev). 64 KiB covers the 40 KiB reservation with room to spare; test/worker/encoding.test.ts inflates
 * valid streams at every buffer size and one byte, and 40 KiB, either side of it up to the largest header,
 * inside workerd. Node checks the bytes written, so any cap of at least `expected` is enough there.
 *
 * zlib rather than fflate: fflate in JavaScript is 4-5x slower (the bomb took 41 ms with fflate fed in
 * 1 KiB slices, against ~7 ms), and its one-call form keeps decoding past a buffer it cannot grow.
 */
export function inflateBounded(compressed: Uint8Array, expected: number): Uint8Array {
  // raw deflate after the 2-byte zlib header; the Adler-32 trailer is not checked (nor by fast-png)
  if (compressed.length < 2 || (compressed[0] & 0x0f) !== 8 || ((compressed[0] << 8) | compressed[1]) % 31 !== 0) {
    throw fail('PNG image data is not a zlib stream');
  }
  let rows: Uint8Array;
  try {
    // a stream cut short returns what it has (sync flush) instead of throwing, so it is named below
    rows = inflateRawSync(compressed.subarray(2), { maxOutputLength: INFLATE_CAP(expected), finishFlush: zlib.Z_SYNC_FLUSH });
  } catch (err) {
    if (err instanceof RangeError) throw fail(`PNG image data inflates past the ${expected} bytes its header allows (and past ${INFLATE_CAP(expected)})`);
    throw fail(`corrupt PNG image data: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (rows.length > expected) throw fail(`PNG image data inflates past the ${expected} bytes its header allows (to ${rows.length})`);
  if (rows.length < expected) throw fail(`truncated PNG image data: ${rows.length} of the ${expected} bytes its header implies`);
  // a plain Uint8Array view of zlib's Buffer, so the unfiltering loops see one element type
  return new Uint8Array(rows.buffer, rows.byteOffset, rows.length);
}

/** zlib's output cap for a stream that should inflate to `expected` bytes (see inflateBounded) */
export const INFLATE_CAP = (expected: number): number => expected + 65_536;

/**
 * `data` as a zlib stream of stored (uncompressed) deflate blocks: fast-png's inflate then only copies it.
 * Written here because fflate's zlibSync at level 0 also computes an Adler-32 over megabytes that nothing
 * checks; the checksum is left 0.
 */
function storedZlib(data: Uint8Array): Uint8Array {
  const BLOCK = 0xffff;
  const blocks = Math.max(1, Math.ceil(data.length / BLOCK));
  const out = new Uint8Array(2 + blocks * 5 + data.length + 4);
  out[0] = 0x78;
  out[1] = 0x01;
  let at = 2;
  for (let b = 0; b < blocks; b++) {
    const part = data.subarray(b * BLOCK, (b + 1) * BLOCK);
    const n = part.length;
    out.set([b === blocks - 1 ? 1 : 0, n & 0xff, n >> 8, ~n & 0xff, (~n >> 8) & 0xff], at);
    out.set(part, at + 5);
    at += 5 + n;
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  // no CRC: fast-png does not check it by default, and the bytes were checked here
  const out = new Uint8Array(12 + data.length);
  new DataView(out.buffer).setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  return out;
}

/** The parts end to end in one new array. */
export function concat(parts: ArrayLike<number>[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Reads the structure of a PNG (signature already recognised) without inflating anything. `checkSides`
 * runs on IHDR's dimensions before any other chunk is read.
 */
export function walkPng(bytes: Uint8Array, checkSides: (width: number, height: number) => void): WalkedPng {
  if (bytes.length < 33 || u32(bytes, 8) !== 13 || typeOf(bytes, 12) !== 'IHDR') throw fail('truncated PNG: the first chunk is not a 13-byte IHDR');
  const header = parseIhdr(bytes, 16);
  checkSides(header.width, header.height);
  let plte: Uint8Array | undefined;
  let trns: Uint8Array | undefined;
  let exif: Uint8Array | undefined;
  const data: Uint8Array[] = [];
  let at = 33;
  let count = 1;
  let animated = false;
  while (at + 8 <= bytes.length) {
    if (++count > MAX_CHUNKS) throw fail(`the PNG has more than ${MAX_CHUNKS} chunks`);
    const length = u32(bytes, at);
    const type = typeOf(bytes, at + 4);
    if (length > bytes.length - at - 12) throw fail(`truncated PNG: chunk ${JSON.stringify(type)} runs past the end of the ${bytes.length} bytes`);
    const body = bytes.subarray(at + 8, at + 8 + length);
    at += 12 + length;
    if (type === 'IEND') break;
    switch (type) {
      case 'IHDR':
        throw fail('the PNG has a second IHDR chunk; expected exactly one');
      case 'PLTE':
        if (plte) throw fail('the PNG has a second PLTE chunk');
        if (data.length) throw fail('the PNG palette (PLTE) comes after the image data');
        if (length === 0 || length % 3 !== 0 || length > 768) throw fail(`PLTE is ${length} bytes; expected 3 per colour, 1..256 colours`);
        plte = body;
        break;
      case 'tRNS':
        trns = body;
        break;
      case 'IDAT':
        data.push(body);
        break;
      case 'eXIf':
        exif = body;
        break;
      case 'acTL':
        animated = true;
        break;
      default:
        // ancillary (iCCP, zTXt, iTXt, text, APNG frames...) skipped unread; an unknown critical chunk is refused
        if (!(type.charCodeAt(0) & 0x20)) throw fail(`the PNG has an unknown critical chunk ${JSON.stringify(type)}`);
    }
  }
  if (!data.length) throw fail('truncated PNG: no image data (IDAT)');
  if (header.colourType === 3 && !plte) throw fail('the palette PNG has no palette (PLTE)');
  const colours = plte ? plte.length / 3 : 0;
  const trnsFits =
    trns && (header.colourType === 3 ? trns.length <= colours : header.colourType === 0 ? trns.length === 2 : header.colourType === 2 && trns.length === 6);
  // a tRNS that does not fit is ignored, as libpng does (a benign error), rather than refusing the picture
  return { header, ihdr: bytes.subarray(16, 29), plte, trns: trnsFits ? trns : undefined, exif, data, animated };
}

/**
 * The common PNG (8-bit samples, not interlaced, grey / grey+alpha / RGB / RGBA, no tRNS: what canvases,
 * phones and image editors write) straight from its checked image data: the rows unfiltered here, without
 * rebuilding the file for fast-png. Null for every other PNG, which goes through rebuildPng and fast-png.
 *
 * Written here because fast-png has no entry point for already-inflated rows: the rebuild copies the rows
 * into stored deflate blocks that fast-png inflates (copies) again before it unfilters, ~1.8 ms of a
 * 280x280 drawing's ~5 ms. The five filters are PNG's (ISO/IEC 15948 section 9.2); tests compare every
 * result with fast-png's on files from two other encoders (resvg, libvips).
 */
export function decodeCommonPng(walked: WalkedPng): DecodedRows | null {
  const { width, height, depth, colourType, channels, interlaced } = walked.header;
  if (depth !== 8 || interlaced || walked.trns || colourType === 3) return null;
  const rows = inflateImageData(walked);
  const stride = width * channels;
  // unfiltered in place, one filter byte less per row: row y's pixels land at y * stride, before (and never
  // on) the bytes of its own and later rows still to be read, which sit from y * (stride + 1) + 1 on
  const out = rows;
  const bpp = channels;
  for (let y = 0; y < height; y++) {
    const filter = rows[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const up = row - stride; // the previous row in `out` (absent for y = 0: read as 0)
    switch (filter) {
      case 0:
        out.copyWithin(row, src, src + stride);
        break;
      case 1:
        for (let i = 0; i < stride; i++) out[row + i] = rows[src + i] + (i >= bpp ? out[row + i - bpp] : 0);
        break;
      case 2:
        if (y === 0) out.copyWithin(row, src, src + stride);
        else for (let i = 0; i < stride; i++) out[row + i] = rows[src + i] + out[up + i];
        break;
      case 3:
        for (let i = 0; i < stride; i++) {
          const left = i >= bpp ? out[row + i - bpp] : 0;
          const above = y > 0 ? out[up + i] : 0;
          out[row + i] = rows[src + i] + ((left + above) >> 1);
        }
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          const a = i >= bpp ? out[row + i - bpp] : 0;
          const b = y > 0 ? out[up + i] : 0;
          const c = i >= bpp && y > 0 ? out[up + i - bpp] : 0;
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          out[row + i] = rows[src + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
        }
        break;
      default:
        throw fail(`corrupt PNG image data: row ${y} has filter type ${filter}; expected 0 to 4`);
    }
  }
  return { width, height, channels: channels as DecodedRows['channels'], data: out.subarray(0, stride * height) };
}

/** Unfiltered 8-bit rows, interleaved channels (1 grey, 2 grey+alpha, 3 RGB, 4 RGBA). */
export interface DecodedRows {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

/** A walked PNG's image data (its IDAT chunks as one zlib stream) inflated to exactly the size its header implies. */
function inflateImageData({ header, data }: WalkedPng): Uint8Array {
  return inflateBounded(data.length === 1 ? data[0] : concat(data), inflatedSize(header));
}

/**
 * The image data of a walked PNG inflated under its budget, as a minimal PNG of IHDR, PLTE, tRNS, one
 * IDAT (the checked rows, stored uncompressed) and IEND: all fast-png gets to see.
 */
export function rebuildPng(walked: WalkedPng): Uint8Array {
  const { header, ihdr, plte, trns } = walked;
  const pixels = inflateImageData(walked);
  const parts = [SIGNATURE, chunk('IHDR', ihdr)];
  if (plte && header.colourType === 3) parts.push(chunk('PLTE', plte));
  if (trns) parts.push(chunk('tRNS', trns));
  // fast-png inflates this again without a budget, which is now safe: it is the checked rows, stored
  parts.push(chunk('IDAT', storedZlib(pixels)), chunk('IEND', new Uint8Array(0)));
  return concat(parts);
}
