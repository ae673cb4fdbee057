/**
 * The encoder the edge used before issue 11 (fast-png: the fully enlarged grid, filter None on every row,
 * deflate by fflate in JavaScript), kept for the benchmark only so every run measures the native-deflate
 * writer in core/png.ts against it side by side (`/__bench/encode?encoder=fast-png`). Not used to serve.
 */
import { encode } from 'fast-png';
import { IMAGE_PIXELS } from '../../core/contract';
import { tileGrid } from '../../core/png';
import { toBase64 } from '../../edge/encoding/images';

export function previousGridPng(pixels: Float32Array, count: number, scale: number): Uint8Array {
  const { bytes, width, height } = tileGrid(pixels, count, { columns: 8, scale });
  return encode({ width, height, data: bytes, channels: 1, depth: 8 });
}

export function previousTiles(pixels: Float32Array, count: number): string[] {
  const tiles: string[] = [];
  for (let i = 0; i < count; i++) tiles.push(toBase64(previousGridPng(pixels.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), 1, 1)));
  return tiles;
}
