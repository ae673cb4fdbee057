/**
 * Two names for "what determines the bytes this worker serves":
 * - the set version (`setVersionOf`): the content address of a model set's served files (core/manifest.ts
 *   `setVersion`). It is the registry's id of the set, so it keys pinned URLs (`?v=`), X-Model-Version and
 *   `model` in JSON, and it never changes for the same files: a pin outlives any code deploy.
 * - the engine (`engineFingerprint`): onnxruntime-web's version (different kernels can round differently) and
 *   the bytes our encoders produce for a fixed probe image, both as a PNG grid and as JSON tiles. Hashing their
 *   output rather than a hand-bumped constant means a change to core/png.ts, edge/encoding/ or their
 *   dependencies (fast-png, compression settings) changes it by itself. It goes into every ETag, so a cache
 *   revalidating after a code deploy that changed the bytes of a pinned URL sees a new tag (README: what a pin
 *   promises).
 * Both: the first 12 hex digits of a SHA-256.
 */
import { IMAGE_PIXELS } from '../../core/contract';
import { setVersion } from '../../core/manifest';
import { encodeGrid, encodeTiles } from '../encoding/images';
import { RUNTIME } from './ort';

/** The set version of served files given as model id -> sha256 of the file. */
export const setVersionOf = (hashes: Record<string, string>): Promise<string> => setVersion(hashes);

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

let fingerprint: string | null = null;

/**
 * The runtime and the encoders' fingerprint. Computed in a handler (the PNG encoder's CompressionStream is
 * not allowed at startup) and kept as a plain string, never a shared promise (scheduler.ts header).
 */
export async function engineFingerprint(): Promise<string> {
  if (fingerprint) return fingerprint;
  const text = new TextEncoder();
  const pixels = probePixels();
  const parts: Uint8Array[] = [text.encode(`${RUNTIME}\n`)];
  // `await`: the encoders may become asynchronous (CompressionStream); awaiting a value is harmless.
  parts.push(await encodeGrid(pixels, 2, 3));
  parts.push(text.encode((await encodeTiles(pixels, 2)).join('\n')));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', concat(parts)));
  fingerprint = [...digest.slice(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return fingerprint;
}
