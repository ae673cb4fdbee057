/**
 * edge/routes/upload-body.ts: the media type read from Content-Type, and bodies read up to a limit whether
 * they declare their length or arrive in chunks (a ReadableStream in the test), with the 4xx each failure maps to.
 */
import { describe, expect, it } from 'vitest';
import { ImageInputError, MAX_UPLOAD_BYTES } from '../../../edge/encoding/image-input';
import { isImageType, mediaType, readBody, readImageBody, unsupportedType } from '../../../edge/routes/upload-body';

/** A POST whose body arrives as the given chunks (no Content-Length unless given). */
function chunked(chunks: Uint8Array[], headers: Record<string, string> = {}): Request {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
  return new Request('https://x.test/', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);
}

function failing(first: Uint8Array, reason: unknown): Request {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (!sent) {
        sent = true;
        controller.enqueue(first);
      } else controller.error(reason);
    },
  });
  return new Request('https://x.test/', { method: 'POST', body, duplex: 'half' } as RequestInit);
}

async function refusal(promise: Promise<unknown>): Promise<{ status: number; code: string; message: string }> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ImageInputError);
  const { status, code, message } = err as ImageInputError;
  return { status, code, message };
}

const bytes = (...values: number[]) => new Uint8Array(values);

describe('mediaType', () => {
  it('is the type/subtype in lower case, without parameters or spaces; empty when missing', () => {
    expect(mediaType('image/PNG; charset=x')).toBe('image/png');
    expect(mediaType('  Image/Jpeg  ')).toBe('image/jpeg');
    expect(mediaType('multipart/form-data; boundary=abc')).toBe('multipart/form-data');
    expect(mediaType(undefined)).toBe('');
    expect(mediaType(null)).toBe('');
    expect(mediaType('')).toBe('');
  });
});

describe('isImageType', () => {
  it('is true for image/png and image/jpeg only', () => {
    expect(isImageType('image/png')).toBe(true);
    expect(isImageType('image/jpeg')).toBe(true);
    for (const t of ['image/gif', 'image/jpg', 'IMAGE/PNG', '', 'application/json']) expect(isImageType(t), t).toBe(false);
  });
});

describe('unsupportedType', () => {
  it('415 naming the type given and the ones expected, or saying it is missing', () => {
    const given = unsupportedType('text/plain', ['image/png', 'image/jpeg']);
    expect([given.status, given.code, given.message]).toEqual([
      415,
      'unsupported_media_type',
      'Content-Type "text/plain" is not accepted; expected image/png or image/jpeg',
    ]);
    expect(unsupportedType('', ['a/b']).message).toBe('Content-Type is missing; expected a/b');
  });
});

describe('readBody', () => {
  it('returns a one-chunk body as is and joins several chunks in order', async () => {
    expect(await readBody(chunked([bytes(1, 2, 3)]), 10)).toEqual(bytes(1, 2, 3));
    expect(await readBody(chunked([bytes(1), bytes(2, 3), bytes(), bytes(4, 5, 6)]), 10)).toEqual(bytes(1, 2, 3, 4, 5, 6));
  });

  it('an absent or empty body is zero bytes', async () => {
    expect(await readBody(new Request('https://x.test/', { method: 'POST' }), 10)).toEqual(bytes());
    expect(await readBody(chunked([]), 10)).toEqual(bytes());
  });

  it('takes a body of exactly the limit, chunked or declared', async () => {
    expect(await readBody(chunked([bytes(1, 2), bytes(3, 4)]), 4)).toEqual(bytes(1, 2, 3, 4));
    expect(await readBody(chunked([bytes(1, 2, 3, 4)], { 'Content-Length': '4' }), 4)).toEqual(bytes(1, 2, 3, 4));
  });

  it('refuses a declared Content-Length over the limit before reading a byte (413)', async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(bytes(1));
        controller.close();
      },
    });
    const request = new Request('https://x.test/', { method: 'POST', body, headers: { 'Content-Length': '3145728' }, duplex: 'half' } as RequestInit);
    expect(await refusal(readBody(request, MAX_UPLOAD_BYTES))).toEqual({
      status: 413,
      code: 'image_too_large',
      message: 'the body is 3145728 bytes by its Content-Length; expected at most 2097152 bytes (2 MB)',
    });
    // a ReadableStream pulls once on construction to fill its queue; reading would pull again
    expect(pulled).toBeLessThanOrEqual(1);
    expect(request.bodyUsed).toBe(false);
  });

  it('a declared length one over the limit is refused; one that is not a plain number is left to the reading', async () => {
    expect((await refusal(readBody(chunked([bytes(1)], { 'Content-Length': '11' }), 10))).message).toBe(
      'the body is 11 bytes by its Content-Length; expected at most 10 bytes (0.0000095367431640625 MB)',
    );
    expect(await readBody(chunked([bytes(1)], { 'Content-Length': 'eleven' }), 10)).toEqual(bytes(1));
    expect(await readBody(chunked([bytes(1)], { 'Content-Length': '99x' }), 10)).toEqual(bytes(1));
    expect(await readBody(chunked([bytes(1)], { 'Content-Length': 'x99' }), 10)).toEqual(bytes(1));
    expect(await readBody(chunked([bytes(1)], { 'Content-Length': '1e3' }), 10)).toEqual(bytes(1));
  });

  it('a declared length the body does not keep to is caught while reading (413 past the limit)', async () => {
    expect(await refusal(readBody(chunked([bytes(1, 2, 3), bytes(4, 5, 6)], { 'Content-Length': '3' }), 4))).toEqual({
      status: 413,
      code: 'image_too_large',
      message: 'the body is more than 4 bytes; expected at most 4 bytes (0.000003814697265625 MB)',
    });
  });

  it('past the limit the rest of the body is read and dropped, so the connection stays usable for the next request', async () => {
    let pulls = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulls++;
        controller.enqueue(bytes(1, 2, 3));
        if (pulls === 10) controller.close();
      },
    });
    const request = new Request('https://x.test/', { method: 'POST', body, duplex: 'half' } as RequestInit);
    expect((await refusal(readBody(request, 5))).status).toBe(413);
    // read to its end (all 10 chunks), not left unread: answering with the body unread broke the next
    // request on the connection under wrangler dev (a 503 from the local proxy)
    expect(pulls).toBe(10);
  });

  it('a stream that fails mid-body is a 400 invalid_image naming the reason', async () => {
    expect(await refusal(readBody(failing(bytes(1), new Error('connection reset')), 10))).toEqual({
      status: 400,
      code: 'invalid_image',
      message: 'the body could not be read: connection reset',
    });
    expect((await refusal(readBody(failing(bytes(1), 'gone'), 10))).message).toBe('the body could not be read: gone');
  });
});

describe('readImageBody', () => {
  it('returns the bytes and the declared type for image/png and image/jpeg (parameters and case ignored)', async () => {
    expect(await readImageBody(chunked([bytes(9, 8)], { 'Content-Type': 'IMAGE/PNG; x=y' }))).toEqual({ bytes: bytes(9, 8), declared: 'image/png' });
    expect(await readImageBody(chunked([bytes(7)], { 'Content-Type': 'image/jpeg' }))).toEqual({ bytes: bytes(7), declared: 'image/jpeg' });
  });

  it('415 for any other or no Content-Type, before reading the body', async () => {
    const request = chunked([bytes(1)], { 'Content-Type': 'image/gif' });
    expect(await refusal(readImageBody(request))).toEqual({
      status: 415,
      code: 'unsupported_media_type',
      message: 'Content-Type "image/gif" is not accepted; expected image/png or image/jpeg',
    });
    expect(request.bodyUsed).toBe(false);
    expect((await refusal(readImageBody(chunked([bytes(1)])))).message).toBe('Content-Type is missing; expected image/png or image/jpeg');
  });

  it('holds uploads to MAX_UPLOAD_BYTES (2 MB)', async () => {
    const exact = new Uint8Array(MAX_UPLOAD_BYTES);
    expect((await readImageBody(chunked([exact], { 'Content-Type': 'image/png' }))).bytes.length).toBe(2 * 1024 * 1024);
    expect((await refusal(readImageBody(chunked([exact, bytes(1)], { 'Content-Type': 'image/png' })))).status).toBe(413);
  });
});
