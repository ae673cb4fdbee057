/**
 * Reading upload request bodies without trusting them: the media type is checked before any byte is
 * read, a declared Content-Length over the limit is refused unread, and a body without one (chunked) is
 * read only until it passes the limit. Failures are ImageInputError (-> 4xx JSON in the routes).
 */
import { IMAGE_TYPES, ImageInputError, MAX_UPLOAD_BYTES, type ImageType } from '../encoding/image-input';

/** `image/PNG; charset=x` -> `image/png`; '' when missing. */
export function mediaType(contentType: string | undefined | null): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

export function isImageType(type: string): type is ImageType {
  return (IMAGE_TYPES as readonly string[]).includes(type);
}

export function unsupportedType(type: string, expected: readonly string[]): ImageInputError {
  return new ImageInputError(
    415,
    'unsupported_media_type',
    type
      ? `Content-Type ${JSON.stringify(type)} is not accepted; expected ${expected.join(' or ')}`
      : `Content-Type is missing; expected ${expected.join(' or ')}`,
  );
}

function tooLarge(limit: number, got: string): ImageInputError {
  return new ImageInputError(413, 'image_too_large', `the body is ${got}; expected at most ${limit} bytes (${limit / 1024 / 1024} MB)`);
}

/** Past the limit, at most this much more of a body is read (and dropped) before the 413 goes out. */
export const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * Reads the rest of an oversized body and drops it, so the client's upload completes and the connection
 * stays usable for the next request. Measured under `wrangler dev`: answering with the body unread (lock
 * released) made the local proxy answer the NEXT request on that connection with a plain-text 503 "Your
 * worker restarted mid-request", and Node's fetch saw ECONNRESET instead of the 413. A body that goes on
 * past MAX_DRAIN_BYTES more is cancelled: a client that sends that much does not get the courtesy.
 */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  let dropped = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      dropped += value.byteLength;
      if (dropped > MAX_DRAIN_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // the client went away: nothing left to drain
  }
}

/** The whole body, at most `limit` bytes. */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('Content-Length');
  const length = declared !== null && /^[0-9]+$/.test(declared.trim()) ? Number(declared) : null;
  if (length !== null && length > limit) throw tooLarge(limit, `${declared} bytes by its Content-Length`);
  if (!request.body) return new Uint8Array(0);
  if (length !== null) {
    // Within the limit by its Content-Length, which HTTP framing holds the body to: read it whole. The runtime
    // then gathers it natively instead of this loop handling it chunk by chunk (hundreds of reads for 2 MB,
    // each a promise turn on the isolate that other requests wait behind). A body built in-process can still
    // break its declared length, so the length is checked after.
    let whole: ArrayBuffer;
    try {
      whole = await request.arrayBuffer();
    } catch (err) {
      throw new ImageInputError(400, 'invalid_image', `the body could not be read: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (whole.byteLength > limit) throw tooLarge(limit, `more than ${limit} bytes`);
    return new Uint8Array(whole);
  }
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await drain(reader);
        throw tooLarge(limit, `more than ${limit} bytes`);
      }
      parts.push(value);
    }
  } catch (err) {
    if (err instanceof ImageInputError) throw err;
    throw new ImageInputError(400, 'invalid_image', `the body could not be read: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (parts.length === 1) return parts[0];
  const all = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  return all;
}

/** The single image of an image/png or image/jpeg body, with the format its Content-Type declares. */
export async function readImageBody(request: Request): Promise<{ bytes: Uint8Array; declared: ImageType }> {
  const type = mediaType(request.headers.get('Content-Type'));
  if (!isImageType(type)) throw unsupportedType(type, IMAGE_TYPES);
  return { bytes: await readBody(request, MAX_UPLOAD_BYTES), declared: type };
}
