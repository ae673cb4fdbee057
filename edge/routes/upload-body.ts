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

/** The whole body, at most `limit` bytes. */
export async function readBody(request: Request, limit: number): Promise<Uint8Array> {
  const declared = request.headers.get('Content-Length');
  if (declared !== null && /^[0-9]+$/.test(declared.trim()) && Number(declared) > limit) {
    throw tooLarge(limit, `${declared} bytes by its Content-Length`);
  }
  if (!request.body) return new Uint8Array(0);
  const reader = request.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        // stop pulling and let the rest go unread: cancelling aborts the client's upload mid-stream,
        // which some clients report as a network error instead of reading the 413
        reader.releaseLock();
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
