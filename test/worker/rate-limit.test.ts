/**
 * The per-client rate limit through the real Workers Rate Limiting binding of wrangler.jsonc (run by the
 * test pool's workerd), on the deployed worker entry. Requests go to the entry's fetch directly with the
 * pool's `env` (not SELF.fetch, which slows down with every request; see test/robustness).
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../edge/index';
import { RATE_LIMIT } from '../../edge/routes/rate-limit';

const ORIGIN = 'https://latent-digits.test';

function from(ip: string, path: string): Promise<Response> {
  return Promise.resolve(worker.fetch(new Request(ORIGIN + path, { headers: { 'CF-Connecting-IP': ip, Origin: 'https://example.org' } }), env));
}

/** The binding's window: it counts in fixed periods aligned to the clock (miniflare and Cloudflare alike). */
function windowNow(): number {
  return Math.floor(Date.now() / (RATE_LIMIT.periodSeconds * 1000));
}

/**
 * Spends one client's whole allowance and sends one more. A run that crosses a window boundary proves nothing
 * (the count restarts), so it is repeated once on a fresh key: the first run lasts well under a period, so
 * the second starts early in a window and ends in it.
 */
async function pastTheLimit(ips: string[]): Promise<{ ip: string; limited: Response }> {
  for (const ip of ips) {
    const window = windowNow();
    for (let i = 0; i < RATE_LIMIT.limit; i++) {
      const res = await from(ip, '/v1/models');
      if (res.status !== 200) throw new Error(`request ${i + 1} of ${RATE_LIMIT.limit}: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
    const limited = await from(ip, '/v1/generate?seed=1');
    if (windowNow() === window) return { ip, limited };
    await limited.arrayBuffer();
  }
  throw new Error(`every run crossed a ${RATE_LIMIT.periodSeconds} s window boundary`);
}

describe('rate limit', () => {
  it(`lets ${RATE_LIMIT.limit} requests a minute through per client, then answers 429 JSON with Retry-After`, { timeout: 240_000 }, async () => {
    const { ip, limited } = await pastTheLimit(['203.0.113.7', '203.0.113.9']);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('Retry-After')).toBe('60');
    expect(limited.headers.get('Access-Control-Expose-Headers')).toMatch(/Retry-After/);
    expect(limited.headers.get('Content-Type')).toMatch(/^application\/json/);
    expect(await limited.json()).toEqual({
      error: { code: 'rate_limited', message: 'too many requests: the limit is 600 per 60 s per client; retry later' },
    });

    // /health is never limited; other clients are not affected
    expect((await from(ip, '/health')).status).toBe(200);
    expect((await from('203.0.113.8', '/v1/models')).status).toBe(200);
  });
});
