/** The OpenAPI document the worker serves is a valid OpenAPI 3.1 document, and its examples work. */
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, inject, it } from 'vitest';

const base = inject('workerUrl');

describe('GET /openapi.json', () => {
  it('validates against the OpenAPI schema', async () => {
    const doc = await (await fetch(`${base}/openapi.json`)).json();
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
  });

  it('every documented operation answers 200 with its documented content type', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }>;
    };
    for (const [path, item] of Object.entries(doc.paths)) {
      if (!item.get) continue; // the upload operations (POST) are exercised by test/worker/uploads.test.ts
      const query = path === '/v1/interpolate' ? '?from=1&to=2' : path.startsWith('/v1/') && path !== '/v1/models' ? '?seed=1' : '';
      const url = `${base}${path.replace('{digit}', '7')}${query}`;
      const res = await fetch(url);
      expect(res.status, url).toBe(200);
      const types = Object.keys(item.get.responses['200'].content ?? {});
      expect(types.some((t) => res.headers.get('Content-Type')!.startsWith(t)), `${url}: ${res.headers.get('Content-Type')}`).toBe(true);
    }
  });
});
