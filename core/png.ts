/**
 * The project's one PNG writer (training figures and the edge API both use it): greyscale images from
 * float pixels in [0, 1], single tiles or grids of tiles, encoded by fast-png (pure JS, so it runs in
 * Node and inside workerd alike).
 */
import { encode } from 'fast-png';
import { IMAGE_SIDE, IMAGE_PIXELS } from './contract';

/** Float pixel in [0, 1] to a byte; rounding is fixed so every runtime produces the same bytes. */
export function toByte(v: number): number {
  if (!(v > 0)) return 0; // also maps NaN to 0
  if (v >= 1) return 255;
  return Math.round(v * 255);
}

export function encodeGreyPng(bytes: Uint8Array, width: number, height: number): Uint8Array {
  if (bytes.length !== width * height) {
    throw new RangeError(`expected ${width}x${height}=${width * height} pixels, got ${bytes.length}`);
  }
  return encode({ width, height, data: bytes, channels: 1, depth: 8 });
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
 * Lays out `count` square tiles of `side` x `side` float pixels ([count, side*side] row-major)
 * into one byte image, row by row, `columns` per row.
 */
export function tileGrid(
  pixels: ArrayLike<number>,
  count: number,
  { columns = 8, scale = 1, gap = 0 }: GridOptions = {},
  side = IMAGE_SIDE,
): { bytes: Uint8Array; width: number; height: number } {
  const tilePixels = side * side;
  if (pixels.length !== count * tilePixels) {
    throw new RangeError(`expected ${count} tiles of ${tilePixels} pixels, got ${pixels.length} values`);
  }
  const cols = Math.min(columns, count);
  const rows = Math.ceil(count / cols);
  const cell = side + gap;
  const width = (cols * cell - gap) * scale;
  const height = (rows * cell - gap) * scale;
  const bytes = new Uint8Array(width * height);
  for (let t = 0; t < count; t++) {
    const x0 = (t % cols) * cell * scale;
    const y0 = Math.floor(t / cols) * cell * scale;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const v = toByte(pixels[t * tilePixels + y * side + x]);
        for (let dy = 0; dy < scale; dy++) {
          const row = (y0 + y * scale + dy) * width + x0 + x * scale;
          bytes.fill(v, row, row + scale);
        }
      }
    }
  }
  return { bytes, width, height };
}

/** One 28x28 image as a PNG. */
export function imagePng(pixels: ArrayLike<number>, scale = 1): Uint8Array {
  const { bytes, width, height } = tileGrid(pixels, 1, { scale });
  return encodeGreyPng(bytes, width, height);
}

/** A grid of 28x28 images as one PNG. */
export function gridPng(pixels: ArrayLike<number>, count: number, options: GridOptions = {}): Uint8Array {
  const { bytes, width, height } = tileGrid(pixels, count, options);
  return encodeGreyPng(bytes, width, height);
}

export { IMAGE_PIXELS };
