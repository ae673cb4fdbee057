/**
 * POST /v1/encode, /v1/classify and /v1/interpolate inside workerd: the normalised input against values
 * worked out by hand, the reconstruction against the bundled decoder run directly, paths against the GET
 * endpoints' samples, and every kind of bad upload -> the right 4xx JSON, never a 500.
 */
import { describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, LATENT_DIM, NUM_CLASSES } from '../../core/contract';
import { BUNDLED_MODELS } from '../../edge/bundle';
import { configureOrt, ort } from '../../edge/inference/ort';
import { toByte } from '../../core/png';
import worker from '../../edge/index';
import { ORIGIN, decodeGrey, fromBase64, get, type Grey } from './worker';
import {
  SEVEN_JPEG_BASE64,
  animatedPng,
  craftedPng,
  greyPng,
  jpegHeaderOnly,
  rectangleGrey,
  strokePng,
} from './upload-fixtures';

interface Encoding {
  latent: number[];
  input: string;
  reconstruction: string;
  digit: number;
  probabilities: number[];
  inverted: boolean;
  ink_box: { x: number; y: number; width: number; height: number };
  source: { type: string; width: number; height: number };
  model: string;
}

/** `body`: bytes, text, a stream or a form; typed loosely because the DOM typings reject ArrayBufferLike views. */
function post(path: string, body: unknown, contentType?: string, headers: Record<string, string> = {}) {
  return get(path, { method: 'POST', body: body as BodyInit, headers: { ...(contentType ? { 'Content-Type': contentType } : {}), ...headers } });
}

async function encodeOk(bytes: Uint8Array, type = 'image/png'): Promise<Encoding> {
  const res = await post('/v1/encode', bytes, type);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Encoding;
}

async function expectError(res: Response, status: number, code: string, message?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe(code);
  if (message) expect(body.error.message).toMatch(message);
  return body.error.message;
}

/** A 10x20 black bar at (5, 8) on a 40x40 white picture. */
const BAR = rectangleGrey(40, 40, { x: 5, y: 8, w: 10, h: 20 });

/**
 * By hand: inverted, the ink's box is the bar (10x20, already 20 px tall, so no resampling), its centre of
 * mass (4.5, 9.5) goes to (14, 14) by the shift round(9.5) = 10 columns and round(4.5) = 5 rows: rows 5..24,
 * columns 10..19 are 255, everything else 0.
 */
function barExpected(): Uint8Array {
  const out = new Uint8Array(IMAGE_PIXELS);
  for (let y = 5; y < 25; y++) out.fill(255, y * 28 + 10, y * 28 + 20);
  return out;
}

async function decoderBytes(latent: number[]): Promise<Uint8Array> {
  configureOrt();
  const session = await ort.InferenceSession.create(new Uint8Array(BUNDLED_MODELS.decoder.bytes).slice());
  const out = await session.run({ latent: new ort.Tensor('float32', Float32Array.from(latent), [1, LATENT_DIM]) });
  const bytes = Uint8Array.from(out.image.data as Float32Array, toByte);
  await session.release();
  return bytes;
}

const tile = (b64: string): Grey => decodeGrey(fromBase64(b64));

describe('POST /v1/encode', () => {
  it('normalises a bar the MNIST way (worked by hand) and returns code, reconstruction and class', async () => {
    const res = await post('/v1/encode', greyPng(40, 40, BAR), 'image/png');
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = (await res.json()) as Encoding;
    const input = tile(body.input);
    expect([input.width, input.height]).toEqual([28, 28]);
    expect(input.data).toEqual(barExpected());
    expect(body.inverted).toBe(true);
    expect(body.ink_box).toEqual({ x: 5, y: 8, width: 10, height: 20 });
    expect(body.source).toEqual({ type: 'image/png', width: 40, height: 40 });
    expect(body.latent).toHaveLength(LATENT_DIM);
    expect(body.probabilities).toHaveLength(NUM_CLASSES);
    expect(body.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    expect(body.digit).toBe(body.probabilities.indexOf(Math.max(...body.probabilities)));
    expect(body.model).toMatch(/^encoder@[0-9a-f]{12}$/);
    // the reconstruction is the bundled decoder's image of the returned code
    expect(tile(body.reconstruction).data).toEqual(await decoderBytes(body.latent));
  });

  it('grey ink is stretched to full strength and area-averaged (worked by hand)', async () => {
    // 40x40 ink on 60x60 white: left 20 columns black, right 20 grey 128. Inverted: 1 and 127/255, peak 1.
    const data = rectangleGrey(60, 60, { x: 10, y: 10, w: 40, h: 40 });
    for (let y = 10; y < 50; y++) data.fill(128, y * 60 + 30, y * 60 + 50);
    // fitted to 20x20 (2x2 averages): columns 0..9 = 1, 10..19 = 127/255; centre of mass x =
    // (45 + 145 * 127/255) / (10 + 10 * 127/255) = 7.82 -> shift round(6.18) = 6; y = 9.5 -> 5.
    const expected = new Uint8Array(IMAGE_PIXELS);
    for (let y = 5; y < 25; y++) {
      expected.fill(255, y * 28 + 6, y * 28 + 16);
      expected.fill(127, y * 28 + 16, y * 28 + 26);
    }
    const body = await encodeOk(greyPng(60, 60, data));
    expect(tile(body.input).data).toEqual(expected);
  });

  it('a stroke on a transparent canvas reads the same in black ink, white ink, and on white paper', async () => {
    const alpha = rectangleGrey(40, 40, { x: 5, y: 8, w: 10, h: 20 }, 0, 255);
    const black = await encodeOk(strokePng(40, 40, alpha, [0, 0, 0]));
    const white = await encodeOk(strokePng(40, 40, alpha, [255, 255, 255]));
    const paper = await encodeOk(greyPng(40, 40, BAR));
    for (const body of [black, white]) {
      expect(tile(body.input).data).toEqual(barExpected());
      expect(body.latent).toEqual(paper.latent);
    }
    expect(white.inverted).toBe(false);
  });

  it('decodes a JPEG (an MNIST 7 enlarged 2x) and reads it as a 7', async () => {
    const body = await encodeOk(fromBase64(SEVEN_JPEG_BASE64), 'image/jpeg');
    expect(body.source).toEqual({ type: 'image/jpeg', width: 56, height: 56 });
    expect(body.inverted).toBe(true);
    expect(body.digit).toBe(7);
  });

  it('decodes PNGs of every size workerd\'s zlib once refused under a tight output cap (a bar, boxed in the upload\'s pixels)', async () => {
    // image data of 41-368 KB (255x255 -> 65,280 bytes, 280x280 -> 78,680, 590x590 -> 348,690): inside
    // workerd a cap of one byte past these failed "Memory limit exceeded" (edge/encoding/png-chunks.ts)
    for (const side of [203, 255, 280, 300, 430, 590]) {
      const even = (v: number) => 2 * Math.round(v / 2);
      const rect = { x: even(side * 0.4), y: even(side * 0.2), w: even(side * 0.1), h: even(side * 0.6) };
      const body = await encodeOk(greyPng(side, side, rectangleGrey(side, side, rect)), 'image/png');
      expect(body.ink_box, `${side}x${side}`).toEqual({ x: rect.x, y: rect.y, width: rect.w, height: rect.h });
    }
  });

  it('decodes a 16-bit greyscale PNG like its 8-bit twin', async () => {
    const { encode } = await import('fast-png');
    const deep = Uint16Array.from(BAR, (v) => v * 257);
    const body = await encodeOk(encode({ width: 40, height: 40, data: deep, channels: 1, depth: 16 }));
    expect(tile(body.input).data).toEqual(barExpected());
  });

  it('an animated PNG gives its default image (the first frame)', async () => {
    const other = rectangleGrey(40, 40, { x: 2, y: 2, w: 30, h: 6 });
    const body = await encodeOk(animatedPng(40, 40, BAR, other));
    expect(tile(body.input).data).toEqual(barExpected());
  });

  it('format=png returns [input | reconstruction] as one PNG', async () => {
    const json = await encodeOk(greyPng(40, 40, BAR));
    const res = await post('/v1/encode?format=png&scale=2', greyPng(40, 40, BAR), 'image/png');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('image/png');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const pair = decodeGrey(new Uint8Array(await res.arrayBuffer()));
    expect([pair.width, pair.height]).toEqual([112, 56]);
    const input = tile(json.input).data;
    const recon = tile(json.reconstruction).data;
    for (const [y, x] of [[10, 24], [30, 2], [55, 111], [40, 60]]) {
      const want = x < 56 ? input[Math.floor(y / 2) * 28 + Math.floor(x / 2)] : recon[Math.floor(y / 2) * 28 + Math.floor((x - 56) / 2)];
      expect(pair.data[y * 112 + x], `(${x}, ${y})`).toBe(want);
    }
  });
});

describe('POST /v1/classify', () => {
  it('returns the same digit and probabilities as /v1/encode', async () => {
    const png = fromBase64(SEVEN_JPEG_BASE64);
    const res = await post('/v1/classify', png, 'image/jpeg');
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = (await res.json()) as { digit: number; probabilities: number[]; model: string };
    expect(Object.keys(body).sort()).toEqual(['class_name', 'dataset', 'digit', 'model', 'probabilities', 'version']);
    expect(body).toMatchObject({ class_name: String(body.digit), dataset: 'mnist' });
    const encoded = await encodeOk(png, 'image/jpeg');
    expect(body.digit).toBe(encoded.digit);
    expect(body.probabilities).toEqual(encoded.probabilities);
    expect(body.model).toMatch(/^recognizer@[0-9a-f]{12}$/);
  });

  it('classifier=study: the 50-label classifier, named "classifier", the same one /v1/encode?classifier=study uses', async () => {
    const png = fromBase64(SEVEN_JPEG_BASE64);
    const res = await post('/v1/classify?classifier=study', png, 'image/jpeg');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { digit: number; probabilities: number[]; model: string };
    expect(body.model).toMatch(/^classifier@[0-9a-f]{12}$/);
    const encoded = (await (await post('/v1/encode?classifier=study', png, 'image/jpeg')).json()) as { probabilities: number[]; classifier: string };
    expect(body.probabilities).toEqual(encoded.probabilities);
    expect(encoded.classifier).toBe(body.model);
    const byDefault = (await (await post('/v1/classify', png, 'image/jpeg')).json()) as { probabilities: number[] };
    expect(byDefault.probabilities).not.toEqual(body.probabilities);
  });
});

describe('POST /v1/interpolate', () => {
  const bar = greyPng(40, 40, BAR);
  const seven = fromBase64(SEVEN_JPEG_BASE64);

  function form(parts: Record<string, [Uint8Array, string] | string>): FormData {
    const data = new FormData();
    for (const [name, value] of Object.entries(parts)) {
      if (typeof value === 'string') data.append(name, value);
      else data.append(name, new Blob([value[0] as BlobPart], { type: value[1] }), `${name}.img`);
    }
    return data;
  }

  it('multipart from/to: the first and last frames are the two reconstructions', async () => {
    const res = await get('/v1/interpolate?steps=5&format=json', {
      method: 'POST',
      body: form({ from: [bar, 'image/png'], to: [seven, 'image/jpeg'] }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = (await res.json()) as { steps: number; images: string[]; model: string; from_digit: number };
    expect(body.steps).toBe(5);
    expect(body.images).toHaveLength(5);
    const [a, b] = [await encodeOk(bar), await encodeOk(seven, 'image/jpeg')];
    expect(tile(body.images[0]).data).toEqual(tile(a.reconstruction).data);
    expect(tile(body.images[4]).data).toEqual(tile(b.reconstruction).data);
    expect(tile(body.images[2]).data).not.toEqual(tile(body.images[0]).data);
    expect(body.from_digit).toBe(a.digit);
  });

  it('JSON with base64 images gives the same path as multipart', async () => {
    const toB64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
    const viaJson = await post('/v1/interpolate?format=json', JSON.stringify({ from: toB64(bar), to: toB64(seven), steps: 4 }), 'application/json');
    expect(viaJson.status, await viaJson.clone().text()).toBe(200);
    const viaForm = await get('/v1/interpolate?format=json', {
      method: 'POST',
      body: form({ from: [bar, 'image/png'], to: [seven, 'image/jpeg'], steps: '4' }),
    });
    expect(((await viaJson.json()) as { images: string[] }).images).toEqual(((await viaForm.json()) as { images: string[] }).images);
  });

  it('to_digit ends at the conditional sample GET /v1/digits serves for that seed', async () => {
    const res = await post('/v1/interpolate?to_digit=3&seed=7&steps=6&format=json', bar, 'image/png');
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Seed')).toBe('7');
    const body = (await res.json()) as { images: string[]; to_digit: number; seed: number };
    expect([body.to_digit, body.seed]).toEqual([3, 7]);
    const sample = (await (await get('/v1/digits/3?seed=7&format=json')).json()) as { images: string[] };
    expect(tile(body.images[5]).data).toEqual(tile(sample.images[0]).data);
  });

  it('to_seed ends at the unconditional sample of /v1/generate; the PNG strip has 8 tiles per row', async () => {
    const json = await post('/v1/interpolate?to_seed=5&steps=10&format=json', bar, 'image/png');
    const sample = (await (await get('/v1/generate?seed=5&format=json')).json()) as { images: string[] };
    expect(tile(((await json.json()) as { images: string[] }).images[9]).data).toEqual(tile(sample.images[0]).data);
    const png = await post('/v1/interpolate?to_seed=5&steps=10', bar, 'image/png');
    expect(png.headers.get('Content-Type')).toBe('image/png');
    const strip = decodeGrey(new Uint8Array(await png.arrayBuffer()));
    expect([strip.width, strip.height]).toEqual([8 * 28, 2 * 28]);
  });

  it('refuses a path with no end, two ends, bad steps, or a seed without to_digit', async () => {
    await expectError(await post('/v1/interpolate', bar, 'image/png'), 400, 'invalid_parameter', /to image, to_digit or to_seed/);
    await expectError(await post('/v1/interpolate?to_digit=1&to_seed=2', bar, 'image/png'), 400, 'invalid_parameter', /to_digit and to_seed/);
    await expectError(await post('/v1/interpolate?to_digit=1&steps=33', bar, 'image/png'), 400, 'invalid_parameter', /steps must be an integer 2\.\.32, got "33"/);
    await expectError(await post('/v1/interpolate?to_seed=1&seed=2', bar, 'image/png'), 400, 'invalid_parameter', /seed/);
    await expectError(await post('/v1/interpolate?to_digit=1', 'abc', 'text/plain'), 415, 'unsupported_media_type', /multipart\/form-data/);
    await expectError(await post('/v1/interpolate', '{"from": 3}', 'application/json'), 400, 'invalid_image', /from must be a base64 string/);
    await expectError(await post('/v1/interpolate?to_digit=2', '{"from": "@@@"}', 'application/json'), 400, 'invalid_image', /not valid base64/);
    const text = await get('/v1/interpolate?to_digit=2', { method: 'POST', body: form({ from: 'not a file' }) });
    await expectError(text, 400, 'invalid_image', /file part/);
    const blank = greyPng(30, 30, new Uint8Array(900).fill(255));
    const noInk = await get('/v1/interpolate', { method: 'POST', body: form({ from: [bar, 'image/png'], to: [blank, 'image/png'] }) });
    await expectError(noInk, 400, 'no_ink', /^to: no ink found/);
  });
});

describe('bad uploads', () => {
  const bar = greyPng(40, 40, BAR);

  it('wrong or missing Content-Type is 415 naming what is accepted', async () => {
    await expectError(await post('/v1/encode', bar), 415, 'unsupported_media_type', /missing; expected image\/png or image\/jpeg/);
    await expectError(await post('/v1/classify', bar, 'image/gif'), 415, 'unsupported_media_type', /"image\/gif"/);
    await expectError(await post('/v1/classify', bar, 'application/octet-stream'), 415, 'unsupported_media_type');
  });

  it('empty, truncated, corrupt and non-image bodies are 400 invalid_image', async () => {
    await expectError(await post('/v1/classify', new Uint8Array(0), 'image/png'), 400, 'invalid_image', /empty/);
    await expectError(await post('/v1/classify', bar.slice(0, 60), 'image/png'), 400, 'invalid_image', /truncated/);
    await expectError(await post('/v1/classify', bar.slice(0, 20), 'image/png'), 400, 'invalid_image', /truncated PNG/);
    await expectError(await post('/v1/classify', new TextEncoder().encode('<html>hello</html>'), 'image/png'), 400, 'invalid_image', /not a PNG or JPEG/);
    const corrupt = bar.slice();
    for (let i = 45; i < corrupt.length - 20; i++) corrupt[i] ^= 0x5a; // scramble the deflate stream
    await expectError(await post('/v1/classify', corrupt, 'image/png'), 400, 'invalid_image');
    const jpeg = fromBase64(SEVEN_JPEG_BASE64);
    await expectError(await post('/v1/classify', jpeg.slice(0, 400), 'image/jpeg'), 400, 'invalid_image', /JPEG/);
    await expectError(await post('/v1/classify', jpeg.slice(0, 100), 'image/jpeg'), 400, 'invalid_image', /JPEG/);
  });

  it('bytes of one format under the other Content-Type are refused', async () => {
    await expectError(await post('/v1/classify', bar, 'image/jpeg'), 400, 'invalid_image', /is a PNG image but Content-Type says image\/jpeg/);
  });

  it('dimensions over 1024 are refused from the header, before decoding', async () => {
    // a 60000x60000 PNG header with 1 byte of image data: decoding it would need 3.6 GB
    const huge = craftedPng(60000, 60000, new Uint8Array(1));
    expect(huge.length).toBeLessThan(100);
    await expectError(await post('/v1/encode', huge, 'image/png'), 400, 'image_too_large', /60000x60000; expected at most 1024x1024/);
    await expectError(await post('/v1/encode', craftedPng(1025, 10, new Uint8Array(1)), 'image/png'), 400, 'image_too_large', /1025x10/);
    await expectError(await post('/v1/encode', jpegHeaderOnly(4000, 3000), 'image/jpeg'), 400, 'image_too_large', /4000x3000/);
  });

  it('a PNG whose data inflates past its header is refused (a decompression bomb)', async () => {
    // IHDR says 10x10 (110 bytes of rows) but the stream inflates to 4 MB: a 1 KB pattern repeated, ~50 KB
    // compressed, past the 16 KB below which no stream can inflate past 16 MB (deflate's ratio is at most ~1032)
    const pattern = Uint8Array.from({ length: 1024 }, (_, i) => (i * 2654435761) >>> 24);
    const raw = new Uint8Array(4 * 1024 * 1024);
    for (let at = 0; at < raw.length; at += pattern.length) raw.set(pattern, at);
    const bomb = craftedPng(10, 10, raw);
    expect(bomb.length).toBeGreaterThan(16 * 1024);
    expect(bomb.length).toBeLessThan(100_000);
    await expectError(await post('/v1/encode', bomb, 'image/png'), 400, 'invalid_image', /inflates past/);
  });

  it('bodies over 2 MB are 413, by Content-Length before reading and by counting when it is absent', async () => {
    // straight to the worker's handler: through SELF, a body left unread makes the test harness's own
    // upload pipe fail ("Network connection lost") after the 413 has arrived
    const direct = (path: string, body: unknown, length?: number) =>
      worker.fetch(
        new Request(ORIGIN + path, {
          method: 'POST',
          body: body as BodyInit,
          headers: { 'Content-Type': 'image/png', ...(length ? { 'Content-Length': String(length) } : {}) },
        }),
      );
    const big = new Uint8Array(2 * 1024 * 1024 + 1);
    big.set(bar);
    await expectError(await direct('/v1/encode', big, big.length), 413, 'image_too_large', /2097153 bytes by its Content-Length; expected at most 2097152/);
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        if (pulled > 1000) return controller.close();
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    await expectError(await direct('/v1/classify', stream), 413, 'image_too_large', /more than 2097152 bytes/);
    // the rest is read and dropped (so the connection stays usable) for 16 MiB more (256 chunks), then cancelled, not read to 64 MB
    expect(pulled).toBeGreaterThan(32 + 256 - 2);
    expect(pulled).toBeLessThan(32 + 256 + 8);
    // a body a little over the limit is read to its end before the 413
    let small = 0;
    let closed = false;
    const three = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (++small > 48) {
          closed = true;
          return controller.close();
        }
        controller.enqueue(new Uint8Array(64 * 1024));
      },
    });
    await expectError(await direct('/v1/classify', three), 413, 'image_too_large', /more than 2097152 bytes/);
    expect(closed).toBe(true);
  });

  it('an all-blank drawing is 400 "no ink found"', async () => {
    const white = greyPng(280, 280, new Uint8Array(280 * 280).fill(255));
    await expectError(await post('/v1/classify', white, 'image/png'), 400, 'no_ink', /no ink found/);
    const clear = strokePng(280, 280, new Uint8Array(280 * 280), [0, 0, 0]);
    await expectError(await post('/v1/classify', clear, 'image/png'), 400, 'no_ink', /no ink found/);
    const faint = rectangleGrey(50, 50, { x: 10, y: 10, w: 10, h: 10 }, 255, 250);
    await expectError(await post('/v1/classify', greyPng(50, 50, faint), 'image/png'), 400, 'no_ink', /5 grey levels/);
  });

  it('unknown query parameters are refused (strict query, like the GET routes), with a suggestion', async () => {
    await expectError(await post('/v1/classify?format=png', bar, 'image/png'), 400, 'unknown_parameter', /"format"; this endpoint takes classifier, dataset, v/);
    await expectError(await post('/v1/encode?size=3', bar, 'image/png'), 400, 'unknown_parameter', /this endpoint takes format, scale/);
    await expectError(await post('/v1/encode?scael=3', bar, 'image/png'), 400, 'unknown_parameter', /did you mean "scale"/);
    // POST /v1/interpolate takes its own parameters, not GET's
    await expectError(await post('/v1/interpolate?from=1', bar, 'image/png'), 400, 'unknown_parameter', /"from"/);
    await expectError(await post('/v1/interpolate?to_digit=%33', bar, 'image/png'), 400, 'invalid_parameter', /plain digits/);
  });

  it('Accept is negotiated: classify is JSON only (406 otherwise), encode gives JSON or PNG', async () => {
    const refused = await post('/v1/classify', bar, 'image/png', { Accept: 'image/png' });
    await expectError(refused, 406, 'not_acceptable');
    const png = await post('/v1/encode', bar, 'image/png', { Accept: 'image/png' });
    expect(png.status).toBe(200);
    expect(png.headers.get('Content-Type')).toBe('image/png');
    expect(png.headers.get('Vary')).toBe('Accept');
    expect(png.headers.get('Cache-Control')).toBe('no-store');
    await expectError(await post('/v1/encode', bar, 'image/png', { Accept: 'image/webp' }), 406, 'not_acceptable');
  });

  it('GET on an upload route is 405 naming POST; preflight allows POST with an image type', async () => {
    const res = await get('/v1/encode');
    await expectError(res, 405, 'method_not_allowed', /use POST/);
    expect(res.headers.get('Allow')).toBe('POST, OPTIONS');
    const preflight = await get('/v1/classify', {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.com', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Methods')).toMatch(/POST/);
    expect(preflight.headers.get('Access-Control-Allow-Headers')?.toLowerCase()).toContain('content-type');
  });
});

describe('OpenAPI', () => {
  it('documents the upload request bodies and every response', async () => {
    const doc = (await (await get('/openapi.json')).json()) as Record<string, any>;
    for (const path of ['/v1/encode', '/v1/classify']) {
      const op = doc.paths[path].post;
      expect(Object.keys(op.requestBody.content).sort(), path).toEqual(['image/jpeg', 'image/png']);
      expect(Object.keys(op.responses).sort(), path).toEqual(['200', '400', '404', '406', '410', '413', '415', '429', '500', '503']);
      expect(op.operationId, path).toMatch(/^[a-z][A-Za-z]+$/);
      expect(op.responses['413'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
    }
    const interpolate = doc.paths['/v1/interpolate'];
    expect(Object.keys(interpolate)).toEqual(expect.arrayContaining(['get', 'post']));
    expect(Object.keys(interpolate.post.requestBody.content).sort()).toEqual(['application/json', 'image/jpeg', 'image/png', 'multipart/form-data']);
    expect(interpolate.post.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['dataset', 'format', 'scale', 'seed', 'steps', 'to_digit', 'to_seed', 'v']);
    expect(doc.paths['/v1/encode'].post.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/Encoding');
    expect(doc.components.schemas.Encoding.required).toEqual(expect.arrayContaining(['latent', 'input', 'reconstruction', 'digit', 'probabilities']));
  });
});
