// The part of the pool's `cloudflare:test` module these tests use (its own typings need @cloudflare/workers-types).
declare module 'cloudflare:test' {
  /** The worker under test (wrangler.jsonc `main`), running in the same workerd as the tests. */
  export const SELF: { fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> };
}
declare module 'cloudflare:test' {
  /** The bindings of wrangler.jsonc, as the worker sees them (here: the RATE_LIMITER binding). */
  export const env: Record<string, unknown>;
}
