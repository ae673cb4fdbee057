/** Every error path: bad parameters, unknown routes, wrong methods, and models that fail to load. */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../edge/app';
import { BUNDLED_MANIFEST, BUNDLED_MODELS } from '../../edge/bundle';
import { ModelStore, type ModelFiles } from '../../edge/inference/model-store';
import { get } from './worker';

interface ErrorBody {
  error: { code: string; message: string; parameter?: string };
}

async function expectError(res: Response, status: number, code: string): Promise<ErrorBody['error']> {
  expect(res.status).toBe(status);
  expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
  const body = (await res.json()) as ErrorBody;
  expect(body.error.code).toBe(code);
  expect(body.error.message).not.toMatch(/\n\s+at /); // no stack traces
  return body.error;
}

describe('invalid parameters -> 400 naming the parameter, the value and the allowed range', () => {
  const cases: [string, string, string][] = [
    ['/v1/generate?n=0', 'n', 'n must be an integer 1..64, got "0"'],
    ['/v1/generate?n=65', 'n', 'n must be an integer 1..64, got "65"'],
    ['/v1/generate?n=abc', 'n', 'n must be an integer 1..64, got "abc"'],
    ['/v1/generate?n=2.5', 'n', 'n must be an integer 1..64, got "2.5"'],
    ['/v1/generate?n=', 'n', 'n must be an integer 1..64, got ""'],
    ['/v1/generate?n=1e1', 'n', 'n must be an integer 1..64, got "1e1"'],
    ['/v1/generate?n=1&n=2', 'n', 'n must be an integer 1..64, got ["1","2"]'],
    ['/v1/generate?seed=-1', 'seed', 'seed must be an integer 0..4294967295, got "-1"'],
    ['/v1/generate?seed=4294967296', 'seed', 'seed must be an integer 0..4294967295, got "4294967296"'],
    ['/v1/generate?seed=99999999999999999999999', 'seed', 'seed must be an integer 0..4294967295, got "99999999999999999999999"'],
    ['/v1/generate?format=gif', 'format', 'format must be one of png, json, got "gif"'],
    ['/v1/generate?scale=9', 'scale', 'scale must be an integer 1..8, got "9"'],
    ['/v1/generate?scale=0', 'scale', 'scale must be an integer 1..8, got "0"'],
    ['/v1/digits/10', 'digit', 'digit must be an integer 0..9, got "10"'],
    ['/v1/digits/x', 'digit', 'digit must be an integer 0..9, got "x"'],
    ['/v1/digits/-1', 'digit', 'digit must be an integer 0..9, got "-1"'],
    ['/v1/digits/3?n=100', 'n', 'n must be an integer 1..64, got "100"'],
    ['/v1/interpolate?steps=1', 'steps', 'steps must be an integer 2..32, got "1"'],
    ['/v1/interpolate?steps=33', 'steps', 'steps must be an integer 2..32, got "33"'],
    ['/v1/interpolate?from=x', 'from', 'from must be an integer 0..4294967295, got "x"'],
    ['/v1/interpolate?to=-5', 'to', 'to must be an integer 0..4294967295, got "-5"'],
    ['/v1/interpolate?space=pixel', 'space', 'space must be one of noise, latent, got "pixel"'],
    ['/v1/interpolate?digit_from=11', 'digit_from', 'digit_from must be an integer 0..9, got "11"'],
    ['/v1/interpolate?digit_to=a', 'digit_to', 'digit_to must be an integer 0..9, got "a"'],
    ['/v1/generate?n=%E0%A4%A', 'n', 'n must be written as plain digits (no percent-encoding or "+"), got "%E0%A4%A"'],
    ['/v1/generate?seed=%37', 'seed', 'seed must be written as plain digits (no percent-encoding or "+"), got "%37"'],
    ['/v1/generate?n=+3', 'n', 'n must be written as plain digits (no percent-encoding or "+"), got "+3"'],
    ['/v1/generate?seed=007', 'seed', 'seed must be an integer 0..4294967295 without leading zeros (7), got "007"'],
    ['/v1/digits/03', 'digit', 'digit must be an integer 0..9 without leading zeros (3), got "03"'],
    ['/v1/interpolate?steps=08', 'steps', 'steps must be an integer 2..32 without leading zeros (8), got "08"'],
    ['/v1/generate?v=latest', 'v', 'v must be a model version (12 hex digits), got "latest"'],
    ['/v1/generate?n=' + '9'.repeat(5000), 'n', `n must be an integer 1..64, got "${'9'.repeat(64)}"… (5000 characters)`],
  ];
  for (const [path, parameter, message] of cases) {
    it(path, async () => {
      const res = await get(path);
      const error = await expectError(res, 400, 'invalid_parameter');
      expect(error).toEqual({ code: 'invalid_parameter', message, parameter });
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      expect(res.headers.get('Access-Control-Allow-Origin')).toBe('*');
    });
  }

  it('reports every bad parameter of a request', async () => {
    const error = await expectError(await get('/v1/generate?n=0&seed=x'), 400, 'invalid_parameter');
    expect(error.message).toContain('n must be');
    expect(error.message).toContain('seed must be');
  });
});

describe('unknown routes and wrong methods', () => {
  for (const path of ['/nope', '/v1', '/v1/digits', '/v1/digits/', '/v1/digits/3/extra', '/v1/generate/', '/V1/generate']) {
    it(`404 JSON for ${path}`, async () => {
      const error = await expectError(await get(path), 404, 'not_found');
      expect(error.message).toContain(path);
    });
  }

  for (const [method, path] of [['POST', '/v1/generate'], ['PUT', '/v1/digits/3'], ['DELETE', '/v1/interpolate'], ['POST', '/health'], ['PATCH', '/v1/models'], ['POST', '/']] as const) {
    it(`405 JSON for ${method} ${path}`, async () => {
      const res = await get(path, { method, body: method === 'DELETE' ? undefined : '{}' });
      const error = await expectError(res, 405, 'method_not_allowed');
      expect(error.message).toContain(method);
      // /v1/interpolate also takes uploads (POST)
      expect(res.headers.get('Allow')).toBe(path === '/v1/interpolate' ? 'GET, HEAD, POST, OPTIONS' : 'GET, HEAD, OPTIONS');
    });
  }
});

describe('model sessions', () => {
  it('are created once per isolate and shared by every request', async () => {
    const store = new ModelStore(BUNDLED_MODELS);
    const first = await store.load();
    expect(await store.load()).toBe(first);
    expect(first.sessions.generator).toBe((await store.load()).sessions.generator);
  });
});

describe('models that fail to load', () => {
  it('answer 503 JSON with a short reason and Retry-After, retry with backoff, and /v1/models agrees with /health', async () => {
    const files: ModelFiles = {
      ...BUNDLED_MODELS,
      decoder: { file: 'decoder.f16.onnx', bytes: new TextEncoder().encode('not an onnx model').buffer as ArrayBuffer },
    };
    let now = 1_000_000;
    const app = createApp({ store: new ModelStore(files, { now: () => now }), files, manifest: BUNDLED_MANIFEST });
    const request = (path = '/v1/generate?seed=1&format=json') => app.fetch(new Request('https://latent-digits.test' + path));

    const first = await request();
    const error = await expectError(first, 503, 'models_unavailable');
    // names the file, not the runtime's internals
    expect(error.message).toBe('models are unavailable: cannot load decoder.f16.onnx: the runtime rejected the file');
    expect(first.headers.get('Retry-After')).toBe('1');

    files.decoder = BUNDLED_MODELS.decoder; // the fault goes away, but the backoff has not passed yet
    for (const path of ['/health', '/v1/models', '/v1/generate?seed=1']) {
      const res = await request(path);
      await expectError(res, 503, 'models_unavailable');
      expect(res.headers.get('Retry-After'), path).toBe('1');
    }

    now += 1_000; // backoff over: the next request loads and serves
    const ok = await request();
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { images: string[] }).images).toHaveLength(1);
    expect((await request('/health')).status).toBe(200);
    expect((await request('/v1/models')).status).toBe(200);
  });

  it('back off 1 s, 2 s, 4 s ... between failed loads', async () => {
    const files: ModelFiles = {
      ...BUNDLED_MODELS,
      generator: { file: 'generator.f16.onnx', bytes: new Uint8Array([1, 2, 3]).buffer as ArrayBuffer },
    };
    let now = 0;
    const app = createApp({ store: new ModelStore(files, { now: () => now }), files, manifest: BUNDLED_MANIFEST });
    const retryAfter = async () => (await app.fetch(new Request('https://x.test/health'))).headers.get('Retry-After');
    expect(await retryAfter()).toBe('1'); // failure 1
    now += 1000;
    expect(await retryAfter()).toBe('2'); // failure 2: next try in 2 s
    now += 1000;
    expect(await retryAfter()).toBe('1'); // still waiting: 1 s left, no load attempted
    now += 1000;
    expect(await retryAfter()).toBe('4'); // failure 3
  });

  it('name the model whose tensors do not match the contract', async () => {
    // the decoder's graph where the generator belongs: loads fine, wrong input names
    const files: ModelFiles = { ...BUNDLED_MODELS, generator: { ...BUNDLED_MODELS.decoder, file: 'generator.f16.onnx' } };
    const app = createApp({ store: new ModelStore(files), files, manifest: BUNDLED_MANIFEST });
    const error = await expectError(await app.fetch(new Request('https://x.test/v1/generate')), 503, 'models_unavailable');
    expect(error.message).toBe('models are unavailable: generator.f16.onnx: expected inputs [noise], got [latent]');
  });

  it('an invalid manifest is a 503 at /v1/models, not a crash', async () => {
    const app = createApp({ store: new ModelStore(BUNDLED_MODELS), files: BUNDLED_MODELS, manifest: { nope: true } });
    const error = await expectError(await app.fetch(new Request('https://x.test/v1/models')), 503, 'models_unavailable');
    expect(error.message).toBe('models are unavailable: the bundled models/manifest.json is invalid');
  });
});
