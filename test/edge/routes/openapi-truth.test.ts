/**
 * /openapi.json says what the image routes answer: checked against the real app's answers (test/edge/harness.ts),
 * not against the document itself. The JSON body of each route has only fields its schema lists and all the required ones, the
 * `format` description names no field a route's JSON lacks (it promised a `seed` GET /v1/interpolate does not
 * send), and every status the route answers to a bad request is documented for it (404 was not for
 * /v1/digits/{digit}, which answers one for a percent-encoded digit).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { ModelStore } from '../../../edge/inference/model-store';
import { encodeGreyPng } from '../../../core/png';
import { loadedStore, workerApp } from '../harness';

type Schema = { $ref?: string; properties?: Record<string, unknown>; required?: string[] };
type Operation = { parameters?: { name: string; description?: string }[]; responses: Record<string, { content?: Record<string, { schema: Schema }> }> };
type Doc = { paths: Record<string, { get: Operation; post: Operation & { responses: Record<string, { description: string }> } }>; components: { schemas: Record<string, Schema> } };

let store: ModelStore;
let doc: Doc;
const request = (path: string, init?: RequestInit) => workerApp(store).request(path, init);

beforeAll(async () => {
  ({ store } = await loadedStore());
  doc = (await (await request('/openapi.json')).json()) as Doc;
});

/** A working request for each image route (GET). */
const ROUTES: Record<string, string> = {
  '/v1/generate': '/v1/generate?seed=1&n=2',
  '/v1/digits/{digit}': '/v1/digits/3?seed=1&n=2',
  '/v1/interpolate': '/v1/interpolate?from=1&to=2&steps=3',
};

function jsonSchema(op: Operation): Schema {
  const schema = op.responses['200'].content!['application/json'].schema;
  return schema.$ref ? doc.components.schemas[schema.$ref.split('/').pop()!] : schema;
}

/** Field names a description spells as a JSON object: `{a, b: [...], c}` -> a, b, c. */
function fieldsSpelledIn(text: string): string[] {
  return [...text.matchAll(/\{([^}]*)\}/g)].flatMap(([, inner]) => inner.split(',').map((part) => part.split(':')[0].trim()).filter((name) => /^\w+$/.test(name)));
}

describe('the image routes as /openapi.json documents them', () => {
  for (const [path, url] of Object.entries(ROUTES)) {
    it(`${path}: format=json answers the fields its schema lists (every required one), and format's description names no other`, async () => {
      const res = await request(`${url}&format=json`);
      expect(res.status).toBe(200);
      const fields = Object.keys((await res.json()) as object).sort();
      const schema = jsonSchema(doc.paths[path].get);
      expect(fields.filter((name) => !(name in schema.properties!))).toEqual([]);
      expect((schema.required ?? []).filter((name) => !fields.includes(name))).toEqual([]);
      const format = doc.paths[path].get.parameters!.find((p) => p.name === 'format')!;
      const named = fieldsSpelledIn(format.description!);
      expect(named.filter((name) => !fields.includes(name)), format.description).toEqual([]);
    });

    it(`${path}: every status it answers to a bad request is documented for it`, async () => {
      const [route, query] = url.split('?');
      const bad: [string, RequestInit?][] = [
        [`${route}?${query}&n=abc`],
        [`${route}?${query}&v=000000000000`],
        [`${route}?${query}`, { headers: { Accept: 'text/html' } }],
      ];
      // the template's path parameter taking a value that is not the route
      if (path.includes('{digit}')) bad.push([`/v1/digits/%33?${query}`]);
      const documented = Object.keys(doc.paths[path].get.responses);
      for (const [target, init] of bad) {
        const res = await request(target, init);
        expect(res.status, target).toBeGreaterThanOrEqual(400);
        expect(documented, `${target} answered ${res.status}`).toContain(String(res.status));
      }
    });
  }
});

describe('the upload routes as /openapi.json documents them', () => {
  it('an upload over 1024 pixels wide answers 400 image_too_large, and the 400 description names that code', async () => {
    const wide = await encodeGreyPng(new Uint8Array(1025).fill(255), 1025, 1);
    const res = await request('/v1/classify', { method: 'POST', body: wide, headers: { 'Content-Type': 'image/png' } });
    expect(res.status).toBe(400);
    const { code } = ((await res.json()) as { error: { code: string } }).error;
    expect(code).toBe('image_too_large');
    expect(doc.paths['/v1/classify'].post.responses['400'].description).toContain(code);
  });
});
