/**
 * Images to bytes: the PNG grid (format=png) and the per-image base64 PNGs (format=json), both written
 * by core/png so Node tools produce the same pixels (and, with the same zlib, the same bytes); deflate
 * runs in the platform's native zlib.
 */
import { IMAGE_PIXELS } from '../../core/contract';
import { gridPng, imagePng } from '../../core/png';

/** Tiles per row of the PNG grid. */
export const GRID_COLUMNS = 8;

/** One PNG: tiles in request order, GRID_COLUMNS per row, no gaps, each enlarged `scale` times. */
export function encodeGrid(pixels: Float32Array, count: number, scale: number): Promise<Uint8Array<ArrayBuffer>> {
  return gridPng(pixels, count, { columns: GRID_COLUMNS, scale });
}

/** One 28x28 greyscale PNG per image, base64-encoded, in request order. */
export async function encodeTiles(pixels: Float32Array, count: number): Promise<string[]> {
  const tiles: string[] = [];
  for (let i = 0; i < count; i++) tiles.push(toBase64(await imagePng(pixels.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS))));
  return tiles;
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  // Chunked: String.fromCharCode(...bytes) overflows the argument limit on large arrays.
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
