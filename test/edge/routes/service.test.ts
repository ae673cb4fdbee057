/**
 * The service routes (edge/routes/meta.ts: /v1/models, /health) and the OpenAPI pieces of
 * edge/routes/docs.ts, on the real app in Node (test/edge/harness.ts). The manifest is read from
 * models/manifest.json with node:fs here; the error responses are written out from the README's table.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { ModelStore } from '../../../edge/inference/model-store';
import { errorResponses } from '../../../edge/routes/docs';
import { errorBodySchema } from '../../../edge/routes/errors';
import { requireJson } from '../../../edge/routes/meta';
import { loadedStore, workerApp } from '../harness';

const MANIFEST = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../../models/manifest.json'), 'utf8')) as Record<string, unknown>;

let store: ModelStore;
let version: string;

beforeAll(async () => {
  ({ store, version } = await loadedStore());
});

const request = (path: string, init?: RequestInit, manifest?: unknown) =>
  (manifest === undefined ? workerApp(store) : workerApp(store, manifest)).request(path, init);

async function errorOf(res: Response) {
  expect(res.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
  return ((await res.json()) as { error: Record<string, string> }).error;
}

describe('GET /v1/models', () => {
  it('is models/manifest.json as written plus `served`: the version and the file of each edge model', async () => {
    const res = await request('/v1/models');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=300');
    expect(res.headers.get('X-Model-Version')).toBe(version);
    const { datasets, ...rest } = (await res.json()) as { datasets: Array<Record<string, unknown>> };
    // without registry state (no R2 binding here) the MNIST channel is the embedded set, Fashion-MNIST has none
    expect(datasets.map((d) => [d.id, d.channel, (d.versions as { version: string }[]).map((v) => v.version)])).toEqual([
      ['mnist', version, [version]],
      ['fashion-mnist', null, []],
    ]);
    expect(datasets[1].classes).toEqual(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    expect(rest).toEqual({
      ...MANIFEST,
      served: {
        version,
        files: {
          generator: 'generator.f16.onnx',
          decoder: 'decoder.f16.onnx',
          'cgan-generator': 'cgan-generator.f16.onnx',
          encoder: 'encoder.f16.onnx',
          classifier: 'classifier.f16.onnx',
          recognizer: 'recognizer.f16.onnx',
        },
      },
    });
  });

  it('406 for a client that does not accept JSON; */* and JSON with a charset are fine', async () => {
    const refused = await request('/v1/models', { headers: { Accept: 'image/png' } });
    expect(refused.status).toBe(406);
    expect(await errorOf(refused)).toEqual({
      code: 'not_acceptable',
      message: 'nothing acceptable in Accept: "image/png"; available: application/json (or use format=)',
    });
    expect((await request('/v1/models', { headers: { Accept: '*/*' } })).status).toBe(200);
    expect((await request('/v1/models', { headers: { Accept: 'application/json; charset=utf-8' } })).status).toBe(200);
  });

  it('takes no query parameters', async () => {
    const res = await request('/v1/models?x=1');
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({
      code: 'unknown_parameter',
      parameter: 'x',
      message: 'unknown query parameter "x"; this endpoint takes no query parameters',
    });
  });

  it('an invalid manifest is 503 models_unavailable with Retry-After 60, not the bad document; the log says why', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await request('/v1/models', {}, { ...MANIFEST, schema_version: 2 });
      expect(res.status).toBe(503);
      expect(res.headers.get('Retry-After')).toBe('60');
      expect(await errorOf(res)).toEqual({ code: 'models_unavailable', message: 'models are unavailable: the bundled models/manifest.json is invalid' });
      expect(logged).toHaveBeenCalledTimes(1);
      expect(logged.mock.calls[0][0]).toBe('the bundled manifest is invalid:');
      expect(logged.mock.calls[0][1]).toMatch(/schema_version/);
    } finally {
      logged.mockRestore();
    }
  });
});

describe('GET /health', () => {
  it('reports ok, the model version, the run id of the manifest and the edge models, never cached', async () => {
    const res = await request('/health');
    expect(res.status).toBe(200);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(await res.json()).toEqual({
      status: 'ok',
      dataset: 'mnist',
      model_version: version,
      run_id: MANIFEST.run_id,
      models: ['generator', 'decoder', 'cgan-generator', 'encoder', 'classifier', 'recognizer'],
    });
  });

  it('answers whatever the client accepts, with cache-busting parameters', async () => {
    expect((await request('/health?t=1', { headers: { Accept: 'text/plain' } })).status).toBe(200);
  });

  it('an invalid manifest is a 503: a set is known by its manifest (its version comes from the file hashes there)', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const res = await request('/health', {}, { nonsense: true });
      expect(res.status).toBe(503);
      expect((await errorOf(res)).code).toBe('models_unavailable');
    } finally {
      logged.mockRestore();
    }
  });
});

describe('requireJson', () => {
  it('null (go ahead) without Accept or when JSON is acceptable; a 406 naming application/json otherwise', async () => {
    expect(requireJson(undefined)).toBeNull();
    expect(requireJson('application/*;q=0.1')).toBeNull();
    // JSON is UTF-8: a client asking for it with its charset gets it, one asking for another charset does not
    expect(requireJson('application/json; charset=utf-8')).toBeNull();
    expect(requireJson('application/json; charset=latin1')?.status).toBe(406);
    const res = requireJson('text/html, application/json;q=0')!;
    expect(res.status).toBe(406);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe(
      'nothing acceptable in Accept: "text/html, application/json;q=0"; available: application/json (or use format=)',
    );
  });
});

describe('errorResponses (docs.ts)', () => {
  const noStore = { 'Cache-Control': { schema: { type: 'string' }, description: '"no-store"' } };
  const content = { 'application/json': { schema: errorBodySchema } };

  it('documents each status with its description, no-store, its own headers and the Error body', () => {
    expect(errorResponses([404, 405, 503])).toEqual({
      404: {
        description:
          'not_found; unknown_dataset (the message lists the datasets); unknown_version: `v` is not a version of the dataset (the message names the served one)',
        headers: noStore,
        content,
      },
      405: {
        description: 'method_not_allowed',
        headers: { ...noStore, Allow: { schema: { type: 'string' }, description: 'the methods the path accepts' } },
        content,
      },
      503: {
        description:
          'overloaded (too much model work queued) or models_unavailable (this version\'s models failed to load: a file missing ' +
          'from the registry or not matching its sha256; other versions keep serving)',
        headers: { ...noStore, 'Retry-After': { schema: { type: 'integer', minimum: 1 }, description: 'seconds to wait before retrying' } },
        content,
      },
    });
    expect(errorResponses([])).toEqual({});
  });
});

describe('/openapi.json', () => {
  type Doc = { paths: Record<string, Record<string, { responses: Record<string, { description: string; headers?: Record<string, unknown>; content?: Record<string, unknown> }>; parameters?: { name: string; in: string }[] }>> };

  it('documents every route with its methods, and the error responses of each', async () => {
    const doc = (await (await request('/openapi.json')).json()) as Doc;
    const methods = Object.fromEntries(Object.entries(doc.paths).map(([path, ops]) => [path, Object.keys(ops).sort()]));
    expect(methods).toEqual({
      '/': ['get'],
      '/openapi.json': ['get'],
      '/health': ['get'],
      '/v1/models': ['get'],
      '/v1/generate': ['get'],
      '/v1/digits/{digit}': ['get'],
      '/v1/interpolate': ['get', 'post'],
      '/v1/encode': ['post'],
      '/v1/classify': ['post'],
    });
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses).sort();
    expect(statuses('/v1/generate', 'get')).toEqual(['200', '304', '400', '404', '406', '410', '429', '500', '503']);
    expect(statuses('/v1/encode', 'post')).toEqual(['200', '400', '404', '406', '410', '413', '415', '429', '500', '503']);
    expect(statuses('/v1/models', 'get')).toEqual(['200', '400', '406', '429', '500', '503']);
    expect(statuses('/health', 'get')).toEqual(['200', '500', '503']);
    const tooMany = doc.paths['/v1/generate'].get.responses['429'];
    expect(tooMany.description).toBe('rate_limited: too many requests from this client');
    expect(Object.keys(tooMany.headers!).sort()).toEqual(['Cache-Control', 'Retry-After']);
    expect(tooMany.content).toEqual({ 'application/json': { schema: { $ref: '#/components/schemas/Error' } } });
    expect(doc.paths['/v1/interpolate'].post.parameters!.map((p) => p.name).sort()).toEqual(['dataset', 'format', 'scale', 'seed', 'steps', 'to_digit', 'to_seed', 'v']);
  });
});
