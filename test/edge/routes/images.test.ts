/**
 * The image routes (edge/routes/images.ts through edge/routes/respond.ts) in Node, on the real app, models
 * and onnxruntime-web (test/edge/harness.ts). Pixels are checked against the bundled models run directly
 * here on the documented recipe (noiseForSeed -> generator -> decoder -> round(v*255)); ETags against
 * node:crypto SHA-256 of the canonical request written out by hand; costs against estimateCost's formula
 * worked by hand; headers and errors against the README and RFC 9110.
 */
import { createHash } from 'node:crypto';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, NOISE_DIM, NUM_CLASSES } from '../../../core/contract';
import { noiseForSeed } from '../../../core/rng';
import type { LoadedModels, ModelStore } from '../../../edge/inference/model-store';
import { ort } from '../../../edge/inference/ort';
import { engineFingerprint } from '../../../edge/inference/version';
import { notAcceptable, randomSeed } from '../../../edge/routes/respond';
import { loadedStore, workerApp, type RecordingScheduler } from '../harness';

let store: ModelStore;
let scheduler: RecordingScheduler;
let version: string;
let models: LoadedModels;

beforeAll(async () => {
  ({ store, scheduler, version, models } = await loadedStore());
});

/** A request to a fresh app (built inside the test, see test/edge/harness.ts). */
const request = (path: string, init?: RequestInit) => workerApp(store).request(path, init);

const IMMUTABLE = 'public, max-age=31536000, immutable';
const FIVE_MINUTES = 'public, max-age=300';

const byte = (v: number) => (Number.isNaN(v) || v <= 0 ? 0 : v >= 1 ? 255 : Math.floor(v * 255 + 0.5));

async function run(id: keyof LoadedModels['sessions'], feeds: Record<string, Float32Array>, rows: number, output: string) {
  const tensors = Object.fromEntries(Object.entries(feeds).map(([name, data]) => [name, new ort.Tensor('float32', data, [rows, data.length / rows])]));
  return (await models.sessions[id].run(tensors))[output].data as Float32Array;
}

/** decoder(generator(noise)) or decoder(cgan-generator(noise, one-hot digit)), n tiles of 784 bytes. */
async function reference(seed: number, n: number, digit?: number): Promise<Uint8Array[]> {
  const noise = noiseForSeed(seed, n, NOISE_DIM);
  let latent: Float32Array;
  if (digit === undefined) latent = await run('generator', { noise }, n, 'latent');
  else {
    const labels = new Float32Array(n * NUM_CLASSES);
    for (let i = 0; i < n; i++) labels[i * NUM_CLASSES + digit] = 1;
    latent = await run('cgan-generator', { noise, digit_onehot: labels }, n, 'latent');
  }
  const image = await run('decoder', { latent }, n, 'image');
  return Array.from({ length: n }, (_, i) => Uint8Array.from(image.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), byte));
}

function grey(bytes: Uint8Array) {
  const png = decode(bytes);
  expect([png.channels, png.depth]).toEqual([1, 8]);
  return { width: png.width, height: png.height, data: png.data as Uint8Array };
}

const tileOf = (b64: string) => grey(Uint8Array.from(Buffer.from(b64, 'base64'))).data;

/** Tile t of a PNG grid, 8 tiles per row, each 28*scale square, read at its top-left pixels. */
function gridTile(png: { width: number; data: Uint8Array }, t: number, scale: number): Uint8Array {
  const out = new Uint8Array(IMAGE_PIXELS);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const X = ((t % 8) * 28 + x) * scale;
      const Y = (Math.floor(t / 8) * 28 + y) * scale;
      out[y * 28 + x] = png.data[Y * png.width + X];
    }
  }
  return out;
}

function maxDiff(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

const sha16 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 16);
/** The ETag's canonical request: the dataset first, the request's fields, the engine fingerprint last. */
let engine = '';
beforeAll(async () => {
  engine = await engineFingerprint();
});
const canonical = (fields: string) => `{"dataset":"mnist",${fields.slice(1, -1)},"engine":"${engine}"}`;

async function errorOf(res: Response) {
  expect(res.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
  return ((await res.json()) as { error: Record<string, string> }).error;
}

/** The cost of the last job the scheduler was given. */
const lastCost = () => scheduler.costs[scheduler.costs.length - 1];

describe('GET /v1/generate', () => {
  it('n=3 format=json: {seed, n, images, model}, each image the reference pixels of its noise row', async () => {
    const res = await request('/v1/generate?seed=11&n=3&format=json');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    const body = (await res.json()) as { seed: number; n: number; images: string[]; model: string };
    expect(Object.keys(body)).toEqual(['seed', 'n', 'images', 'model', 'dataset', 'version']);
    expect([body.seed, body.n, body.model]).toEqual([11, 3, `generator@${version}`]);
    const want = await reference(11, 3);
    expect(body.images.map(tileOf)).toEqual(want);
  });

  it('defaults to one image, as a 28x28 PNG at scale 1', async () => {
    const res = await request('/v1/generate?seed=7');
    expect(res.headers.get('Content-Type')).toBe('image/png');
    const png = grey(new Uint8Array(await res.arrayBuffer()));
    expect([png.width, png.height]).toEqual([28, 28]);
    expect(png.data).toEqual((await reference(7, 1))[0]);
  });

  it('n=9 scale=2 is a 2-row grid of 8 columns, tiles in order, enlarged by nearest neighbour', async () => {
    const png = grey(new Uint8Array(await (await request('/v1/generate?seed=3&n=9&scale=2')).arrayBuffer()));
    expect([png.width, png.height]).toEqual([8 * 56, 2 * 56]);
    const want = await reference(3, 9);
    for (const t of [0, 7, 8]) expect(gridTile(png, t, 2), `tile ${t}`).toEqual(want[t]);
    // the other pixel of a 2x2 block is the same
    expect(png.data[1 * png.width + 1]).toBe(want[0][0]);
  });

  it('a given seed names itself in X-Seed, is cached for 5 minutes and carries the ETag of its canonical request', async () => {
    const res = await request('/v1/generate?seed=4');
    expect(res.headers.get('X-Seed')).toBe('4');
    expect(res.headers.get('X-Model-Version')).toBe(version);
    expect(res.headers.get('Vary')).toBe('Accept');
    expect(res.headers.get('Cache-Control')).toBe(FIVE_MINUTES);
    expect(res.headers.get('ETag')).toBe(`"${version}-${sha16(canonical('{"route":"generate","seed":4,"n":1,"scale":1,"format":"png"}'))}"`);
    const json = await request('/v1/generate?seed=4&n=2&scale=3&format=json');
    expect(json.headers.get('ETag')).toBe(`"${version}-${sha16(canonical('{"route":"generate","seed":4,"n":2,"scale":3,"format":"json"}'))}"`);
  });

  it('seed=0 is a given seed, not a missing one', async () => {
    const res = await request('/v1/generate?seed=0&format=json');
    expect(res.headers.get('X-Seed')).toBe('0');
    expect(res.headers.get('Cache-Control')).toBe(FIVE_MINUTES);
    expect(((await res.json()) as { seed: number }).seed).toBe(0);
  });

  it('v pinning the served version makes it immutable; a version the registry lacks is 404 before any model work', async () => {
    const pinned = await request(`/v1/generate?seed=4&v=${version}`);
    expect(pinned.status).toBe(200);
    expect(pinned.headers.get('Cache-Control')).toBe(IMMUTABLE);
    const jobs = scheduler.costs.length;
    const other = version === '000000000000' ? '111111111111' : '000000000000';
    const stale = await request(`/v1/generate?seed=4&v=${other}`);
    expect(stale.status).toBe(404);
    expect(await errorOf(stale)).toEqual({
      code: 'unknown_version',
      parameter: 'v',
      message: `v=${other} is not a version of mnist; the served version is ${version} (see /v1/models)`,
    });
    expect(scheduler.costs.length).toBe(jobs);
  });

  it('without a seed draws a 32-bit one, names it in X-Seed and the body, and is no-store without an ETag', async () => {
    const seeds = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const res = await request('/v1/generate?format=json', { headers: { 'If-None-Match': '*' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      expect(res.headers.get('ETag')).toBeNull();
      const seed = res.headers.get('X-Seed')!;
      expect(seed).toMatch(/^(0|[1-9][0-9]*)$/);
      expect(Number(seed)).toBeLessThanOrEqual(0xffffffff);
      const body = (await res.json()) as { seed: number; images: string[] };
      expect(body.seed).toBe(Number(seed));
      expect(body.images.map(tileOf)).toEqual(await reference(Number(seed), 1));
      seeds.add(seed);
    }
    expect(seeds.size).toBe(3);
  });

  it('a matching If-None-Match is a 304 with the cache headers, no body, no Content-Type, and no model work', async () => {
    const first = await request('/v1/generate?seed=5&n=2');
    const etag = first.headers.get('ETag')!;
    const jobs = scheduler.costs.length;
    const again = await request('/v1/generate?seed=5&n=2', { headers: { 'If-None-Match': `"other", ${etag}` } });
    expect(again.status).toBe(304);
    expect(scheduler.costs.length).toBe(jobs);
    expect(again.headers.get('ETag')).toBe(etag);
    expect(again.headers.get('Cache-Control')).toBe(FIVE_MINUTES);
    expect(again.headers.get('Vary')).toBe('Accept');
    expect(again.headers.get('X-Seed')).toBe('5');
    expect(again.headers.get('X-Model-Version')).toBe(version);
    expect(again.headers.get('Content-Type')).toBeNull();
    expect(await again.text()).toBe('');
    expect((await request('/v1/generate?seed=5&n=2', { headers: { 'If-None-Match': '"other"' } })).status).toBe(200);
  });

  it('HEAD has the headers of GET, its Content-Length included, and no body', async () => {
    for (const path of ['/v1/generate?seed=1&n=3&scale=2', '/v1/digits/4?seed=2&format=json', '/v1/interpolate?from=1&to=2&steps=3']) {
      const got = await request(path);
      const body = new Uint8Array(await got.arrayBuffer());
      const head = await request(path, { method: 'HEAD' });
      expect(head.status, path).toBe(200);
      // Server-Timing reports each request's own queue wait and model time; its cost estimate is the same
      const timing = (h: Headers) => /cost;[^,]*dur=([0-9.]+)/.exec(h.get('Server-Timing') ?? '')?.[1];
      expect(timing(head.headers), path).toBe(timing(got.headers));
      expect(timing(got.headers), path).toMatch(/^[0-9.]+$/);
      const others = (h: Headers) => Object.fromEntries([...h].filter(([name]) => name !== 'server-timing'));
      expect(others(head.headers), path).toEqual(others(got.headers));
      expect(got.headers.get('Content-Length'), path).toBe(String(body.length));
      expect(await head.text()).toBe('');
    }
  });

  it('asks the scheduler for 1 + 0.07 per model row + 2.6e-6 per output pixel + 0.06 per PNG (PNG pixels scaled; JSON: a PNG per image), and says so in Server-Timing', async () => {
    const res = await request('/v1/generate?seed=1&n=3&scale=2');
    expect(lastCost()).toBeCloseTo(1 + 6 * 0.07 + 3 * 784 * 4 * 2.6e-6 + 0.06, 12);
    expect(res.headers.get('Server-Timing')).toMatch(new RegExp(`cost;desc="scheduler estimate in ms of CPU";dur=${Math.round(lastCost() * 100) / 100}$`));
    await request('/v1/generate?seed=1&n=3&scale=2&format=json');
    expect(lastCost()).toBeCloseTo(1 + 6 * 0.07 + 3 * 784 * 2.6e-6 + 3 * 0.06, 12);
    await request('/v1/digits/2?seed=1&n=2');
    expect(lastCost()).toBeCloseTo(1 + 4 * 0.07 + 2 * 784 * 2.6e-6 + 0.06, 12);
    await request('/v1/interpolate?from=1&to=2&steps=4&scale=3');
    expect(lastCost()).toBeCloseTo(1 + 8 * 0.07 + 4 * 784 * 9 * 2.6e-6 + 0.06, 12);
  });

  it('a request whose client has already gone is dropped before its job starts (500 "request aborted")', async () => {
    const jobs = scheduler.costs.length;
    const res = await request('/v1/generate?seed=1', { signal: AbortSignal.abort() });
    expect(res.status).toBe(500);
    expect(await errorOf(res)).toEqual({ code: 'internal_error', message: 'request aborted' });
    expect(scheduler.costs.length).toBe(jobs + 1);
  });
});

describe('strict URLs and parameter errors', () => {
  it('each image route refuses names it does not take, naming the ones it does', async () => {
    const cases: [string, string, string][] = [
      ['/v1/generate?sead=1', 'sead', 'unknown query parameter "sead" (did you mean "seed"?); this endpoint takes n, seed, format, scale, v, dataset'],
      ['/v1/digits/3?seed=1&digit=4', 'digit', 'unknown query parameter "digit"; this endpoint takes n, seed, format, scale, v, dataset'],
      ['/v1/interpolate?from=1&to=2&step=4', 'step', 'unknown query parameter "step" (did you mean "steps"?); this endpoint takes from, to, steps, space, digit_from, digit_to, format, scale, v, dataset'],
      ['/v1/interpolate?to_seed=1', 'to_seed', 'unknown query parameter "to_seed"; this endpoint takes from, to, steps, space, digit_from, digit_to, format, scale, v, dataset'],
    ];
    for (const [path, parameter, message] of cases) {
      const res = await request(path);
      expect(res.status, path).toBe(400);
      expect(await errorOf(res), path).toEqual({ code: 'unknown_parameter', parameter, message });
    }
    // HEAD is GET without the body: the same rules
    expect((await request('/v1/interpolate?to_seed=1', { method: 'HEAD' })).status).toBe(400);
  });

  it('each image route refuses integers written other than as plain digits', async () => {
    for (const [path, parameter] of [['/v1/generate?n=%32', 'n'], ['/v1/digits/3?seed=%37', 'seed'], ['/v1/interpolate?digit_to=%33', 'digit_to']]) {
      expect((await errorOf(await request(path))).parameter, path).toBe(parameter);
    }
  });

  it('an invalid value is a 400 invalid_parameter naming the parameter, the value and the range', async () => {
    expect(await errorOf(await request('/v1/generate?n=0'))).toEqual({ code: 'invalid_parameter', parameter: 'n', message: 'n must be an integer 1..64, got "0"' });
    expect(await errorOf(await request('/v1/digits/10'))).toEqual({ code: 'invalid_parameter', parameter: 'digit', message: 'digit must be an integer 0..9, got "10"' });
    expect(await errorOf(await request('/v1/interpolate?space=pixel'))).toEqual({
      code: 'invalid_parameter',
      parameter: 'space',
      message: 'space must be one of noise, latent, got "pixel"',
    });
  });
});

describe('format and Accept', () => {
  it('Accept picks JSON or PNG by q; format= wins over any Accept', async () => {
    const type = async (path: string, accept?: string) =>
      (await request(path, accept === undefined ? {} : { headers: { Accept: accept } })).headers.get('Content-Type');
    expect(await type('/v1/generate?seed=1', 'application/json')).toBe('application/json; charset=utf-8');
    expect(await type('/v1/generate?seed=1', 'image/png;q=0.5, application/json;q=0.6')).toBe('application/json; charset=utf-8');
    expect(await type('/v1/generate?seed=1', 'application/json, image/png')).toBe('image/png');
    expect(await type('/v1/generate?seed=1&format=png', 'application/json')).toBe('image/png');
    expect(await type('/v1/generate?seed=1&format=json', 'image/webp')).toBe('application/json; charset=utf-8');
  });

  it('nothing acceptable is a 406 naming what was asked and what is available, before any model work', async () => {
    const jobs = scheduler.costs.length;
    const res = await request('/v1/digits/3?seed=1', { headers: { Accept: 'text/html' } });
    expect(res.status).toBe(406);
    expect(await errorOf(res)).toEqual({
      code: 'not_acceptable',
      message: 'nothing acceptable in Accept: "text/html"; available: image/png, application/json (or use format=)',
    });
    expect(scheduler.costs.length).toBe(jobs);
  });

  it('notAcceptable quotes at most 100 characters of Accept, and "" when there is none', async () => {
    const long = 'text/html,'.repeat(20);
    expect(((await notAcceptable(long, ['a/b']).json()) as { error: { message: string } }).error.message).toBe(
      `nothing acceptable in Accept: "${long.slice(0, 100)}"; available: a/b (or use format=)`,
    );
    expect(((await notAcceptable(undefined, ['a/b', 'c/d']).json()) as { error: { message: string } }).error.message).toBe(
      'nothing acceptable in Accept: ""; available: a/b, c/d (or use format=)',
    );
  });

  it('randomSeed draws uniform 32-bit integers (the top and bottom halves both occur)', () => {
    const seeds = Array.from({ length: 64 }, randomSeed);
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s <= 0xffffffff).toBe(true);
    expect(seeds.some((s) => s >= 2 ** 31)).toBe(true);
    expect(seeds.some((s) => s < 2 ** 31)).toBe(true);
    expect(new Set(seeds).size).toBeGreaterThan(60);
  });
});

describe('GET /v1/digits/{digit}', () => {
  it('n=2 format=json: {seed, digit, n, images, model}, each image the conditional reference', async () => {
    const res = await request('/v1/digits/3?n=2&seed=21&format=json');
    expect(res.headers.get('X-Seed')).toBe('21');
    expect(res.headers.get('ETag')).toBe(`"${version}-${sha16(canonical('{"route":"digits","seed":21,"digit":3,"class_name":"3","n":2,"scale":1,"format":"json"}'))}"`);
    const body = (await res.json()) as { images: string[] };
    expect(Object.keys(body)).toEqual(['seed', 'digit', 'class_name', 'n', 'images', 'model', 'dataset', 'version']);
    expect(body).toMatchObject({ seed: 21, digit: 3, class_name: '3', n: 2, model: `cgan-generator@${version}`, dataset: 'mnist', version });
    expect(body.images.map(tileOf)).toEqual(await reference(21, 2, 3));
  });

  it('defaults: one PNG tile; a drawn seed is named and reproduces', async () => {
    const res = await request('/v1/digits/8');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const seed = Number(res.headers.get('X-Seed'));
    const png = grey(new Uint8Array(await res.arrayBuffer()));
    expect([png.width, png.height]).toEqual([28, 28]);
    expect(png.data).toEqual((await reference(seed, 1, 8))[0]);
  });

  it('scale and v apply as on /v1/generate', async () => {
    const res = await request(`/v1/digits/0?seed=2&scale=2&v=${version}`);
    expect(res.headers.get('Cache-Control')).toBe(IMMUTABLE);
    const png = grey(new Uint8Array(await res.arrayBuffer()));
    expect([png.width, png.height]).toEqual([56, 56]);
    expect(gridTile(png, 0, 2)).toEqual((await reference(2, 1, 0))[0]);
  });
});

describe('GET /v1/interpolate', () => {
  type Path = { from: number; to: number; steps: number; space: string; images: string[]; model: string; digit_from?: number; digit_to?: number };

  it('steps=5 format=json: {from, to, steps, space, images, model}; the ends are the samples of from and to', async () => {
    const res = await request('/v1/interpolate?from=10&to=20&steps=5&format=json');
    expect([res.headers.get('X-Seed-From'), res.headers.get('X-Seed-To')]).toEqual(['10', '20']);
    expect(res.headers.get('Cache-Control')).toBe(FIVE_MINUTES);
    expect(res.headers.get('ETag')).toBe(
      `"${version}-${sha16(canonical('{"route":"interpolate","from":10,"to":20,"steps":5,"space":"noise","scale":1,"format":"json"}'))}"`,
    );
    const body = (await res.json()) as Path;
    expect(Object.keys(body)).toEqual(['from', 'to', 'steps', 'space', 'images', 'model', 'dataset', 'version']);
    expect(body).toMatchObject({ from: 10, to: 20, steps: 5, space: 'noise', model: `generator@${version}` });
    const path = body.images.map(tileOf);
    expect(path).toHaveLength(5);
    expect(maxDiff(path[0], (await reference(10, 1))[0])).toBeLessThanOrEqual(1);
    expect(maxDiff(path[4], (await reference(20, 1))[0])).toBeLessThanOrEqual(1);
    expect(maxDiff(path[2], path[0])).toBeGreaterThan(1);
  });

  it('defaults to 8 steps in a PNG strip', async () => {
    const png = grey(new Uint8Array(await (await request('/v1/interpolate?from=1&to=2')).arrayBuffer()));
    expect([png.width, png.height]).toEqual([8 * 28, 28]);
  });

  it('space=latent is passed on: same ends as space=noise, another middle', async () => {
    const noise = ((await (await request('/v1/interpolate?from=30&to=31&steps=3&format=json')).json()) as Path).images.map(tileOf);
    const body = (await (await request('/v1/interpolate?from=30&to=31&steps=3&format=json&space=latent')).json()) as Path;
    expect(body.space).toBe('latent');
    const latent = body.images.map(tileOf);
    expect(maxDiff(latent[0], noise[0])).toBeLessThanOrEqual(1);
    expect(maxDiff(latent[2], noise[2])).toBeLessThanOrEqual(1);
    expect(maxDiff(latent[1], noise[1])).toBeGreaterThan(1);
  });

  it('digit_from and digit_to walk between conditional samples, named in the body and the ETag', async () => {
    const res = await request('/v1/interpolate?from=4&to=6&steps=3&digit_from=3&digit_to=8&format=json');
    expect(res.headers.get('ETag')).toBe(
      `"${version}-${sha16(canonical('{"route":"interpolate","from":4,"to":6,"steps":3,"space":"noise","digit_from":3,"digit_to":8,"class_name_from":"3","class_name_to":"8","scale":1,"format":"json"}'))}"`,
    );
    const body = (await res.json()) as Path;
    expect(Object.keys(body)).toEqual(['from', 'to', 'steps', 'space', 'digit_from', 'digit_to', 'class_name_from', 'class_name_to', 'images', 'model', 'dataset', 'version']);
    expect(body).toMatchObject({ digit_from: 3, digit_to: 8, model: `cgan-generator@${version}` });
    const path = body.images.map(tileOf);
    expect(maxDiff(path[0], (await reference(4, 1, 3))[0])).toBeLessThanOrEqual(1);
    expect(maxDiff(path[2], (await reference(6, 1, 8))[0])).toBeLessThanOrEqual(1);
  });

  it('one digit parameter holds that digit at both ends, whichever is given', async () => {
    for (const [query, digit] of [['digit_to=5', 5], ['digit_from=2', 2]] as const) {
      const body = (await (await request(`/v1/interpolate?from=4&to=6&steps=2&${query}&format=json`)).json()) as Path;
      expect([body.digit_from, body.digit_to], query).toEqual([digit, digit]);
      const path = body.images.map(tileOf);
      expect(maxDiff(path[0], (await reference(4, 1, digit))[0]), query).toBeLessThanOrEqual(1);
      expect(maxDiff(path[1], (await reference(6, 1, digit))[0]), query).toBeLessThanOrEqual(1);
    }
  });

  it('with only one seed given draws the other, names both, and is no-store', async () => {
    for (const [query, given, drawn] of [['from=3', 'X-Seed-From', 'X-Seed-To'], ['to=3', 'X-Seed-To', 'X-Seed-From']]) {
      const res = await request(`/v1/interpolate?${query}&steps=2&format=json`);
      expect(res.headers.get('Cache-Control'), query).toBe('no-store');
      expect(res.headers.get('ETag'), query).toBeNull();
      expect(res.headers.get(given), query).toBe('3');
      const body = (await res.json()) as Path;
      const other = Number(res.headers.get(drawn));
      expect(Number.isInteger(other), query).toBe(true);
      expect(given === 'X-Seed-From' ? [body.from, body.to] : [body.to, body.from], query).toEqual([3, other]);
    }
  });
});
