/**
 * Per-client rate limiting with Cloudflare's Workers Rate Limiting binding (`ratelimits` in
 * wrangler.jsonc; it runs locally under wrangler dev and in the test pool too). The key is the client's
 * IP (CF-Connecting-IP, set by Cloudflare's edge; local requests without it share one key). Past the
 * limit: 429 rate_limited with Retry-After. The binding counts per Cloudflare location and per period
 * (10 or 60 s), so this is a guard against floods, not exact accounting.
 *
 * Without the binding (the app called directly, as some tests and the bench do) nothing is limited, nor
 * with the var RATE_LIMIT=off: the served test suite starts `wrangler dev --var RATE_LIMIT:off`, because
 * it sends more than one client's minute of requests from one address (test/worker/rate-limit.test.ts
 * tests the limit itself through the binding).
 */
import type { MiddlewareHandler } from 'hono';
import { errorResponse } from './errors';

/** The binding's runtime interface (@cloudflare/workers-types `RateLimit`). */
export interface RateLimitBinding {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface RateLimitEnv {
  /** requests per period per client; keep in step with wrangler.jsonc */
  RATE_LIMITER?: RateLimitBinding;
  /** "off" disables the limit (local test servers only; never set in wrangler.jsonc) */
  RATE_LIMIT?: string;
}

/** Must match `simple` of the RATE_LIMITER binding in wrangler.jsonc (tests check both). */
export const RATE_LIMIT = { limit: 600, periodSeconds: 60 } as const;

/** The client a request counts against. */
export function clientKey(request: Request): string {
  return request.headers.get('CF-Connecting-IP') ?? 'local';
}

/** Paths never limited: monitors poll /health, and it must answer while the limit is hit. */
const EXEMPT = new Set(['/health']);

export function rateLimit(): MiddlewareHandler<{ Bindings: RateLimitEnv }> {
  return async (c, next) => {
    const limiter = c.env?.RATE_LIMITER;
    if (!limiter || c.env.RATE_LIMIT === 'off' || EXEMPT.has(c.req.path) || c.req.method === 'OPTIONS') return next();
    const { success } = await limiter.limit({ key: clientKey(c.req.raw) });
    if (success) return next();
    return errorResponse(
      429,
      'rate_limited',
      `too many requests: the limit is ${RATE_LIMIT.limit} per ${RATE_LIMIT.periodSeconds} s per client; retry later`,
      { headers: { 'Retry-After': String(RATE_LIMIT.periodSeconds) } },
    );
  };
}
