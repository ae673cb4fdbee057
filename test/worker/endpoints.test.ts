/**
 * Every endpoint through SELF.fetch inside workerd, against whatever models/ holds: shapes, content types,
 * headers, determinism per seed, and the relations between endpoints that the OpenAPI document promises.
 */
import { describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, IMAGE_SIDE, MODEL_SPECS, float16File } from '../../core/contract';
import { BUNDLED_MANIFEST, BUNDLED_MODELS } from '../../edge/bundle';
import { EDGE_MODEL_IDS } from '../../edge/inference/model-store';
import { configureOrt, ort } from '../../edge/inference/ort';
import { decodeGrey, fromBase64, get, json, maxDiff, pngOf, type ImagesBody } from './worker';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const FIVE_MINUTES = 'public, max-age=300';

async function bytesOf(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

function tiles(body: ImagesBody) {
  return body.images.map((b64) => decodeGrey(fromBase64(b64)));
}

describe('bundle', () => {
  it('bundles the float16 variant of exactly the edge models of the contract', () => {
    const edgeIds = Object.values(MODEL_SPECS).filter((s) => s.edge).map((s) => s.id);
    expect([...EDGE_MODEL_IDS].sort()).toEqual(edgeIds.sort());
    for (const id of EDGE_MODEL_IDS) expect(BUNDLED_MODELS[id].file).toBe(float16File(MODEL_SPECS[id].file));
  });

  it('bundles the bytes the manifest describes, where it lists the file', async () => {
    const models = Object.values((BUNDLED_MANIFEST as { models: Record<string, { file: string; sha256: string }> }).models);
    for (const id of EDGE_MODEL_IDS) {
      const { file, bytes } = BUNDLED_MODELS[id];
      const entry = models.find((m) => m.file === file);
      if (!entry) continue;
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      expect([...digest].map((b) => b.toString(16).padStart(2, '0')).join(''), file).toBe(entry.sha256);
    }
  });
});

describe('onnxruntime-web inside workerd', () => {
  it('workerd refuses to compile WebAssembly from bytes, which is why ORT gets a precompiled module', async () => {
    const emptyModule = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    await expect(WebAssembly.compile(emptyModule)).rejects.toThrow(/disallowed/);
  });

  it('runs a bundled model through the compiled-module hook (rests on ORT internals: keep this test)', async () => {
    configureOrt();
    const session = await ort.InferenceSession.create(new Uint8Array(BUNDLED_MODELS.decoder.bytes).slice());
    const out = await session.run({ latent: new ort.Tensor('float32', new Float32Array(2 * 16), [2, 16]) });
    expect(out.image.dims).toEqual([2, IMAGE_PIXELS]);
    await session.release();
  });
});

describe('GET /v1/generate', () => {
  it('returns one 28x28 greyscale PNG by default', async () => {
    const res = await get('/v1/generate?seed=7');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toBe('image/png');
    expect(res.headers.get('X-Seed')).toBe('7');
    const png = await pngOf(res);
    expect([png.width, png.height]).toEqual([IMAGE_SIDE, IMAGE_SIDE]);
  });

  it('lays n tiles out 8 per row and enlarges them by scale', async () => {
    for (const [n, scale, cols, rows] of [[16, 1, 8, 2], [5, 3, 5, 1], [64, 2, 8, 8], [9, 1, 8, 2]]) {
      const png = await pngOf(await get(`/v1/generate?seed=1&n=${n}&scale=${scale}`));
      expect([png.width, png.height], `n=${n} scale=${scale}`).toEqual([cols * IMAGE_SIDE * scale, rows * IMAGE_SIDE * scale]);
    }
  });

  it('grid tiles are the JSON images, and scale is nearest neighbour', async () => {
    const { body } = await json<ImagesBody>('/v1/generate?seed=3&n=10&format=json');
    const grid = await pngOf(await get('/v1/generate?seed=3&n=10&scale=2'));
    tiles(body).forEach((tile, t) => {
      for (let y = 0; y < IMAGE_SIDE; y++) {
        for (let x = 0; x < IMAGE_SIDE; x++) {
          const gx = ((t % 8) * IMAGE_SIDE + x) * 2;
          const gy = (Math.floor(t / 8) * IMAGE_SIDE + y) * 2;
          const v = tile.data[y * IMAGE_SIDE + x];
          for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) expect(grid.data[(gy + dy) * grid.width + gx + dx]).toBe(v);
        }
      }
    });
  });

  it('format=json gives {seed, n, images, model} with one 28x28 PNG per image', async () => {
    const { res, body } = await json<ImagesBody>('/v1/generate?seed=11&n=3&format=json');
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(Object.keys(body)).toEqual(['seed', 'n', 'images', 'model', 'dataset', 'version']);
    expect(body.seed).toBe(11);
    expect(body.images).toHaveLength(3);
    expect(body.model).toMatch(/^generator@[0-9a-f]{12}$/);
    expect(body.model.split('@')[1]).toBe(res.headers.get('X-Model-Version'));
    for (const tile of tiles(body)) {
      expect([tile.width, tile.height]).toEqual([IMAGE_SIDE, IMAGE_SIDE]);
      expect(tile.data).toHaveLength(IMAGE_PIXELS);
    }
  });

  it('Accept: application/json selects JSON; format wins over Accept', async () => {
    const accepted = await get('/v1/generate?seed=1', { headers: { Accept: 'application/json' } });
    expect(accepted.headers.get('Content-Type')).toMatch(/^application\/json/);
    const forced = await get('/v1/generate?seed=1&format=png', { headers: { Accept: 'application/json' } });
    expect(forced.headers.get('Content-Type')).toBe('image/png');
    const browser = await get('/v1/generate?seed=1', { headers: { Accept: 'image/avif,image/webp,*/*;q=0.8' } });
    expect(browser.headers.get('Content-Type')).toBe('image/png');
  });

  it('is byte-identical for the same parameters, and differs across seeds', async () => {
    const a = await bytesOf(await get('/v1/generate?seed=123&n=8'));
    const b = await bytesOf(await get('/v1/generate?seed=123&n=8'));
    const c = await bytesOf(await get('/v1/generate?seed=124&n=8'));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    const j1 = await (await get('/v1/generate?seed=123&n=8&format=json')).text();
    const j2 = await (await get('/v1/generate?seed=123&n=8&format=json')).text();
    expect(j2).toBe(j1);
  });

  it('image i of a seed does not depend on n (within 1 grey level of batch rounding)', async () => {
    const one = tiles((await json<ImagesBody>('/v1/generate?seed=99&n=1&format=json')).body);
    const many = tiles((await json<ImagesBody>('/v1/generate?seed=99&n=6&format=json')).body);
    expect(maxDiff(many[0].data, one[0].data)).toBeLessThanOrEqual(1);
    expect(maxDiff(many[1].data, many[0].data)).toBeGreaterThan(1); // different rows are different images
  });

  it('seeded responses are cached 5 minutes (immutable when v pins the version), with an ETag naming the version, and honour If-None-Match', async () => {
    const res = await get('/v1/generate?seed=5&n=2');
    const version = res.headers.get('X-Model-Version');
    const etag = res.headers.get('ETag');
    expect(version).toMatch(/^[0-9a-f]{12}$/);
    expect(res.headers.get('Cache-Control')).toBe(FIVE_MINUTES);
    const pinned = await get(`/v1/generate?seed=5&n=2&v=${version}`);
    expect(pinned.headers.get('Cache-Control')).toBe(IMMUTABLE);
    expect(pinned.headers.get('ETag')).toBe(etag);
    expect(await bytesOf(pinned)).toEqual(await bytesOf(res.clone()));
    expect(etag).toMatch(new RegExp(`^"${version}-[0-9a-f]{16}"$`));
    expect(res.headers.get('Vary')).toBe('Accept');
    const again = await get('/v1/generate?seed=5&n=2', { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const asJson = await get('/v1/generate?seed=5&n=2&format=json');
    expect(asJson.headers.get('ETag')).not.toBe(etag);
  });

  it('without a seed draws one, names it, and is not cacheable; that seed reproduces the image', async () => {
    const res = await get('/v1/generate?n=2&format=json');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('ETag')).toBeNull();
    const body = (await res.json()) as ImagesBody;
    const seed = Number(res.headers.get('X-Seed'));
    expect(body.seed).toBe(seed);
    expect(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff).toBe(true);
    const replay = (await json<ImagesBody>(`/v1/generate?n=2&format=json&seed=${seed}`)).body;
    expect(replay.images).toEqual(body.images);
  });

  it('accepts the extreme seeds', async () => {
    for (const seed of [0, 4294967295]) expect((await get(`/v1/generate?seed=${seed}`)).status).toBe(200);
  });

  it('answers HEAD with exactly the headers of GET, Content-Length included, and no body', async () => {
    for (const path of ['/v1/generate?seed=1&n=3&scale=2', '/v1/digits/4?seed=2&format=json', '/v1/interpolate?from=1&to=2']) {
      const got = await get(path);
      const body = await bytesOf(got);
      const head = await get(path, { method: 'HEAD' });
      expect(head.status, path).toBe(200);
      // Server-Timing reports each request's own queue wait and model time; its cost estimate is the same
      const cost = (h: Headers) => /cost;[^,]*dur=([0-9.]+)/.exec(h.get('Server-Timing') ?? '')?.[1];
      expect(cost(head.headers), path).toBe(cost(got.headers));
      expect(cost(got.headers), path).toMatch(/^[0-9.]+$/);
      const others = (h: Headers) => Object.fromEntries([...h].filter(([name]) => name !== 'server-timing'));
      expect(others(head.headers), path).toEqual(others(got.headers));
      expect(Number(head.headers.get('Content-Length')), path).toBe(body.length);
      expect(await head.text()).toBe('');
    }
  });

  it('is open to cross-origin GETs and exposes the seed headers', async () => {
    const res = await get('/v1/generate?seed=1', { headers: { Origin: 'https://example.org' } });
    expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(res.headers.get('Access-Control-Expose-Headers')).toMatch(/X-Seed/);
    const preflight = await get('/v1/generate', {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.org', 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('Access-Control-Allow-Methods')).toMatch(/GET/);
  });
});

describe('GET /v1/digits/:digit', () => {
  it('returns n conditional samples of the digit', async () => {
    const { res, body } = await json<ImagesBody>('/v1/digits/3?n=4&seed=21&format=json');
    expect(res.status).toBe(200);
    expect(res.headers.get('X-Seed')).toBe('21');
    expect(Object.keys(body)).toEqual(['seed', 'digit', 'class_name', 'n', 'images', 'model', 'dataset', 'version']);
    expect(body.digit).toBe(3);
    expect(body.images).toHaveLength(4);
    expect(body.model).toMatch(/^cgan-generator@[0-9a-f]{12}$/);
  });

  it('returns a PNG grid, deterministic per seed, different per digit', async () => {
    const a = await get('/v1/digits/8?n=16&seed=2&scale=2');
    expect(a.headers.get('Content-Type')).toBe('image/png');
    const bytes = await bytesOf(a);
    const png = decodeGrey(bytes);
    expect([png.width, png.height]).toEqual([8 * 28 * 2, 2 * 28 * 2]);
    expect(await bytesOf(await get('/v1/digits/8?n=16&seed=2&scale=2'))).toEqual(bytes);
    expect(await bytesOf(await get('/v1/digits/1?n=16&seed=2&scale=2'))).not.toEqual(bytes);
  });

  it('serves every digit 0..9', async () => {
    for (let d = 0; d <= 9; d++) expect((await get(`/v1/digits/${d}?seed=1`)).status, `digit ${d}`).toBe(200);
  });
});

describe('GET /v1/interpolate', () => {
  it('returns steps images whose ends are the generator samples of from and to', async () => {
    const { res, body } = await json<ImagesBody>('/v1/interpolate?from=10&to=20&steps=5&format=json');
    expect(res.status).toBe(200);
    expect([res.headers.get('X-Seed-From'), res.headers.get('X-Seed-To')]).toEqual(['10', '20']);
    expect(res.headers.get('Cache-Control')).toBe(FIVE_MINUTES);
    expect(body).toMatchObject({ from: 10, to: 20, steps: 5, space: 'noise' });
    expect(body.model).toMatch(/^generator@/);
    const path = tiles(body);
    expect(path).toHaveLength(5);
    const first = tiles((await json<ImagesBody>('/v1/generate?seed=10&format=json')).body)[0];
    const last = tiles((await json<ImagesBody>('/v1/generate?seed=20&format=json')).body)[0];
    expect(maxDiff(path[0].data, first.data)).toBeLessThanOrEqual(1);
    expect(maxDiff(path[4].data, last.data)).toBeLessThanOrEqual(1);
    expect(maxDiff(path[2].data, first.data)).toBeGreaterThan(0);
  });

  it('defaults to 8 steps in a PNG strip', async () => {
    const png = await pngOf(await get('/v1/interpolate?from=1&to=2'));
    expect([png.width, png.height]).toEqual([8 * 28, 28]);
    const long = await pngOf(await get('/v1/interpolate?from=1&to=2&steps=32&scale=3'));
    expect([long.width, long.height]).toEqual([8 * 28 * 3, 4 * 28 * 3]);
  });

  it('walks between conditional samples of two digits, ends matching /v1/digits', async () => {
    const { body } = await json<ImagesBody>('/v1/interpolate?from=4&to=6&steps=6&digit_from=3&digit_to=8&format=json');
    expect(body).toMatchObject({ digit_from: 3, digit_to: 8 });
    expect(body.model).toMatch(/^cgan-generator@/);
    const path = tiles(body);
    const three = tiles((await json<ImagesBody>('/v1/digits/3?seed=4&format=json')).body)[0];
    const eight = tiles((await json<ImagesBody>('/v1/digits/8?seed=6&format=json')).body)[0];
    expect(maxDiff(path[0].data, three.data)).toBeLessThanOrEqual(1);
    expect(maxDiff(path[5].data, eight.data)).toBeLessThanOrEqual(1);
  });

  it('a single digit parameter holds that digit on both ends', async () => {
    const { body } = await json<ImagesBody>('/v1/interpolate?from=4&to=6&steps=3&digit_to=5&format=json');
    expect(body).toMatchObject({ digit_from: 5, digit_to: 5 });
  });

  it('space=latent has the same ends as space=noise and its own middle', async () => {
    const q = 'from=30&to=31&steps=3&format=json';
    const noise = tiles((await json<ImagesBody>(`/v1/interpolate?${q}`)).body);
    const { body } = await json<ImagesBody>(`/v1/interpolate?${q}&space=latent`);
    expect(body.space).toBe('latent');
    const latent = tiles(body);
    expect(maxDiff(latent[0].data, noise[0].data)).toBeLessThanOrEqual(1);
    expect(maxDiff(latent[2].data, noise[2].data)).toBeLessThanOrEqual(1);
  });

  it('draws missing seeds, names them, and is not cacheable', async () => {
    const res = await get('/v1/interpolate?from=3&steps=2&format=json');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    const body = (await res.json()) as ImagesBody;
    expect(body.from).toBe(3);
    expect(String(body.to)).toBe(res.headers.get('X-Seed-To'));
  });
});

describe('service endpoints', () => {
  it('GET /v1/models serves the manifest and what this worker runs', async () => {
    const { res, body } = await json<Record<string, any>>('/v1/models');
    expect(res.status).toBe(200);
    expect(body).toMatchObject(BUNDLED_MANIFEST as object);
    expect(body.served.version).toMatch(/^[0-9a-f]{12}$/);
    expect(body.served.files).toEqual({
      generator: 'generator.f16.onnx',
      decoder: 'decoder.f16.onnx',
      'cgan-generator': 'cgan-generator.f16.onnx',
      encoder: 'encoder.f16.onnx',
      classifier: 'classifier.f16.onnx',
      recognizer: 'recognizer.f16.onnx',
    });
  });

  it('GET /health reports the loaded model version', async () => {
    const { res, body } = await json<Record<string, any>>('/health');
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', models: ['generator', 'decoder', 'cgan-generator', 'encoder', 'classifier', 'recognizer'] });
    expect(body.model_version).toBe((await get('/v1/generate?seed=1')).headers.get('X-Model-Version'));
  });

  it('GET /openapi.json documents every endpoint and its parameter ranges', async () => {
    const { res, body: doc } = await json<Record<string, any>>('/openapi.json');
    expect(res.status).toBe(200);
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      ['/', '/openapi.json', '/health', '/v1/classify', '/v1/digits/{digit}', '/v1/encode', '/v1/generate', '/v1/interpolate', '/v1/models'].sort(),
    );
    const param = (path: string, name: string) =>
      doc.paths[path].get.parameters.find((p: { name: string }) => p.name === name);
    expect(param('/v1/generate', 'n').schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 64, default: 1 });
    expect(param('/v1/generate', 'seed').schema).toMatchObject({ type: 'integer', minimum: 0, maximum: 4294967295 });
    expect(param('/v1/interpolate', 'steps').schema).toMatchObject({ minimum: 2, maximum: 32, default: 8 });
    expect(param('/v1/digits/{digit}', 'digit')).toMatchObject({ in: 'path', required: true });
    expect(param('/v1/interpolate', 'space').schema.enum).toEqual(['noise', 'latent']);
    expect(doc.paths['/v1/generate'].get.description).toMatch(/noiseForSeed/);
  });

  it('GET / is a page with digit buttons, a seed box and an interpolation slider', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    const html = await res.text();
    for (let d = 0; d <= 9; d++) expect(html).toContain(`data-digit="${d}"`);
    expect(html).toContain('id="seed"');
    expect(html).toContain('type="range"');
  });
});
