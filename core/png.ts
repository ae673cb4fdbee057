/**
 * The project's one PNG writer (training figures and the edge API both use it): 8-bit greyscale images
 * from float pixels in [0, 1], single tiles or grids of tiles.
 *
 * Compression runs on the platform's native zlib, `deflateSync` of node:zlib (Node's, or workerd's under
 * nodejs_compat): a zlib stream is exactly what a PNG's IDAT holds, and deflate in JavaScript (fast-png's
 * fflate) cost ~100 ms of CPU for the largest grid. Not `CompressionStream('deflate')`, which is the same
 * zlib at the same level and gives the same bytes (checked in workerd on 200 inputs of 1-5,000 bytes, so
 * the engine fingerprint and every model version stay as they were), but whose stream machinery cost
 * workerd ~0.1 ms per PNG: 16 JSON tiles took ~1.6-2.3 ms that way against ~0.6 ms now (scratch worker,
 * process CPU over 400 requests). The encoder stays async so callers need not change.
 *
 * Scanlines: the first copy of every row uses filter None; a row that repeats the previous one (each
 * source row of a grid enlarged `scale` times appears `scale` times) uses filter Up, i.e. all zeros, which
 * deflate shrinks to almost nothing and which we never have to materialise as scaled pixels.
 *
 * The chunk framing (signature, IHDR, IDAT, IEND, CRC-32) is written here rather than by fast-png because
 * fast-png has no hook for an external or asynchronous deflater: it always runs fflate synchronously in
 * JavaScript. fast-png stays the decoder the tests check every pixel with.
 */
import { deflateSync } from 'node:zlib';
import { IMAGE_SIDE, IMAGE_PIXELS } from './contract';

/** Float pixel in [0, 1] to a byte; rounding is fixed so every runtime produces the same bytes. */
export function toByte(v: number): number {
  if (!(v > 0)) return 0; // also maps NaN to 0
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

/**
 * A greyscale image stored once per distinct row: `rows` rows of `width` bytes in `bytes`, each shown
 * `repeat` times in a row, so the image is `width` x `rows * repeat`.
 */
export interface RepeatedRows {
  bytes: Uint8Array;
  width: number;
  rows: number;
  repeat: number;
}

/** zlib (RFC 1950) compression of `data` by the platform's native zlib (see the header). */
export async function zlibDeflate(data: Uint8Array): Promise<Uint8Array> {
  const out = deflateSync(data);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO 3309, as PNG specifies) of `parts` read one after another. */
export function crc32(...parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const p of parts) for (let i = 0; i < p.length; i++) c = CRC_TABLE[(c ^ p[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const FILTER_NONE = 0;
const FILTER_UP = 2;

/** Filtered scanlines ([filter byte, row bytes] per image row) of `image`. */
function scanlines({ bytes, width, rows, repeat }: RepeatedRows): Uint8Array {
  const stride = width + 1;
  const out = new Uint8Array(stride * rows * repeat); // zeros: an Up row of a repeat needs only its filter byte
  for (let r = 0; r < rows; r++) {
    let at = r * repeat * stride;
    out[at] = FILTER_NONE;
    out.set(bytes.subarray(r * width, (r + 1) * width), at + 1);
    for (let k = 1; k < repeat; k++) {
      at += stride;
      out[at] = FILTER_UP;
    }
  }
  return out;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** An 8-bit greyscale PNG of `image`; `deflate` is the platform's zlib unless a test swaps it. */
export async function encodeRepeatedRows(image: RepeatedRows, deflate = zlibDeflate): Promise<Uint8Array<ArrayBuffer>> {
  const { bytes, width, rows, repeat } = image;
  if (!(Number.isInteger(repeat) && repeat >= 1)) throw new RangeError(`repeat must be an integer >= 1, got ${repeat}`);
  if (bytes.length !== width * rows) {
    throw new RangeError(`expected ${width}x${rows}=${width * rows} pixels, got ${bytes.length}`);
  }
  const height = rows * repeat;
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // bit depth 8, colour type 0 (greyscale), deflate, filter method 0, no interlace
  const parts = [new Uint8Array(SIGNATURE), chunk('IHDR', header), chunk('IDAT', await deflate(scanlines(image))), chunk('IEND', new Uint8Array(0))];
  const png = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    png.set(p, offset);
    offset += p.length;
  }
  return png;
}

/** A `width` x `height` greyscale image ([height, width] row-major bytes) as a PNG. */
export function encodeGreyPng(bytes: Uint8Array, width: number, height: number): Promise<Uint8Array<ArrayBuffer>> {
  if (bytes.length !== width * height) {
    throw new RangeError(`expected ${width}x${height}=${width * height} pixels, got ${bytes.length}`);
  }
  return encodeRepeatedRows({ bytes, width, rows: height, repeat: 1 });
}

export interface GridOptions {
  /** tiles per row (default 8) */
  columns?: number;
  /** nearest-neighbour enlargement of each tile, 1..8 (default 1) */
  scale?: number;
  /** pixels of black between tiles, before scaling (default 0) */
  gap?: number;
}

/**
 * Lays out `count` square tiles of `side` x `side` float pixels ([count, side*side] row-major) into
 * one byte image, `columns` per row, enlarged `scale` times across; each of its rows stands for `scale`
 * identical rows of the enlarged grid (`repeat`), so the vertical enlargement costs nothing.
 */
export function tileRows(
  pixels: ArrayLike<number>,
  count: number,
  { columns = 8, scale = 1, gap = 0 }: GridOptions = {},
  side = IMAGE_SIDE,
): RepeatedRows {
  const tilePixels = side * side;
  if (pixels.length !== count * tilePixels) {
    throw new RangeError(`expected ${count} tiles of ${tilePixels} pixels, got ${pixels.length} values`);
  }
  const cols = Math.min(columns, count);
  const rows = Math.ceil(count / cols);
  const cell = side + gap;
  const width = (cols * cell - gap) * scale;
  const height = rows * cell - gap;
  const bytes = new Uint8Array(width * height);
  for (let t = 0; t < count; t++) {
    const x0 = (t % cols) * cell * scale;
    const y0 = Math.floor(t / cols) * cell;
    for (let y = 0; y < side; y++) {
      const row = (y0 + y) * width + x0;
      const src = t * tilePixels + y * side;
      for (let x = 0; x < side; x++) {
        const v = toByte(pixels[src + x]);
        const at = row + x * scale;
        // a plain loop: a fill() call per pixel costs more than the few bytes it writes
        for (let k = 0; k < scale; k++) bytes[at + k] = v;
      }
    }
  }
  return { bytes, width, rows: height, repeat: scale };
}

/** The enlarged grid as plain bytes, every row spelled out ([height, width] row-major). */
export function tileGrid(
  pixels: ArrayLike<number>,
  count: number,
  options: GridOptions = {},
  side = IMAGE_SIDE,
): { bytes: Uint8Array; width: number; height: number } {
  const { bytes: compact, width, rows, repeat } = tileRows(pixels, count, options, side);
  const bytes = new Uint8Array(width * rows * repeat);
  for (let r = 0; r < rows; r++) {
    const row = compact.subarray(r * width, (r + 1) * width);
    for (let k = 0; k < repeat; k++) bytes.set(row, (r * repeat + k) * width);
  }
  return { bytes, width, height: rows * repeat };
}

/** One 28x28 image as a PNG. */
export function imagePng(pixels: ArrayLike<number>, scale = 1): Promise<Uint8Array<ArrayBuffer>> {
  return encodeRepeatedRows(tileRows(pixels, 1, { scale }));
}

/** A grid of 28x28 images as one PNG. */
export function gridPng(pixels: ArrayLike<number>, count: number, options: GridOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
  return encodeRepeatedRows(tileRows(pixels, count, options));
}

export { IMAGE_PIXELS };
