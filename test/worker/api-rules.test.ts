/**
 * The rules that make the API safe to put in front of the public: content negotiation by q-values,
 * strict URLs, versioned caching, CORS only where and as far as needed, and the demo page's headers.
 * Expectations are written out by hand from RFC 9110 and the README, not computed by the code under test.
 */
import { describe, expect, it } from 'vitest';
import { negotiate, parseAccept } from '../../edge/routes/negotiate';
import { nearest } from '../../edge/routes/strict-query';
import { get, json } from './worker';

interface ErrorBody {
  error: { code: string; message: string; parameter?: string };
}

async function errorOf(res: Response): Promise<ErrorBody['error']> {
  expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
  return ((await res.json()) as ErrorBody).error;
}

const PNG_JSON = [{ type: 'image/png' }, { type: 'application/json', params: { charset: 'utf-8' } }];

describe('Accept negotiation (RFC 9110 §12.5.1)', () => {
  const cases: [string | undefined, 'png' | 'json' | 406][] = [
    [undefined, 'png'],
    ['', 'png'],
    ['*/*', 'png'],
    ['application/json', 'json'],
    ['image/png, application/json;q=0.1', 'png'],
    ['image/png;q=0.1, application/json', 'json'],
    ['application/json, image/png', 'png'], // tie: the server's preference
    ['application/jsonx', 406],
    ['application/json;q=0', 406],
    ['application/json;q=0, */*', 'png'],
    ['image/webp', 406],
    ['image/*', 'png'],
    ['image/*;q=0, image/png', 'png'], // the more specific range wins
    ['*/*;q=0.1, application/*;q=0.5', 'json'],
    ['*/*;q=0, application/json;q=0.001', 'json'],
    ['application/json;charset=utf-8', 'json'],
    ['application/json;charset=latin1', 406],
    ['image/avif,image/webp,*/*;q=0.8', 'png'], // a browser's <img> request
    ['application/json;q=abc, image/png;q=0.5', 'png'], // the malformed range is ignored
    ['application/json;q=1.5', 406], // q above 1 is malformed: ignored, nothing left
    ['APPLICATION/JSON', 'json'],
    ['text/html', 406],
  ];
  for (const [accept, want] of cases) {
    it(`Accept: ${accept === undefined ? '(none)' : JSON.stringify(accept)} -> ${want}`, async () => {
      const index = negotiate(accept, PNG_JSON);
      expect(index === -1 ? 406 : (['png', 'json'] as const)[index]).toBe(want);
      const res = await get('/v1/generate?seed=1', accept === undefined ? {} : { headers: { Accept: accept } });
      if (want === 406) {
        expect(res.status).toBe(406);
        const error = await errorOf(res);
        expect(error.code).toBe('not_acceptable');
        expect(error.message).toContain('image/png, application/json');
      } else {
        expect(res.status).toBe(200);
        expect(res.headers.get('Content-Type')).toMatch(want === 'png' ? /^image\/png$/ : /^application\/json/);
      }
    });
  }

  it('parses q-values and drops malformed ranges', () => {
    expect(parseAccept('a/b;q=0.5, c/d, e/f;q=0.123;ext=1, bad, x/y;q=0.1234')).toEqual([
      { type: 'a', subtype: 'b', params: {}, q: 0.5 },
      { type: 'c', subtype: 'd', params: {}, q: 1 },
      { type: 'e', subtype: 'f', params: {}, q: 0.123 },
    ]);
  });

  it('format= wins over any Accept, even one that excludes it', async () => {
    const res = await get('/v1/generate?seed=1&format=json', { headers: { Accept: 'image/webp' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^application\/json/);
  });

  it('the JSON-only routes refuse what they cannot produce; /health answers monitors whatever they accept', async () => {
    expect((await get('/v1/models', { headers: { Accept: 'image/png' } })).status).toBe(406);
    expect((await get('/openapi.json', { headers: { Accept: 'text/html' } })).status).toBe(406);
    expect((await get('/health', { headers: { Accept: 'text/plain' } })).status).toBe(200);
  });
});

describe('strict parameters', () => {
  it('suggests the known name nearest to a typo', () => {
    expect(nearest('sead', ['n', 'seed', 'format'])).toBe('seed');
    expect(nearest('N', ['n', 'seed'])).toBe('n');
    expect(nearest('fromat', ['format'])).toBe('format');
    expect(nearest('digit', ['digit_from', 'digit_to'])).toBeUndefined();
    expect(nearest('zzzz', ['n', 'seed'])).toBeUndefined();
  });

  const unknown: [string, string, string][] = [
    ['/v1/generate?sead=1', 'sead', 'unknown query parameter "sead" (did you mean "seed"?); this endpoint takes n, seed, format, scale, v, dataset'],
    ['/v1/generate?N=64', 'N', 'unknown query parameter "N" (did you mean "n"?); this endpoint takes n, seed, format, scale, v, dataset'],
    ['/v1/digits/3?seed=1&digit=4', 'digit', 'unknown query parameter "digit"; this endpoint takes n, seed, format, scale, v, dataset'],
    ['/v1/interpolate?from=1&to=2&step=4', 'step', 'unknown query parameter "step" (did you mean "steps"?); this endpoint takes from, to, steps, space, digit_from, digit_to, format, scale, v, dataset'],
    ['/v1/models?x=1&y', 'x', 'unknown query parameters "x", "y"; this endpoint takes no query parameters'],
  ];
  for (const [path, parameter, message] of unknown) {
    it(`${path} -> 400 unknown_parameter`, async () => {
      const res = await get(path);
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error).toMatchObject({ code: 'unknown_parameter', parameter });
      expect(error.message).toBe(message);
    });
  }

  it('cuts a long unknown name in the message', async () => {
    const error = await errorOf(await get(`/v1/generate?${'k'.repeat(70_000)}=1`));
    expect(error.message.length).toBeLessThan(300);
    expect(error.message).toContain('(70000 characters)');
  });

  it('a percent-encoded path is not the canonical one: 404 naming the plain path', async () => {
    const res = await get('/v1/digits/%33?seed=1');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).message).toBe('no route "/v1/digits/%33": paths are not percent-decoded; did you mean "/v1/digits/3"?');
  });

  it('/health and / tolerate cache-busting parameters', async () => {
    expect((await get('/health?t=123')).status).toBe(200);
    expect((await get('/?utm_source=x')).status).toBe(200);
  });
});

describe('versioned caching', () => {
  it('v pins the version: immutable when right, 404 naming the served version when the registry lacks it, 400 when malformed', async () => {
    const { body: health } = await json<{ model_version: string }>('/health');
    const version = health.model_version;
    const pinned = await get(`/v1/digits/2?seed=9&n=2&v=${version}`);
    expect(pinned.status).toBe(200);
    expect(pinned.headers.get('Cache-Control')).toBe('public, max-age=31536000, immutable');
    expect(pinned.headers.get('X-Model-Version')).toBe(version);
    expect(pinned.headers.get('X-Dataset')).toBe('mnist');

    const other = version === '000000000000' ? '111111111111' : '000000000000';
    const unknown = await get(`/v1/digits/2?seed=9&n=2&v=${other}`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('Cache-Control')).toBe('no-store');
    expect(await errorOf(unknown)).toEqual({
      code: 'unknown_version',
      parameter: 'v',
      message: `v=${other} is not a version of mnist; the served version is ${version} (see /v1/models)`,
    });
    const malformed = await get(`/v1/digits/2?seed=9&v=${version.toUpperCase()}`);
    expect(malformed.status).toBe(400);
    expect((await errorOf(malformed)).parameter).toBe('v');
  });

  it('dataset selects the model set: an unknown one is a 404 listing the datasets', async () => {
    const res = await get('/v1/generate?seed=1&dataset=cifar-10');
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({
      code: 'unknown_dataset',
      parameter: 'dataset',
      message: 'dataset "cifar-10" is not served; datasets: mnist, fashion-mnist',
    });
    const mnist = await get('/v1/generate?seed=1&dataset=mnist');
    const plain = await get('/v1/generate?seed=1');
    expect(new Uint8Array(await mnist.arrayBuffer())).toEqual(new Uint8Array(await plain.arrayBuffer()));
  });

  it('a random seed is never cacheable, pinned or not', async () => {
    const { body } = await json<{ model_version: string }>('/health');
    const res = await get(`/v1/generate?v=${body.model_version}`);
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('ETag')).toBeNull();
  });

  it('answers a matching If-None-Match with 304 and the cache headers, for either format', async () => {
    for (const path of ['/v1/interpolate?from=3&to=4&steps=3', '/v1/interpolate?from=3&to=4&steps=3&format=json']) {
      const first = await get(path);
      const etag = first.headers.get('ETag')!;
      const again = await get(path, { headers: { 'If-None-Match': `"other", ${etag}` } });
      expect(again.status, path).toBe(304);
      expect(again.headers.get('ETag')).toBe(etag);
      expect(again.headers.get('Cache-Control')).toBe('public, max-age=300');
      expect(again.headers.get('Vary')).toBe('Accept');
      expect(await again.text()).toBe('');
    }
  });

  it('equal bytes have equal ETags (defaults spelled out or not), different bytes different ones', async () => {
    const tag = async (path: string) => (await get(path)).headers.get('ETag');
    expect(await tag('/v1/generate?seed=4')).toBe(await tag('/v1/generate?seed=4&n=1&scale=1&format=png'));
    expect(await tag('/v1/generate?seed=4')).not.toBe(await tag('/v1/generate?seed=4&scale=2'));
    expect(await tag('/v1/generate?seed=4')).not.toBe(await tag('/v1/digits/4?seed=4'));
  });
});

describe('edges', () => {
  it('OPTIONS only on real routes', async () => {
    const preflight = { Origin: 'https://example.org', 'Access-Control-Request-Method': 'GET' };
    expect((await get('/nope', { method: 'OPTIONS', headers: preflight })).status).toBe(404);
    expect((await get('/v1/generate', { method: 'OPTIONS', headers: preflight })).status).toBe(204);
  });

  it('a preflight allows the headers the API reads, not whatever is asked', async () => {
    const res = await get('/v1/generate', {
      method: 'OPTIONS',
      headers: { Origin: 'https://example.org', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'x-evil, authorization' },
    });
    const allowed = (res.headers.get('Access-Control-Allow-Headers') ?? '').toLowerCase().split(/\s*,\s*/).sort();
    // Content-Type: the upload routes (POST with image/png, image/jpeg, multipart or JSON bodies)
    expect(allowed).toEqual(['accept', 'content-type', 'if-none-match']);
  });

  it('exposes Retry-After and the version headers to other origins', async () => {
    const res = await get('/v1/generate?seed=1', { headers: { Origin: 'https://example.org' } });
    const exposed = (res.headers.get('Access-Control-Expose-Headers') ?? '').toLowerCase();
    for (const name of ['retry-after', 'x-model-version', 'etag', 'x-seed']) expect(exposed).toContain(name);
  });

  it('/openapi.json names a relative server, whatever the Host header says', async () => {
    const { body } = await json<{ servers: { url: string }[] }>('/openapi.json', { headers: { Host: 'evil.example' } });
    expect(body.servers).toEqual([{ url: '/', description: 'the host serving this document' }]);
  });

  it('/ (public/, Workers Static Assets) has a CSP allowing only its own files, nosniff, no framing, and caching with an ETag', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('Content-Type')).toMatch(/^text\/html/);
    const csp = res.headers.get('Content-Security-Policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    expect(res.headers.get('X-Frame-Options')).toBe('DENY');
    expect(res.headers.get('Cache-Control')).toBe('public, max-age=300');
    const html = await res.text();
    // nothing inline for the CSP to allow: the script and the style are files
    expect(html).toContain('<script type="module" src="/app.js"></script>');
    expect(html.match(/<script\b[^>]*>[^<]+<\/script>/)).toBeNull();
    expect(html).not.toMatch(/<style\b/i);
    const etag = res.headers.get('ETag');
    expect(etag).toBeTruthy();
    const again = await get('/', { headers: { 'If-None-Match': etag! } });
    expect(again.status).toBe(304);
  });

  it('every API response says nosniff', async () => {
    for (const path of ['/v1/generate?seed=1', '/health', '/nope', '/v1/generate?n=0']) {
      expect((await get(path)).headers.get('X-Content-Type-Options'), path).toBe('nosniff');
    }
  });
});
