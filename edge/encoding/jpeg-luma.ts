/**
 * A large baseline JPEG's brightness at a quarter of its size, read straight from its DCT coefficients:
 * each output pixel is the mean of a 4x4 cell of the picture's luma (Y), which is exactly what the
 * normaliser would make of the full decode (toGrey's 0.299 R + 0.587 G + 0.114 B is Y; `shrinkBy` 4 is
 * the 4x4 mean) up to the decoder's rounding and clamping. A 1024x1024 photo then costs a Huffman pass
 * and a few multiply-adds per block (~6 ms in Node for the bench's 4:4:4 photo), instead of mozjpeg's full
 * decode (15-23 ms in Node, ~20-25 in workerd: IDCT, chroma upsampling, colour conversion, a 4 MB RGBA
 * buffer) followed by a grey conversion and a shrink of a million pixels.
 *
 * Written here because no JPEG decoder for JavaScript or WebAssembly that we can ship exposes DCT-domain
 * scaling (libjpeg's `scale_denom`; @jsquash/jpeg's mozjpeg build has no option for it, jpeg-js neither).
 *
 * The mean of one 4x4 quadrant of an 8x8 block, from the IDCT's definition (ITU T.81 A.3.3):
 *   f(x, y) = 1/4 sum_u sum_v C(u) C(v) F(v, u) cos((2x + 1) u pi / 16) cos((2y + 1) v pi / 16), C(0) = 1/sqrt 2
 * Averaging cos((2x + 1) u pi / 16) over x = 0..3 gives m_u for odd u, 0 for even u > 0, 1 for u = 0; over
 * x = 4..7 it gives -m_u for odd u. So a quadrant's mean needs only the coefficients whose u and v are 0 or
 * odd, each with a weight and a sign per quadrant (QUADRANT_WEIGHTS).
 *
 * Only what can be read this way is: 8-bit baseline or extended sequential Huffman frames (SOF0, SOF1),
 * grey or YCbCr with Y at full sampling. Anything else (progressive, arithmetic coding, RGB or CMYK
 * components, a Huffman code that is not in its table, a restart marker out of place) answers null and
 * the caller decodes the whole picture as before. The work is bounded by the frame's size, whatever the
 * data: every block reads at most 64 coefficients, each component is read from one scan, and the blocks
 * after the data runs out are left mid-grey, as libjpeg leaves them.
 */

import { isFrameMarker, type JpegFrame } from './jpeg-markers';

/** Output pixels per side of each 8x8 block. */
const CELLS = 2;

/** zigzag index -> natural index (row * 8 + column), ITU T.81 figure A.6 */
const ZIGZAG = Int32Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56,
  57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
]);

/** C(u) times the mean of cos((2x + 1) u pi / 16) over x = 0..3 (the first half of the block) */
function halfWeight(u: number): number {
  if (u === 0) return Math.SQRT1_2;
  if (u % 2 === 0) return 0;
  let sum = 0;
  for (let x = 0; x < 4; x++) sum += Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  return sum / 4;
}

/**
 * Per zigzag position k and quadrant q (top-left, top-right, bottom-left, bottom-right), at [k * 4 + q]: the
 * weight of coefficient k in that quadrant's mean, 1/4 C(u) C(v) m_u m_v (0 when u or v is even and not 0),
 * negated in the right quadrants for odd u and in the bottom ones for odd v.
 */
const QUADRANT_WEIGHTS = (() => {
  const weights = new Float64Array(64 * 4);
  for (let k = 0; k < 64; k++) {
    const v = ZIGZAG[k] >> 3;
    const u = ZIGZAG[k] & 7;
    const w = (halfWeight(u) * halfWeight(v)) / 4;
    const right = u % 2 ? -w : w;
    const bottom = v % 2 ? -w : w;
    weights.set([w, right, bottom, u % 2 !== v % 2 ? -w : w], k * 4);
  }
  return weights;
})();

/** A canonical Huffman table (ITU T.81 annex C) with an 11-bit lookahead (LOOKAHEAD) for the common short codes. */
interface HuffmanTable {
  /** next LOOKAHEAD bits -> (code length << 8) | symbol; 0 when the code is longer */
  fast: Int32Array;
  /**
   * As an AC table, next LOOKAHEAD bits -> (value << 16) | (run << 8) | bits taken, when the code and its value bits
   * both fit (most coefficients: small values have short codes); run 0xFF for end of block, value 0 and run
   * 16 for a run of 16 zeros; 0 when they do not fit
   */
  fastAc: Int32Array;
  /** per code length 1..16: the largest code of that length (-1 if none), the first code, and its index in `symbols` */
  maxCode: Int32Array;
  minCode: Int32Array;
  firstIndex: Int32Array;
  symbols: Uint8Array;
}

/** bits looked up at once: an 11-bit table catches most AC codes with their value bits (measured 9 -> 11: 5.6 -> 5.0 ms per 1024x1024 photo in Node) */
const LOOKAHEAD = 11;

function buildTable(counts: Uint8Array, symbols: Uint8Array): HuffmanTable {
  const fast = new Int32Array(1 << LOOKAHEAD);
  const fastAc = new Int32Array(1 << LOOKAHEAD);
  const maxCode = new Int32Array(17).fill(-1);
  const minCode = new Int32Array(17);
  const firstIndex = new Int32Array(17);
  let code = 0;
  let index = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1];
    if (n) {
      firstIndex[length] = index;
      minCode[length] = code;
      for (let i = 0; i < n; i++, code++, index++) {
        if (length <= LOOKAHEAD) {
          const shift = LOOKAHEAD - length;
          const symbol = symbols[index];
          const run = symbol >> 4;
          const size = symbol & 15;
          for (let fill = 0; fill < 1 << shift; fill++) {
            fast[(code << shift) | fill] = (length << 8) | symbol;
            if (size === 0) {
              if (symbol === 0x00) fastAc[(code << shift) | fill] = (0xff << 8) | length;
              else if (symbol === 0xf0) fastAc[(code << shift) | fill] = (16 << 8) | length;
            } else if (length + size <= LOOKAHEAD) {
              const value = extend((fill >> (shift - size)) & ((1 << size) - 1), size);
              fastAc[(code << shift) | fill] = (value << 16) | (run << 8) | (length + size);
            }
          }
        }
      }
      maxCode[length] = code - 1;
    }
    code <<= 1;
  }
  return { fast, fastAc, maxCode, minCode, firstIndex, symbols };
}

/** A size-s category's bits as its signed value (ITU T.81 F.2.2.1 EXTEND) */
const extend = (bits: number, size: number) => (bits < 1 << (size - 1) ? bits - (1 << size) + 1 : bits);

/** Why the quarter-size read gives up: the caller then decodes the whole picture. */
class NotReadable extends Error {}

/**
 * A scan's entropy-coded data with the byte stuffing taken out (0xFF 0x00 -> 0xFF) and the restart markers
 * cut out, where each restart interval's data starts (`restarts`, byte offsets), and 4 zero bytes after the
 * end, so the last block's reads stay in the array. Bits are then read by position alone
 * (`peek`), which keeps the decoder's whole state in one local integer (measured on the bench's 1024x1024
 * photo in Node: 7.3 ms, against 8.2 with a reader object whose fields were loaded and stored around every
 * symbol).
 */
interface EntropyData {
  bytes: Uint8Array;
  restarts: number[];
}

function unstuff(data: Uint8Array): EntropyData {
  const bytes = new Uint8Array(data.length + 4);
  const restarts: number[] = [];
  let n = 0;
  let from = 0;
  for (let i = data.indexOf(0xff); i >= 0; i = data.indexOf(0xff, from)) {
    bytes.set(data.subarray(from, i), n);
    n += i - from;
    const next = data[i + 1];
    if (next === 0xff) {
      from = i + 1; // a fill byte before a marker
      continue;
    }
    if (next === 0x00) bytes[n++] = 0xff;
    else if (next >= 0xd0 && next <= 0xd7) restarts.push(n);
    from = i + 2;
  }
  if (from < data.length) {
    bytes.set(data.subarray(from), n);
    n += data.length - from;
  }
  return { bytes: bytes.subarray(0, n + 4), restarts };
}

/** The n <= 16 bits at bit position `pos`, MSB first. */
function peek(bytes: Uint8Array, pos: number, n: number): number {
  const i = pos >> 3;
  const window = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
  return (window >> (24 - (pos & 7) - n)) & ((1 << n) - 1);
}

/** The Huffman symbol at `pos`, as (code length << 8) | symbol; throws NotReadable for a code not in the table. */
function symbolAt(bytes: Uint8Array, pos: number, table: HuffmanTable): number {
  const entry = table.fast[peek(bytes, pos, LOOKAHEAD)];
  if (entry) return entry;
  for (let length = LOOKAHEAD + 1; length <= 16; length++) {
    const code = peek(bytes, pos, length);
    if (code <= table.maxCode[length]) return (length << 8) | table.symbols[table.firstIndex[length] + code - table.minCode[length]];
  }
  throw new NotReadable('a Huffman code that is not in its table');
}

interface Component {
  id: number;
  h: number;
  v: number;
  quant: number;
}

export interface QuarterLuma {
  /** ceil(width / 4) x ceil(height / 4) */
  width: number;
  height: number;
  /** the 4x4 means of Y, rounded and clamped to 0..255, row-major */
  grey: Uint8Array;
}

const u16 = (bytes: Uint8Array, at: number) => (bytes[at] << 8) | bytes[at + 1];

const SEQUENTIAL_HUFFMAN = new Set([0xc0, 0xc1]);
const RGB_IDS = [0x52, 0x47, 0x42]; // 'R', 'G', 'B': libjpeg takes three components so named as RGB

/**
 * The luma of a walked JPEG at a quarter of its size, or null when it is not a picture this reads (see the
 * file's comment). `frame` is walkJpeg's: its segments are the ones the decoder reads.
 */
export function decodeQuarterLuma(frame: JpegFrame): QuarterLuma | null {
  try {
    return read(frame);
  } catch (err) {
    if (err instanceof NotReadable) return null;
    throw err;
  }
}

/**
 * The frame's components when it is one this reads (8-bit sequential Huffman, grey or YCbCr with Y at the
 * highest sampling), else null: known from the walk alone, before any data is read.
 */
function readableComponents({ components: count, adobeTransform, segments }: JpegFrame): Component[] | null {
  const sof = segments.find((s) => isFrameMarker(s.marker));
  if (!sof || !SEQUENTIAL_HUFFMAN.has(sof.marker) || sof.body[0] !== 8) return null; // progressive, 12-bit, lossless, arithmetic...
  if (count !== 1 && count !== 3) return null;
  if (adobeTransform === 0) return null; // Adobe's "no transform": the components are RGB
  const components: Component[] = [];
  for (let i = 0; i < count; i++) {
    const c = sof.body.subarray(6 + 3 * i, 9 + 3 * i);
    components.push({ id: c[0], h: c[1] >> 4, v: c[1] & 15, quant: c[2] });
  }
  const [luma] = components;
  if (count === 3 && components.every((c, i) => c.id === RGB_IDS[i])) return null;
  if (components.some((c) => c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.h > luma.h || c.v > luma.v)) return null;
  return components;
}

/** Whether decodeQuarterLuma will try `frame` (it can still give up on its data). */
export const readsAtQuarter = (frame: JpegFrame): boolean => readableComponents(frame) !== null;

function read(frame: JpegFrame): QuarterLuma | null {
  const components = readableComponents(frame);
  if (!components) return null;
  const { width, height, segments } = frame;
  const [luma] = components;

  const quantTables: (Uint16Array | undefined)[] = [];
  const dcTables: (HuffmanTable | undefined)[] = [];
  const acTables: (HuffmanTable | undefined)[] = [];
  let restartInterval = 0;
  const out = { width: Math.ceil(width / 4), height: Math.ceil(height / 4) };
  const sums = new Float64Array(out.width * out.height);
  const scanned = new Set<Component>();
  for (const { marker, body, data } of segments) {
    if (marker === 0xdb) {
      for (let p = 0; p < body.length; ) {
        const wide = body[p] >> 4;
        if (p + 1 + 64 * (wide ? 2 : 1) > body.length) return null;
        const table = new Uint16Array(64);
        for (let k = 0; k < 64; k++) table[k] = wide ? u16(body, p + 1 + 2 * k) : body[p + 1 + k];
        quantTables[body[p] & 15] = table;
        p += 1 + 64 * (wide ? 2 : 1);
      }
    } else if (marker === 0xc4) {
      for (let p = 0; p < body.length; ) {
        const counts = body.subarray(p + 1, p + 17);
        const total = counts.reduce((a, b) => a + b, 0);
        if (counts.length < 16 || p + 17 + total > body.length) return null;
        const table = buildTable(counts, body.subarray(p + 17, p + 17 + total));
        if (body[p] >> 4) acTables[body[p] & 15] = table;
        else dcTables[body[p] & 15] = table;
        p += 17 + total;
      }
    } else if (marker === 0xdd && body.length >= 2) {
      restartInterval = u16(body, 0);
    } else if (marker === 0xda && data) {
      const scan: ScanComponent[] = [];
      for (let i = 0; i < body[0]; i++) {
        const component = components.find((c) => c.id === body[1 + 2 * i]);
        const dc = dcTables[body[2 + 2 * i] >> 4];
        const ac = acTables[body[2 + 2 * i] & 15];
        // a sequential JPEG codes each component in one scan: a second one is not a picture this reads (and
        // 32 scans of one component would cost 32 reads of the frame)
        if (!component || !dc || !ac || scanned.has(component)) return null;
        scanned.add(component);
        scan.push({ component, dc, ac, isLuma: component === luma });
      }
      const quant = quantTables[luma.quant];
      if (!quant) return null;
      decodeScan(unstuff(data), scan, components, { width, height, restartInterval }, quant, sums, out);
      if (scanned.has(luma)) break; // the luma is read: later scans (chroma) are not needed
    }
  }
  if (!scanned.has(luma)) return null;
  const grey = new Uint8Array(sums.length);
  for (let i = 0; i < grey.length; i++) grey[i] = Math.max(0, Math.min(255, Math.round(sums[i] + 128)));
  return { ...out, grey };
}

interface ScanComponent {
  component: Component;
  dc: HuffmanTable;
  ac: HuffmanTable;
  isLuma: boolean;
}

/**
 * One sequential scan: every block's DC difference and AC run-lengths read; luma blocks' quadrant means
 * added into `sums` (the DC-only part is F(0,0)/8), the other components' coefficients skipped.
 */
function decodeScan(
  data: EntropyData,
  scan: ScanComponent[],
  components: Component[],
  frame: { width: number; height: number; restartInterval: number },
  quant: Uint16Array,
  sums: Float64Array,
  { width: outW, height: outH }: { width: number; height: number },
): void {
  const hMax = components[0].h;
  const vMax = components[0].v;
  // QUADRANT_WEIGHTS for the dequantised coefficients: [k * 4 + quadrant]
  const quadrants = QUADRANT_WEIGHTS.map((w, i) => w * quant[i >> 2]);
  const single = scan.length === 1;
  // a single-component scan covers that component's own blocks; an interleaved one whole MCUs
  const unitsX = single ? Math.ceil(Math.ceil((frame.width * scan[0].component.h) / hMax) / 8) : Math.ceil(frame.width / (8 * hMax));
  const unitsY = single ? Math.ceil(Math.ceil((frame.height * scan[0].component.v) / vMax) / 8) : Math.ceil(frame.height / (8 * vMax));
  const predictions = new Int32Array(scan.length);
  const { bytes, restarts } = data;
  // past the data, libjpeg warns of a premature end and leaves the remaining blocks' coefficients at zero
  // (mid-grey): so does this, which also keeps reads inside the array
  const end = (bytes.length - 4) * 8;
  let pos = 0;
  let restart = 0;
  let untilRestart = frame.restartInterval;
  for (let my = 0; my < unitsY; my++) {
    for (let mx = 0; mx < unitsX; mx++) {
      if (pos > end) return;
      if (frame.restartInterval) {
        if (untilRestart === 0) {
          // the partial byte before the marker is dropped; the marker must be where the interval says
          if (restart >= restarts.length || restarts[restart] !== (pos + 7) >> 3) throw new NotReadable('a restart marker out of place');
          pos = restarts[restart++] * 8;
          predictions.fill(0);
          untilRestart = frame.restartInterval;
        }
        untilRestart--;
      }
      for (let s = 0; s < scan.length; s++) {
        const { component, dc, ac, isLuma } = scan[s];
        const blocksH = single ? 1 : component.h;
        const blocksV = single ? 1 : component.v;
        for (let by = 0; by < blocksV; by++) {
          for (let bx = 0; bx < blocksH; bx++) {
            const dcSymbol = symbolAt(bytes, pos, dc);
            pos += dcSymbol >> 8;
            const dcSize = dcSymbol & 15;
            if (dcSize) {
              predictions[s] += extend(peek(bytes, pos, dcSize), dcSize);
              pos += dcSize;
            }
            // the four quadrant means of this block, before the +128 level shift
            let q00 = 0;
            let q10 = 0;
            let q01 = 0;
            let q11 = 0;
            if (isLuma) q00 = q10 = q01 = q11 = (predictions[s] * quant[0]) / 8;
            for (let k = 1; k < 64; ) {
              let value: number;
              const fast = ac.fastAc[peek(bytes, pos, LOOKAHEAD)];
              if (fast) {
                pos += fast & 0xff;
                const run = (fast >> 8) & 0xff;
                if (run === 0xff) break; // end of block
                k += run;
                value = fast >> 16;
                if (value === 0) continue; // 16 zeros
              } else {
                const symbol = symbolAt(bytes, pos, ac);
                pos += symbol >> 8;
                const size = symbol & 15;
                const run = (symbol >> 4) & 15;
                if (size === 0) {
                  if (run !== 15) break; // end of block
                  k += 16;
                  continue;
                }
                k += run;
                value = extend(peek(bytes, pos, size), size);
                pos += size;
              }
              if (isLuma && k < 64) {
                const w = k * 4;
                q00 += value * quadrants[w];
                q10 += value * quadrants[w + 1];
                q01 += value * quadrants[w + 2];
                q11 += value * quadrants[w + 3];
              }
              k++;
            }
            if (!isLuma) continue;
            const blockX = single ? mx : mx * component.h + bx;
            const blockY = single ? my : my * component.v + by;
            const x = blockX * CELLS;
            const y = blockY * CELLS;
            if (x >= outW || y >= outH) continue; // padding blocks past the picture's edge
            sums[y * outW + x] = q00;
            if (x + 1 < outW) sums[y * outW + x + 1] = q10;
            if (y + 1 < outH) {
              sums[(y + 1) * outW + x] = q01;
              if (x + 1 < outW) sums[(y + 1) * outW + x + 1] = q11;
            }
          }
        }
      }
    }
  }
}
