/**
 * edge/routes/rate-limit.ts with a counting stand-in for the Workers Rate Limiting binding (the binding is the
 * collaborator; test/worker/rate-limit.test.ts runs the real one in workerd): which requests are counted,
 * under which key, and the 429 past the limit.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientKey, rateLimit, RATE_LIMIT, type RateLimitBinding, type RateLimitEnv } from '../../../edge/routes/rate-limit';

/** Lets `allowed` requests per key through, recording every key asked about. */
function countingLimiter(allowed: number): RateLimitBinding & { keys: string[] } {
  const counts = new Map<string, number>();
  const keys: string[] = [];
  return {
    keys,
    async limit({ key }) {
      keys.push(key);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      return { success: counts.get(key)! <= allowed };
    },
  };
}

function limitedApp() {
  const app = new Hono<{ Bindings: RateLimitEnv }>();
  app.use('*', rateLimit());
  app.all('*', (c) => c.text('ok'));
  return app;
}

const ORIGIN = 'https://latent-digits.test';

describe('clientKey', () => {
  it('is CF-Connecting-IP, or "local" without it', () => {
    expect(clientKey(new Request(ORIGIN, { headers: { 'CF-Connecting-IP': '203.0.113.7' } }))).toBe('203.0.113.7');
    expect(clientKey(new Request(ORIGIN))).toBe('local');
  });
});

describe('rateLimit', () => {
  it('is 600 requests per 60 s, as in wrangler.jsonc', () => {
    expect(RATE_LIMIT).toEqual({ limit: 600, periodSeconds: 60 });
  });

  it('asks the binding under the client key and answers 429 JSON with Retry-After once it refuses', async () => {
    const app = limitedApp();
    const limiter = countingLimiter(2);
    const env = { RATE_LIMITER: limiter };
    const from = (ip: string) => app.request(`${ORIGIN}/v1/generate?seed=1`, { headers: { 'CF-Connecting-IP': ip } }, env);
    expect(await (await from('203.0.113.7')).text()).toBe('ok');
    expect(await (await from('203.0.113.7')).text()).toBe('ok');
    const limited = await from('203.0.113.7');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('Retry-After')).toBe('60');
    expect(limited.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    expect(await limited.json()).toEqual({
      error: { code: 'rate_limited', message: 'too many requests: the limit is 600 per 60 s per client; retry later' },
    });
    // another client has its own count
    expect((await from('203.0.113.8')).status).toBe(200);
    expect(limiter.keys).toEqual(['203.0.113.7', '203.0.113.7', '203.0.113.7', '203.0.113.8']);
  });

  it('never counts /health or preflights', async () => {
    const app = limitedApp();
    const limiter = countingLimiter(0);
    const env = { RATE_LIMITER: limiter };
    expect((await app.request(`${ORIGIN}/health`, {}, env)).status).toBe(200);
    expect((await app.request(`${ORIGIN}/v1/generate`, { method: 'OPTIONS' }, env)).status).toBe(200);
    expect(limiter.keys).toEqual([]);
    // but /health/x and other methods on /health are ordinary paths and requests
    expect((await app.request(`${ORIGIN}/health/x`, {}, env)).status).toBe(429);
    expect((await app.request(`${ORIGIN}/v1/generate`, { method: 'POST' }, env)).status).toBe(429);
  });

  it('is off without the binding, and with RATE_LIMIT=off; any other value keeps it on', async () => {
    const app = limitedApp();
    expect((await app.request(`${ORIGIN}/v1/generate`)).status).toBe(200);
    expect((await app.request(`${ORIGIN}/v1/generate`, {}, {})).status).toBe(200);
    const limiter = countingLimiter(0);
    expect((await app.request(`${ORIGIN}/v1/generate`, {}, { RATE_LIMITER: limiter, RATE_LIMIT: 'off' })).status).toBe(200);
    expect(limiter.keys).toEqual([]);
    expect((await app.request(`${ORIGIN}/v1/generate`, {}, { RATE_LIMITER: limiter, RATE_LIMIT: 'on' })).status).toBe(429);
  });
});
