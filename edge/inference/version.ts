/**
 * The model version: the one name for "what determines the bytes this worker serves". It keys ETags,
 * pinned URLs (`?v=`), X-Model-Version and `model` in JSON, so it must change whenever any input to the
 * bytes changes:
 * - the weights: every bundled file of EDGE_MODEL_IDS, in that order (a new edge model joins by being
 *   listed there);
 * - the runtime: onnxruntime-web's version (different kernels can round differently);
 * - the encoding: the bytes our encoders produce for a fixed probe image, both as a PNG grid and as JSON
 *   tiles. Hashing their output rather than a hand-bumped constant means a change to core/png.ts,
 *   edge/encoding/ or their dependencies (fast-png, compression settings) changes the version by itself.
 * Its value: the first 12 hex digits of sha256 over all of that.
 */
import { IMAGE_PIXELS } from '../../core/contract';
import { encodeGrid, encodeTiles } from '../encoding/images';
import { EDGE_MODEL_IDS, type ModelFiles } from './model-store';
import { RUNTIME } from './ort';

/** Two tiles of a fixed gradient: exercises scaling, grid layout and the full 0..1 range. */
function probePixels(): Float32Array {
  const pixels = new Float32Array(2 * IMAGE_PIXELS);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i % 251) / 250;
  return pixels;
}

function concat(parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const all = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    all.set(p, offset);
    offset += p.length;
  }
  return all;
}

export async function modelVersion(files: ModelFiles): Promise<string> {
  const text = new TextEncoder();
  const pixels = probePixels();
  const parts: Uint8Array[] = [];
  for (const id of EDGE_MODEL_IDS) {
    parts.push(text.encode(`${id}:${files[id].file}:${files[id].bytes.byteLength}\n`), new Uint8Array(files[id].bytes));
  }
  parts.push(text.encode(`${RUNTIME}\n`));
  // `await`: the encoders may become asynchronous (CompressionStream); awaiting a value is harmless.
  parts.push(await encodeGrid(pixels, 2, 3));
  parts.push(text.encode((await encodeTiles(pixels, 2)).join('\n')));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', concat(parts)));
  return [...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
