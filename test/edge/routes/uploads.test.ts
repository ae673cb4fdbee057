/**
 * The upload routes (edge/routes/uploads.ts) in Node, on the real app, models and onnxruntime-web
 * (test/edge/harness.ts). Inputs are pictures whose normalised form is worked out by hand (a black bar on
 * white paper); latents, probabilities, reconstructions and paths are checked against the bundled models
 * run directly here (recognizer on the pixels, encoder -> classifier for classifier=study, decoder of the
 * straight line between two codes); costs against
 * estimateCost's formula by hand; every refusal against the message the API promises.
 */
import { decode, encode } from 'fast-png';
import jpeg from 'jpeg-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, LATENT_DIM, NOISE_DIM, NUM_CLASSES } from '../../../core/contract';
import { noiseForSeed } from '../../../core/rng';
import { BUNDLED_MODELS } from '../../../edge/bundle';
import { ModelStore, type LoadedModels } from '../../../edge/inference/model-store';
import { ort } from '../../../edge/inference/ort';
import { MAX_PAIR_BYTES } from '../../../edge/routes/uploads';
import { SEVEN_JPEG_BASE64, fromBase64, greyPng, rectangleGrey } from '../../worker/upload-fixtures';
import { loadedStore, workerApp, type RecordingScheduler } from '../harness';

let store: ModelStore;
let scheduler: RecordingScheduler;
let version: string;
let models: LoadedModels;

beforeAll(async () => {
  ({ store, scheduler, version, models } = await loadedStore());
});

const JSON_TYPE = 'application/json; charset=utf-8';

function post(path: string, body: unknown, contentType?: string, headers: Record<string, string> = {}) {
  const init = { method: 'POST', body: body as BodyInit, headers: { ...(contentType ? { 'Content-Type': contentType } : {}), ...headers } };
  return workerApp(store).request(path, init);
}

function form(parts: [string, [Uint8Array, string] | string][]): FormData {
  const data = new FormData();
  for (const [name, value] of parts) {
    if (typeof value === 'string') data.append(name, value);
    else data.append(name, new Blob([value[0] as BlobPart], { type: value[1] }), `${name}.img`);
  }
  return data;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

async function errorOf(res: Response) {
  expect(res.headers.get('Content-Type'), await res.clone().text()).toBe(JSON_TYPE);
  return ((await res.json()) as { error: Record<string, string> }).error;
}

const byte = (v: number) => (Number.isNaN(v) || v <= 0 ? 0 : v >= 1 ? 255 : Math.floor(v * 255 + 0.5));

function grey(bytes: Uint8Array) {
  const png = decode(bytes);
  expect([png.channels, png.depth]).toEqual([1, 8]);
  return { width: png.width, height: png.height, data: png.data as Uint8Array };
}
const tileOf = (text: string) => grey(Uint8Array.from(Buffer.from(text, 'base64'))).data;

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

async function run(id: keyof LoadedModels['sessions'], feeds: Record<string, Float32Array>, rows: number, output: string) {
  const tensors = Object.fromEntries(Object.entries(feeds).map(([name, data]) => [name, new ort.Tensor('float32', data, [rows, data.length / rows])]));
  return (await models.sessions[id].run(tensors))[output].data as Float32Array;
}

const toBytes = (pixels: Float32Array) => Uint8Array.from(pixels, byte);

/** A 10x20 black bar at (5, 8) on 40x40 white paper. */
const BAR = greyPng(40, 40, rectangleGrey(40, 40, { x: 5, y: 8, w: 10, h: 20 }));
/**
 * By hand: inverted, the ink box is the bar (10x20: already 20 px tall, no resampling); its centre of mass
 * (4.5, 9.5) goes to (14, 14): columns shift by round(9.5) = 10, rows by round(4.5) = 5.
 */
const BAR_INPUT = (() => {
  const out = new Uint8Array(IMAGE_PIXELS);
  for (let y = 5; y < 25; y++) out.fill(255, y * 28 + 10, y * 28 + 20);
  return out;
})();
/** A 20x10 black bar at (8, 20) on 40x40 white paper: by the same rule, columns 5..24 and rows 10..19. */
const WIDE = greyPng(40, 40, rectangleGrey(40, 40, { x: 8, y: 20, w: 20, h: 10 }));
const WIDE_INPUT = (() => {
  const out = new Uint8Array(IMAGE_PIXELS);
  for (let y = 10; y < 20; y++) out.fill(255, y * 28 + 5, y * 28 + 25);
  return out;
})();
const SEVEN = fromBase64(SEVEN_JPEG_BASE64);
const BLANK = greyPng(30, 30, new Uint8Array(900).fill(255));

/** encoder(input) -> latent, classifier(latent) -> probabilities, decoder(latent) -> reconstruction bytes. */
async function recognise(input: Uint8Array) {
  const latent = await run('encoder', { image: Float32Array.from(input, (v) => v / 255) }, 1, 'latent');
  const probabilities = await run('classifier', { latent }, 1, 'probabilities');
  const reconstruction = toBytes(await run('decoder', { latent }, 1, 'image'));
  const digit = probabilities.indexOf(Math.max(...probabilities));
  return { latent, probabilities, reconstruction, digit };
}

/** recognizer(input) -> probabilities: what the upload routes classify with by default. */
/** What /v1/classify answers when the study's 50-label classifier reads the digit `want` was recognised as (this set: MNIST). */
function studyAnswer(want: { digit: number; probabilities: Float32Array }) {
  return { digit: want.digit, class_name: String(want.digit), probabilities: Array.from(want.probabilities), model: `classifier@${version}`, dataset: 'mnist', version };
}
async function recognisePixels(input: Uint8Array) {
  const probabilities = await run('recognizer', { image: Float32Array.from(input, (v) => v / 255) }, 1, 'probabilities');
  return { probabilities, digit: probabilities.indexOf(Math.max(...probabilities)) };
}

/** decoder of `steps` codes on the line a -> b (t = i/(steps-1), float64 then float32), as tiles of bytes. */
async function line(a: Float32Array, b: Float32Array, steps: number): Promise<Uint8Array[]> {
  const codes = new Float32Array(steps * LATENT_DIM);
  for (let i = 0; i < steps; i++) {
    const t = i / (steps - 1);
    for (let j = 0; j < LATENT_DIM; j++) codes[i * LATENT_DIM + j] = (1 - t) * a[j] + t * b[j];
  }
  const image = await run('decoder', { latent: codes }, steps, 'image');
  return Array.from({ length: steps }, (_, i) => toBytes(image.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS)));
}

async function sampleLatent(seed: number, digit?: number): Promise<Float32Array> {
  const noise = noiseForSeed(seed, 1, NOISE_DIM);
  if (digit === undefined) return run('generator', { noise }, 1, 'latent');
  const label = new Float32Array(NUM_CLASSES);
  label[digit] = 1;
  return run('cgan-generator', { noise, digit_onehot: label }, 1, 'latent');
}

const lastCost = () => scheduler.costs[scheduler.costs.length - 1];

describe('POST /v1/encode', () => {
  it('a bar: the hand-worked input, and the code, class and reconstruction of the models run directly', async () => {
    const res = await post('/v1/encode', BAR, 'image/png');
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('Content-Type')).toBe(JSON_TYPE);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('X-Model-Version')).toBe(version);
    expect(res.headers.get('Vary')).toBe('Accept');
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body)).toEqual(['latent', 'input', 'reconstruction', 'digit', 'class_name', 'probabilities', 'inverted', 'ink_box', 'source', 'classifier', 'model', 'dataset', 'version']);
    const want = await recognise(BAR_INPUT);
    const read = await recognisePixels(BAR_INPUT);
    expect(tileOf(body.input as string)).toEqual(BAR_INPUT);
    expect(body.latent).toEqual(Array.from(want.latent));
    expect(body.probabilities).toEqual(Array.from(read.probabilities));
    expect(body.digit).toBe(read.digit);
    expect(body.classifier).toBe(`recognizer@${version}`);
    expect(tileOf(body.reconstruction as string)).toEqual(want.reconstruction);
    expect(body.inverted).toBe(true);
    expect(body.ink_box).toEqual({ x: 5, y: 8, width: 10, height: 20 });
    expect(body.source).toEqual({ type: 'image/png', width: 40, height: 40 });
    expect(body.model).toBe(`encoder@${version}`);
    expect(lastCost()).toBeCloseTo(1 + 3 * 0.07 + 2 * 784 * 2.6e-6 + 2 * 0.06, 12);
  });

  it('a JPEG (an MNIST 7, 56x56) is decoded and read as a 7', async () => {
    const body = (await (await post('/v1/encode', SEVEN, 'image/jpeg')).json()) as { source: unknown; digit: number };
    expect(body.source).toEqual({ type: 'image/jpeg', width: 56, height: 56 });
    expect(body.digit).toBe(7);
  });

  it('format=png scale=2: [input | reconstruction] as one 112x56 PNG', async () => {
    const res = await post('/v1/encode?format=png&scale=2', BAR, 'image/png');
    expect(res.headers.get('Content-Type')).toBe('image/png');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('X-Model-Version')).toBe(version);
    expect(res.headers.get('Vary')).toBe('Accept');
    const png = grey(new Uint8Array(await res.arrayBuffer()));
    expect([png.width, png.height]).toEqual([112, 56]);
    const { reconstruction } = await recognise(BAR_INPUT);
    for (let y = 0; y < 28; y++) {
      for (let x = 0; x < 28; x++) {
        expect(png.data[2 * y * 112 + 2 * x]).toBe(BAR_INPUT[y * 28 + x]);
        expect(png.data[(2 * y + 1) * 112 + 56 + 2 * x + 1]).toBe(reconstruction[y * 28 + x]);
      }
    }
    expect(lastCost()).toBeCloseTo(1 + 3 * 0.07 + 2 * 784 * 4 * 2.6e-6 + 0.06, 12);
    const plain = grey(new Uint8Array(await (await post('/v1/encode?format=png', BAR, 'image/png')).arrayBuffer()));
    expect([plain.width, plain.height]).toEqual([56, 28]);
  });

  it('Accept decides without format (JSON on a tie); nothing acceptable is 406 before reading the body', async () => {
    const type = async (accept: string) => (await post('/v1/encode', BAR, 'image/png', { Accept: accept })).headers.get('Content-Type');
    expect(await type('image/png')).toBe('image/png');
    expect(await type('image/png, application/json')).toBe(JSON_TYPE);
    expect(await type('image/png;q=0.9, application/json;q=0.5')).toBe('image/png');
    expect((await post('/v1/encode?format=json', BAR, 'image/png', { Accept: 'image/png' })).headers.get('Content-Type')).toBe(JSON_TYPE);
    const jobs = scheduler.costs.length;
    const refused = await post('/v1/encode', 'not an image', 'text/plain', { Accept: 'image/webp' });
    expect(refused.status).toBe(406);
    expect(await errorOf(refused)).toEqual({
      code: 'not_acceptable',
      message: 'nothing acceptable in Accept: "image/webp"; available: application/json, image/png (or use format=)',
    });
    expect(scheduler.costs.length).toBe(jobs);
  });

  it('the query is strict: unknown names with a suggestion, integers only in plain digits', async () => {
    expect(await errorOf(await post('/v1/encode?size=3', BAR, 'image/png'))).toEqual({
      code: 'unknown_parameter',
      parameter: 'size',
      message: 'unknown query parameter "size"; this endpoint takes format, scale, classifier, dataset, v',
    });
    expect((await errorOf(await post('/v1/encode?scael=3', BAR, 'image/png'))).message).toBe(
      'unknown query parameter "scael" (did you mean "scale"?); this endpoint takes format, scale, classifier, dataset, v',
    );
    expect(await errorOf(await post('/v1/encode?scale=%32', BAR, 'image/png'))).toEqual({
      code: 'invalid_parameter',
      parameter: 'scale',
      message: 'scale must be written as plain digits (no percent-encoding or "+"), got "%32"',
    });
  });

  it('a 1024x1024 baseline JPEG is read at a quarter size: its decode costed at 1e-6 per pixel and 2e-5 per byte (1.6e-5 per pixel as a PNG), its ink box in the upload\'s pixels', async () => {
    // white paper, a black bar over x 300..699, y 200..799
    const rgba = new Uint8Array(1024 * 1024 * 4).fill(255);
    for (let y = 200; y < 800; y++) for (let x = 300; x < 700; x++) rgba.fill(0, (y * 1024 + x) * 4, (y * 1024 + x) * 4 + 3);
    const photo = new Uint8Array(jpeg.encode({ width: 1024, height: 1024, data: rgba }, 90).data);
    const body = (await (await post('/v1/encode', photo, 'image/jpeg')).json()) as { source: unknown; ink_box: Record<string, number> };
    expect(body.source).toEqual({ type: 'image/jpeg', width: 1024, height: 1024 });
    for (const [key, want] of Object.entries({ x: 300, y: 200, width: 400, height: 600 })) expect(Math.abs(body.ink_box[key] - want), key).toBeLessThanOrEqual(4);
    const decodeJob = () => scheduler.costs[scheduler.costs.length - 2];
    expect(decodeJob()).toBeCloseTo(1 + 1024 * 1024 * 1e-6 + photo.length * 2e-5, 9);
    // the same picture as a PNG is decoded whole, at the PNG rate
    const png = encode({ width: 1024, height: 1024, data: rgba, channels: 4, depth: 8 });
    expect((await post('/v1/encode', png, 'image/png')).status).toBe(200);
    expect(decodeJob()).toBeCloseTo(1 + 1024 * 1024 * 1.6e-5, 9);
  });

  it('JSON output is costed at 28x28 per image whatever scale says', async () => {
    await post('/v1/encode?format=json&scale=2', BAR, 'image/png');
    expect(lastCost()).toBeCloseTo(1 + 3 * 0.07 + 2 * 784 * 2.6e-6 + 2 * 0.06, 12);
    await post('/v1/interpolate?to_seed=5&steps=3&format=json&scale=2', BAR, 'image/png');
    expect(lastCost()).toBeCloseTo(1 + (2 + 1 + 3) * 0.07 + 3 * 784 * 2.6e-6 + 3 * 0.06, 12);
  });

  it('a parameter given twice or out of range is a 400 naming it', async () => {
    expect(await errorOf(await post('/v1/encode?format=json&format=png', BAR, 'image/png'))).toEqual({
      code: 'invalid_parameter',
      parameter: 'format',
      message: '"format" is given 2 times; give it once',
    });
    expect(await errorOf(await post('/v1/encode?scale=9', BAR, 'image/png'))).toEqual({
      code: 'invalid_parameter',
      parameter: 'scale',
      message: 'scale must be an integer 1..8, got "9"',
    });
  });

  it('bad pictures are 4xx JSON without a field prefix: 415, invalid_image, no_ink', async () => {
    expect(await errorOf(await post('/v1/encode', BAR))).toEqual({
      code: 'unsupported_media_type',
      message: 'Content-Type is missing; expected image/png or image/jpeg',
    });
    const garbage = await errorOf(await post('/v1/encode', new TextEncoder().encode('<html>hello</html>'), 'image/png'));
    expect(garbage.code).toBe('invalid_image');
    expect(garbage.message).toBe('the body is not a PNG or JPEG image (unrecognised signature)');
    const blank = await errorOf(await post('/v1/encode', BLANK, 'image/png'));
    expect(blank.code).toBe('no_ink');
    expect(blank.message).toMatch(/^no ink found/);
  });

  it('a client that has gone before the job starts gets no work done (500 "request aborted")', async () => {
    const res = await workerApp(store).request('/v1/encode', { method: 'POST', body: BAR as BodyInit, headers: { 'Content-Type': 'image/png' }, signal: AbortSignal.abort() });
    expect(res.status).toBe(500);
    expect(await errorOf(res)).toEqual({ code: 'internal_error', message: 'request aborted' });
  });
});

describe('POST /v1/classify', () => {
  it('a bar: {digit, probabilities, model} of the recognizer run directly on its pixels', async () => {
    const res = await post('/v1/classify', BAR, 'image/png');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe(JSON_TYPE);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('X-Model-Version')).toBe(version);
    const want = await recognisePixels(BAR_INPUT);
    expect(await res.json()).toEqual({
      digit: want.digit,
      class_name: String(want.digit),
      probabilities: Array.from(want.probabilities),
      model: `recognizer@${version}`,
      dataset: 'mnist',
      version,
    });
    expect(lastCost()).toBeCloseTo(1 + 2 * 0.07, 12);
  });

  it('classifier=study: the 50-label classifier run directly on the code, named "classifier"', async () => {
    const res = await post('/v1/classify?classifier=study', BAR, 'image/png');
    expect(res.status).toBe(200);
    const want = await recognise(BAR_INPUT);
    expect(await res.json()).toEqual(studyAnswer(want));
    const encoded = (await (await post('/v1/encode?classifier=study', BAR, 'image/png')).json()) as { probabilities: number[]; classifier: string };
    expect(encoded.probabilities).toEqual(Array.from(want.probabilities));
    expect(encoded.classifier).toBe(`classifier@${version}`);
  });

  it('a set without a recognizer: classifies with the study\'s by default and refuses classifier=recognizer, naming what it has', async () => {
    // what a model set that ships no recognizer (Fashion-MNIST, for now) loads as
    class WithoutRecognizer extends ModelStore {
      override load(): Promise<LoadedModels> {
        return super.load().then((m) => ({ ...m, sessions: { ...m.sessions, recognizer: undefined as never } }));
      }
    }
    const { request } = workerApp(new WithoutRecognizer(BUNDLED_MODELS));
    const at = (path: string) => request(path, { method: 'POST', body: BAR as BodyInit, headers: { 'Content-Type': 'image/png' } });
    const want = await recognise(BAR_INPUT);
    expect(await (await at('/v1/classify')).json()).toEqual(studyAnswer(want));
    const refused = await at('/v1/classify?classifier=recognizer');
    expect(refused.status).toBe(400);
    expect(await errorOf(refused)).toEqual({ code: 'invalid_parameter', parameter: 'classifier', message: 'classifier "recognizer" is not in this model set; it has study' });
    expect((await at('/v1/encode?classifier=recognizer')).status).toBe(400);
  });

  it('an unknown classifier: 400 naming the choices', async () => {
    const res = await post('/v1/classify?classifier=evaluator', BAR, 'image/png');
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({ code: 'invalid_parameter', parameter: 'classifier', message: 'classifier must be one of recognizer, study, got "evaluator"' });
  });

  it('reads the MNIST 7 as a 7', async () => {
    expect(((await (await post('/v1/classify', SEVEN, 'image/jpeg')).json()) as { digit: number }).digit).toBe(7);
  });

  it('JSON only: 406 for a client that takes only PNG', async () => {
    const res = await post('/v1/classify', BAR, 'image/png', { Accept: 'image/png' });
    expect(res.status).toBe(406);
    expect((await errorOf(res)).message).toBe('nothing acceptable in Accept: "image/png"; available: application/json (or use format=)');
  });

  it('takes only classifier in the query, and refuses bad pictures with 4xx JSON', async () => {
    expect(await errorOf(await post('/v1/classify?format=png', BAR, 'image/png'))).toEqual({
      code: 'unknown_parameter',
      parameter: 'format',
      message: 'unknown query parameter "format"; this endpoint takes classifier, dataset, v',
    });
    expect(await errorOf(await post('/v1/classify', BAR, 'image/gif'))).toEqual({
      code: 'unsupported_media_type',
      message: 'Content-Type "image/gif" is not accepted; expected image/png or image/jpeg',
    });
    expect((await errorOf(await post('/v1/classify', BLANK, 'image/png'))).code).toBe('no_ink');
    const mislabelled = await errorOf(await post('/v1/classify', BAR, 'image/jpeg'));
    expect(mislabelled.code).toBe('invalid_image');
    expect(mislabelled.message).toBe('the body is a PNG image but Content-Type says image/jpeg');
  });
});

describe('POST /v1/interpolate', () => {
  type UploadPath = { steps: number; images: string[]; model: string; from_digit: number; to_digit?: number; seed?: number; to_seed?: number };

  it('multipart from/to: the decoded straight line between the two codes, ends first and last', async () => {
    const res = await workerApp(store).request('/v1/interpolate?steps=5&format=json', {
      method: 'POST',
      body: form([['from', [BAR, 'image/png']], ['to', [WIDE, 'application/octet-stream']]]),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('Content-Type')).toBe(JSON_TYPE);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('X-Model-Version')).toBe(version);
    expect(res.headers.get('Vary')).toBe('Accept');
    expect(res.headers.get('X-Seed')).toBeNull();
    const body = (await res.json()) as UploadPath;
    expect(Object.keys(body)).toEqual(['steps', 'from_digit', 'from_class_name', 'images', 'model', 'dataset', 'version']);
    const [a, b] = [await recognise(BAR_INPUT), await recognise(WIDE_INPUT)];
    expect([body.steps, body.from_digit, body.model]).toEqual([5, a.digit, `decoder@${version}`]);
    const want = await line(a.latent, b.latent, 5);
    const got = body.images.map(tileOf);
    expect(got).toHaveLength(5);
    for (let i = 0; i < 5; i++) expect(maxDiff(got[i], want[i]), `step ${i}`).toBeLessThanOrEqual(1);
    expect(maxDiff(got[0], a.reconstruction)).toBeLessThanOrEqual(1);
    // the encoder for two uploads, the classifier on the from code, the decoder per step; 5 JSON tiles
    expect(lastCost()).toBeCloseTo(1 + (2 + 1 + 5) * 0.07 + 5 * 784 * 2.6e-6 + 5 * 0.06, 12);
  });

  it('JSON {from, to} in base64 (a data: URL too) with steps as a member gives the same path as multipart', async () => {
    const viaJson = await post('/v1/interpolate?format=json', JSON.stringify({ from: `data:image/png;base64,${b64(BAR)}`, to: b64(WIDE), steps: 4 }), 'application/json');
    expect(viaJson.status, await viaJson.clone().text()).toBe(200);
    const viaForm = await workerApp(store).request('/v1/interpolate?format=json', {
      method: 'POST',
      body: form([['from', [BAR, 'image/png']], ['to', [WIDE, 'image/png']], ['steps', '4']]),
    });
    const json = (await viaJson.json()) as UploadPath;
    expect(json.steps).toBe(4);
    expect(json.images).toEqual(((await viaForm.json()) as UploadPath).images);
  });

  it('one image body and to_digit with seed: ends at the conditional sample, seed in X-Seed and the body', async () => {
    const res = await post('/v1/interpolate?to_digit=3&seed=7&steps=3&format=json', BAR, 'image/png');
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('X-Seed')).toBe('7');
    const body = (await res.json()) as UploadPath;
    expect(Object.keys(body)).toEqual(['steps', 'to_digit', 'seed', 'from_digit', 'from_class_name', 'images', 'model', 'dataset', 'version']);
    expect([body.to_digit, body.seed]).toEqual([3, 7]);
    const want = await line((await recognise(BAR_INPUT)).latent, await sampleLatent(7, 3), 3);
    body.images.map(tileOf).forEach((tile, i) => expect(maxDiff(tile, want[i]), `step ${i}`).toBeLessThanOrEqual(1));
    // encoder and classifier for one upload, the sample, the decoder per step
    expect(lastCost()).toBeCloseTo(1 + (2 + 1 + 3) * 0.07 + 3 * 784 * 2.6e-6 + 3 * 0.06, 12);
  });

  it('to_digit without seed draws one and names it; the path ends at that seed\'s sample', async () => {
    const res = await post('/v1/interpolate?to_digit=5&steps=2&format=json', BAR, 'image/png');
    const seed = Number(res.headers.get('X-Seed'));
    expect(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff).toBe(true);
    const body = (await res.json()) as UploadPath;
    expect(body.seed).toBe(seed);
    const want = await line((await recognise(BAR_INPUT)).latent, await sampleLatent(seed, 5), 2);
    expect(maxDiff(tileOf(body.images[1]), want[1])).toBeLessThanOrEqual(1);
  });

  it('to_seed: ends at the unconditional sample; PNG by default, 8 tiles per row, scale applied', async () => {
    const json = await post('/v1/interpolate?to_seed=5&steps=3&format=json', BAR, 'image/png');
    const body = (await json.json()) as UploadPath;
    expect(Object.keys(body)).toEqual(['steps', 'to_seed', 'from_digit', 'from_class_name', 'images', 'model', 'dataset', 'version']);
    expect(body.to_seed).toBe(5);
    expect(json.headers.get('X-Seed')).toBeNull();
    const want = await line((await recognise(BAR_INPUT)).latent, await sampleLatent(5), 3);
    body.images.map(tileOf).forEach((tile, i) => expect(maxDiff(tile, want[i]), `step ${i}`).toBeLessThanOrEqual(1));

    const png = await post('/v1/interpolate?to_seed=5&steps=10&scale=2', BAR, 'image/png');
    expect(png.headers.get('Content-Type')).toBe('image/png');
    expect(png.headers.get('Vary')).toBe('Accept');
    const strip = grey(new Uint8Array(await png.arrayBuffer()));
    expect([strip.width, strip.height]).toEqual([8 * 56, 2 * 56]);
    // a PNG answer: the encoder (no classifier: the strip names no digit), the sample at the end, 10 steps
    expect(lastCost()).toBeCloseTo(1 + (1 + 1 + 10) * 0.07 + 10 * 784 * 4 * 2.6e-6 + 0.06, 12);
    const plain = grey(new Uint8Array(await (await post('/v1/interpolate?to_seed=5', BAR, 'image/png')).arrayBuffer()));
    expect([plain.width, plain.height]).toEqual([8 * 28, 28]);
  });

  it('Accept decides without format (PNG on a tie); 406 names both types', async () => {
    const type = async (accept: string) => (await post('/v1/interpolate?to_seed=1&steps=2', BAR, 'image/png', { Accept: accept })).headers.get('Content-Type');
    expect(await type('application/json, image/png')).toBe('image/png');
    expect(await type('application/json')).toBe(JSON_TYPE);
    const refused = await post('/v1/interpolate?to_seed=1', BAR, 'image/png', { Accept: 'text/html' });
    expect(refused.status).toBe(406);
    expect((await errorOf(refused)).message).toBe('nothing acceptable in Accept: "text/html"; available: image/png, application/json (or use format=)');
  });

  describe('refusals', () => {
    const cases: [string, () => Response | Promise<Response>, number, Record<string, string>][] = [
      ['no end', () => post('/v1/interpolate', BAR, 'image/png'), 400,
        { code: 'invalid_parameter', parameter: 'to', message: 'the end of the path is missing; give a to image, to_digit or to_seed' }],
      ['two ends', () => post('/v1/interpolate?to_digit=1&to_seed=2', BAR, 'image/png'), 400,
        { code: 'invalid_parameter', parameter: 'to_seed', message: 'give one end of the path, got to_digit and to_seed' }],
      ['an image and to_digit', () => post('/v1/interpolate?to_digit=1', JSON.stringify({ from: b64(BAR), to: b64(WIDE) }), 'application/json'), 400,
        { code: 'invalid_parameter', parameter: 'to_digit', message: 'give one end of the path, got to and to_digit' }],
      ['seed without to_digit', () => post('/v1/interpolate?to_seed=1&seed=2', BAR, 'image/png'), 400,
        { code: 'invalid_parameter', parameter: 'seed', message: 'seed is the seed of the to_digit sample; give it only with to_digit' }],
      ['to_digit out of range', () => post('/v1/interpolate?to_digit=10', BAR, 'image/png'), 400,
        { code: 'invalid_parameter', parameter: 'to_digit', message: 'to_digit must be an integer 0..9, got "10"' }],
      ['seed not a number', () => post('/v1/interpolate?to_digit=1&seed=x', BAR, 'image/png'), 400,
        { code: 'invalid_parameter', parameter: 'seed', message: 'seed must be an integer 0..4294967295, got "x"' }],
      ['steps out of range', () => post('/v1/interpolate?to_digit=1&steps=33', BAR, 'image/png'), 400,
        { code: 'invalid_parameter', parameter: 'steps', message: 'steps must be an integer 2..32, got "33"' }],
      ['a parameter in the query and the body', () => post('/v1/interpolate?steps=3', JSON.stringify({ from: b64(BAR), to_seed: 1, steps: 3 }), 'application/json'), 400,
        { code: 'invalid_parameter', parameter: 'steps', message: '"steps" is given twice (query and body)' }],
      ['a query parameter given twice', () => post('/v1/interpolate?to_seed=1&to_seed=2', BAR, 'image/png'), 400,
        { code: 'invalid_parameter', parameter: 'to_seed', message: '"to_seed" is given 2 times; give it once' }],
      ['an unknown body member', () => post('/v1/interpolate', JSON.stringify({ from: b64(BAR), to_seed: 1, stepz: 3 }), 'application/json'), 400,
        { code: 'unknown_parameter', parameter: 'stepz', message: 'unknown parameter "stepz" (did you mean "steps"?); this endpoint takes steps, to_digit, to_seed, seed, format, scale, dataset, v' }],
      ['an unknown body member nothing like a known one', () => post('/v1/interpolate', JSON.stringify({ from: b64(BAR), to_seed: 1, colour: 'red' }), 'application/json'), 400,
        { code: 'unknown_parameter', parameter: 'colour', message: 'unknown parameter "colour"; this endpoint takes steps, to_digit, to_seed, seed, format, scale, dataset, v' }],
      ['a non-string body member', () => post('/v1/interpolate', JSON.stringify({ from: b64(BAR), to_seed: [1] }), 'application/json'), 400,
        { code: 'invalid_parameter', parameter: 'to_seed', message: 'to_seed must be an integer 0..4294967295, got "[1]"' }],
      ['another Content-Type', () => post('/v1/interpolate?to_digit=1', 'abc', 'text/plain'), 415,
        { code: 'unsupported_media_type', message: 'Content-Type "text/plain" is not accepted; expected multipart/form-data or application/json or image/png or image/jpeg' }],
      ['no Content-Type', () => post('/v1/interpolate?to_digit=1', new Uint8Array([1, 2, 3])), 415,
        { code: 'unsupported_media_type', message: 'Content-Type is missing; expected multipart/form-data or application/json or image/png or image/jpeg' }],
      ['JSON that is not an object', () => post('/v1/interpolate', '[1]', 'application/json'), 400,
        { code: 'invalid_image', message: 'the JSON body must be an object {"from": base64, "to": base64}' }],
      ['JSON null', () => post('/v1/interpolate', 'null', 'application/json'), 400,
        { code: 'invalid_image', message: 'the JSON body must be an object {"from": base64, "to": base64}' }],
      ['a JSON string', () => post('/v1/interpolate', '"abc"', 'application/json'), 400,
        { code: 'invalid_image', message: 'the JSON body must be an object {"from": base64, "to": base64}' }],
      ['from not a string', () => post('/v1/interpolate', '{"from": 3}', 'application/json'), 400,
        { code: 'invalid_image', message: 'from must be a base64 string of a PNG or JPEG' }],
      ['to not a string', () => post('/v1/interpolate', JSON.stringify({ from: b64(BAR), to: 3 }), 'application/json'), 400,
        { code: 'invalid_image', message: 'to must be a base64 string of a PNG or JPEG' }],
      ['from not base64', () => post('/v1/interpolate?to_digit=2', '{"from": "@@@"}', 'application/json'), 400,
        { code: 'invalid_image', message: 'from is not valid base64' }],
      ['no from image', () => post('/v1/interpolate?to_digit=2', JSON.stringify({ to: b64(WIDE) }), 'application/json'), 400,
        { code: 'invalid_image', message: 'the from image is missing' }],
      ['a text field for from', () => workerApp(store).request('/v1/interpolate?to_digit=2', { method: 'POST', body: form([['from', 'not a file']]) }), 400,
        { code: 'invalid_image', message: 'from must be a file part (curl -F from=@digit.png), got a text field' }],
      ['from twice', () => workerApp(store).request('/v1/interpolate?to_digit=2', { method: 'POST', body: form([['from', [BAR, 'image/png']], ['from', [BAR, 'image/png']]]) }), 400,
        { code: 'invalid_image', message: 'from is given twice' }],
      ['a text field twice', () => workerApp(store).request('/v1/interpolate', { method: 'POST', body: form([['from', [BAR, 'image/png']], ['to_seed', '1'], ['to_seed', '2']]) }), 400,
        { code: 'invalid_image', message: 'to_seed is given twice' }],
      ['another file part', () => workerApp(store).request('/v1/interpolate?to_digit=2', { method: 'POST', body: form([['from', [BAR, 'image/png']], ['extra', [BAR, 'image/png']]]) }), 400,
        { code: 'invalid_image', message: 'unexpected file part "extra"; expected from and to' }],
      ['a blank to image', () => workerApp(store).request('/v1/interpolate', { method: 'POST', body: form([['from', [BAR, 'image/png']], ['to', [BLANK, 'image/png']]]) }), 400,
        { code: 'no_ink', message: 'to: no ink found' }],
      ['a part whose type does not match its bytes', () => workerApp(store).request('/v1/interpolate?to_seed=1', { method: 'POST', body: form([['from', [BAR, 'image/jpeg']]]) }), 400,
        { code: 'invalid_image', message: 'from: the body is a PNG image but Content-Type says image/jpeg' }],
    ];
    for (const [title, send, status, want] of cases) {
      it(`${title} -> ${status} ${want.code}`, async () => {
        const res = await send();
        expect(res.status).toBe(status);
        const error = await errorOf(res);
        if (want.code === 'no_ink') {
          // the rest of these messages is edge/encoding's
          expect({ ...error, message: error.message.slice(0, want.message.length) }).toEqual(want);
        } else {
          expect(error).toEqual(want);
        }
      });
    }

    // the reasons after the colon are Node's own messages (V8's JSON.parse, WHATWG TextDecoder, undici)
    it('JSON that does not parse, or is not UTF-8, is invalid_image naming the parse error', async () => {
      expect(await errorOf(await post('/v1/interpolate', '{"from": ', 'application/json'))).toEqual({
        code: 'invalid_image',
        message: 'the body is not valid JSON: Unexpected end of JSON input',
      });
      const latin1 = await errorOf(await post('/v1/interpolate', new Uint8Array([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]), 'application/json'));
      expect(latin1.message).toBe('the body is not valid JSON: The encoded data was not valid for encoding utf-8');
    });

    it('a multipart body that does not parse is invalid_image naming the parse error', async () => {
      expect(await errorOf(await post('/v1/interpolate', 'garbage', 'multipart/form-data; boundary=xyz'))).toEqual({
        code: 'invalid_image',
        message: 'the multipart body could not be parsed: Failed to parse body as FormData.',
      });
    });

    it('a single image body is the from image: its errors are prefixed "from: "', async () => {
      const error = await errorOf(await post('/v1/interpolate?to_seed=1', BLANK, 'image/png'));
      expect(error.code).toBe('no_ink');
      expect(error.message).toMatch(/^from: no ink found/);
    });

    it('a long unknown body member is named cut to 64 characters', async () => {
      const name = 'k'.repeat(70);
      expect(await errorOf(await post('/v1/interpolate', JSON.stringify({ from: b64(BAR), to_seed: 1, [name]: 1 }), 'application/json'))).toEqual({
        code: 'unknown_parameter',
        parameter: 'k'.repeat(64),
        message: `unknown parameter "${'k'.repeat(64)}"… (70 characters); this endpoint takes steps, to_digit, to_seed, seed, format, scale, dataset, v`,
      });
    });

    it('the query is strict: unknown names (GET\'s parameters included) and integers not in plain digits', async () => {
      expect(await errorOf(await post('/v1/interpolate?from=1', BAR, 'image/png'))).toEqual({
        code: 'unknown_parameter',
        parameter: 'from',
        message: 'unknown query parameter "from"; this endpoint takes steps, to_digit, to_seed, seed, format, scale, dataset, v',
      });
      for (const name of ['steps', 'to_digit', 'to_seed', 'seed', 'scale']) {
        expect(await errorOf(await post(`/v1/interpolate?${name}=%33`, BAR, 'image/png')), name).toEqual({
          code: 'invalid_parameter',
          parameter: name,
          message: `${name} must be written as plain digits (no percent-encoding or "+"), got "%33"`,
        });
      }
    });

    it(`an image over 2 MB inside a pair is 413; a pair body over MAX_PAIR_BYTES (${MAX_PAIR_BYTES}) is 413 unread`, async () => {
      expect(MAX_PAIR_BYTES).toBe(Math.ceil((2 * 2097152 * 4) / 3) + 65536);
      const big = new Uint8Array(2097153);
      big.set(BAR);
      expect(await errorOf(await post('/v1/interpolate?to_seed=1', JSON.stringify({ from: b64(big) }), 'application/json'))).toEqual({
        code: 'image_too_large',
        message: 'from is 2097153 bytes; expected at most 2097152',
      });
      const exact = new Uint8Array(2097152);
      exact.set(BAR);
      // 2 MB exactly is allowed in (it then fails as a PNG with trailing bytes or decodes: not a size error)
      expect((await errorOf(await post('/v1/interpolate?to_seed=1', JSON.stringify({ from: b64(exact), to: 'AA==' }), 'application/json'))).code).not.toBe('image_too_large');
      const huge = await errorOf(await post('/v1/interpolate', new Uint8Array(MAX_PAIR_BYTES + 1), 'application/json'));
      expect(huge).toEqual({ code: 'image_too_large', message: `the body is more than ${MAX_PAIR_BYTES} bytes; expected at most ${MAX_PAIR_BYTES} bytes (${MAX_PAIR_BYTES / 1024 / 1024} MB)` });
    });
  });
});
