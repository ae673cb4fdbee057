/**
 * Hostile and careless requests against the deployed worker entry (edge/index.ts) inside workerd, a
 * shortened version of the 5,000-request run in `npm run bench`: no 5xx, every 4xx is the JSON error
 * shape, every response (2xx too) carries the headers it must (checkHeaders), and a normal request keeps
 * returning the same bytes for its seed throughout. test/served/robustness-http.test.ts sends the same
 * stream over HTTP.
 *
 * The requests go to the worker's own fetch handler rather than SELF.fetch: through SELF every request
 * costs more than the last (about 18 ms for the 100th /health, 200 ms for the 700th, measured with
 * vitest-pool-workers 0.15.1), while the handler called directly stays flat, and over HTTP (wrangler
 * dev, `npm run bench`) so does the worker.
 */
import { describe, expect, it } from 'vitest';
import { CANARY_PATH, badRequest, checkHeaders, checkResponse } from '../../bench/robustness/bad-requests';
import worker from '../../edge/index';

const ORIGIN = 'https://latent-digits.test';
const COUNT = 2000;
const SEED = 5;

async function send(i: number) {
  const req = badRequest(SEED, i);
  const res = await worker.fetch(new Request(ORIGIN + req.path, { method: req.method, headers: req.headers, body: req.body }));
  // PNG bodies are read as bytes (they are checked only for status); text only where an error is expected
  const bytes = await res.arrayBuffer();
  const body = res.headers.get('Content-Type')?.startsWith('image/') ? '' : new TextDecoder().decode(bytes);
  const shape = checkResponse(req.method, res.status, res.headers.get('Content-Type'), body);
  const headers = checkHeaders(req.method, req.path, res.status, res.headers, req.method === 'HEAD' ? null : bytes.byteLength);
  return { req, res, body, check: shape.ok ? headers : shape };
}

async function canaryBytes(): Promise<Uint8Array> {
  const res = await worker.fetch(new Request(ORIGIN + CANARY_PATH));
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

describe('bad input', () => {
  it('the generator is deterministic and covers every kind of bad input', () => {
    expect(badRequest(SEED, 17)).toEqual(badRequest(SEED, 17));
    const kinds = Array.from({ length: COUNT }, (_, i) => badRequest(SEED, i).kind).join(' ');
    for (const kind of ['odd-path', 'long-path', 'unknown-key', 'long-value', 'nasty-value', 'repeated-key', 'method', 'headers']) {
      expect(kinds, kind).toContain(kind);
    }
  });

  it('the response rules reject what they should', () => {
    expect(checkResponse('GET', 500, 'application/json', '{"error":{"code":"x","message":"y"}}').ok).toBe(false);
    expect(checkResponse('GET', 400, 'text/html', '<h1>bad</h1>').ok).toBe(false);
    expect(checkResponse('GET', 404, 'application/json', '{"message":"y"}').ok).toBe(false);
    expect(checkResponse('GET', 400, 'application/json', '{"error":{"code":"invalid_parameter","message":"n must be"}}').ok).toBe(true);
    expect(checkResponse('HEAD', 405, null, '').ok).toBe(true);
    expect(checkResponse('GET', 400, 'application/json', JSON.stringify({ error: { code: 'x', message: 'y'.repeat(3000) } })).ok).toBe(false);
    const ok = { 'X-Content-Type-Options': 'nosniff', 'Content-Type': 'image/png', 'Content-Length': '3', 'X-Model-Version': '0123456789ab', 'Cache-Control': 'no-store', Vary: 'Accept' };
    expect(checkHeaders('GET', '/v1/generate', 200, new Headers(ok), 3).ok).toBe(true);
    expect(checkHeaders('GET', '/v1/generate', 200, new Headers({ ...ok, 'Content-Length': '4' }), 3).ok).toBe(false);
    expect(checkHeaders('GET', '/v1/generate', 200, new Headers({ ...ok, 'Cache-Control': 'max-age=9' }), 3).ok).toBe(false);
    expect(checkHeaders('GET', '/v1/generate?seed=1', 200, new Headers({ ...ok, 'Cache-Control': 'public, max-age=300' }), 3).ok).toBe(false); // no ETag
    expect(checkHeaders('GET', '/v1/generate', 503, new Headers({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' }), 3).ok).toBe(false);
  });

  it(`${COUNT} generated requests: no 5xx, JSON errors, and the seed's bytes unchanged`, { timeout: 120_000 }, async () => {
    const before = await canaryBytes();
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < COUNT; i++) {
      const { req, res, check } = await send(i);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      if (!check.ok) failures.push(`${req.method} ${req.path.slice(0, 120)} [${req.kind}]: ${check.problem}`);
      if (i % 100 === 99) expect(await canaryBytes(), `after request ${i}`).toEqual(before);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    // the stream must exercise both rejections and successes, or it tests nothing
    expect([...statuses.keys()].some((s) => s === 400)).toBe(true);
    expect([...statuses.keys()].some((s) => s === 200)).toBe(true);
    expect([...statuses.keys()].some((s) => s === 404 || s === 405)).toBe(true);
  });
});
