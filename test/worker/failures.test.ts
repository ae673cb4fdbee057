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
    ['/v1/generate?n=%E0%A4%A', 'n', 'n must be an integer 1..64, got "%E0%A4%A"'],
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
  it('answer 503 JSON with the reason, and the next request retries the load', async () => {
    const files: ModelFiles = {
      ...BUNDLED_MODELS,
      decoder: { file: 'decoder.f16.onnx', bytes: new TextEncoder().encode('not an onnx model').buffer as ArrayBuffer },
    };
    const app = createApp({ store: new ModelStore(files), files, manifest: BUNDLED_MANIFEST });
    const request = () => app.fetch(new Request('https://latent-digits.test/v1/generate?seed=1&format=json'));

    for (const res of [await request(), await app.fetch(new Request('https://latent-digits.test/health'))]) {
      const error = await expectError(res, 503, 'models_unavailable');
      expect(error.message).toMatch(/decoder\.f16\.onnx/);
      expect(res.headers.get('Retry-After')).toBe('1');
    }

    files.decoder = BUNDLED_MODELS.decoder; // the fault goes away: the next request loads and serves
    const ok = await request();
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { images: string[] }).images).toHaveLength(1);
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
    expect(error.message).toMatch(/manifest\.json is invalid/);
  });
});
