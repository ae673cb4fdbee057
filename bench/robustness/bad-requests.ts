/**
 * Careless and hostile requests for the API, drawn deterministically from a seed (core/rng), and the
 * rules every response must keep: never a 5xx, every 4xx is the JSON error shape, and the service
 * still answers a normal request with the right bytes afterwards. Used by test/robustness (inside
 * workerd) and by `npm run bench` (over HTTP, against wrangler dev and the Node baseline).
 */
import { Rng } from '../../core/rng';

export interface BadRequest {
  method: string;
  /** path and query, as sent (may be deliberately malformed) */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** which generator produced it, for reports */
  kind: string;
}

const METHODS = ['GET', 'GET', 'GET', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'DELETE', 'PATCH', 'PROPFIND'];
const ROUTES = ['/v1/generate', '/v1/digits/3', '/v1/interpolate', '/v1/models', '/health', '/openapi.json', '/'];
const PARAMS = ['n', 'seed', 'scale', 'format', 'steps', 'from', 'to', 'space', 'digit_from', 'digit_to'];

/** Values that are wrong in some way for some parameter (and a few valid ones, so mixes get through). */
const NASTY_VALUES = [
  '', ' ', '-1', '-0', '0', '1', '64', '65', '1.5', '1.0', '1e1', '1E3', '0x10', '0b1', '0o7', '+1', '01', ' 1', '1 ',
  'NaN', 'Infinity', '-Infinity', 'null', 'undefined', 'true', '[]', '{}', '4294967295', '4294967296',
  '99999999999999999999999', '9007199254740993', '-9007199254740993', '１', '٣', '𝟙', 'é', '%00', '%E2%80%AE1',
  '%FF', '%', '%2', '%zz', '%25', '1%00', "1'--", '<script>alert(1)</script>', '${n}', '../../etc/passwd',
  'png', 'json', 'jpeg', 'PNG', 'noise', 'latent', 'Latent', '\u0000', '\uFFFF', '\uD800',
];

const ODD_PATHS = [
  '/v1/digits/10', '/v1/digits/-1', '/v1/digits/３', '/v1/digits/', '/v1/digits', '/v1/digits/3/extra', '/v1/digits/1e0',
  '/v1/digits/%33', '/v1/digits/%', '/v1/digits/%E0%A4%A', '/v1//generate', '/v1/generate/', '/V1/GENERATE', '/v2/generate',
  '/../etc/passwd', '/v1/%2e%2e/generate', '/%', '/%%', '/?', '//', '/v1/generate;n=3', '/v1/generate%3Fn%3D3',
  '/openapi.json/', '/favicon.ico', '/v1/models/generator', '/health/x', '/.env', '/__bench/work', '/v1/digits/0x3',
];

const HEADER_CHOICES: [string, (rng: Rng) => string][] = [
  ['Accept', () => 'application/json'],
  ['Accept', () => 'application/json;q=0, image/png'],
  ['Accept', () => '*/*;q=abc, application/json;;;q=0.0'],
  ['Accept', (rng) => 'application/' + 'x'.repeat(1 + rng.int(4000))],
  ['If-None-Match', () => '*'],
  ['If-None-Match', (rng) => Array.from({ length: 1 + rng.int(200) }, (_, i) => `"tag-${i}"`).join(', ')],
  ['Range', () => 'bytes=0-10'],
  ['Content-Type', () => 'application/json'],
  ['X-Junk', (rng) => 'j'.repeat(1 + rng.int(6000))],
  ['Origin', () => 'https://evil.example'],
  ['Access-Control-Request-Method', () => 'DELETE'],
];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(items.length)];
}

function longValue(rng: Rng): string {
  const unit = pick(rng, ['9', 'a', '%20', '１', '-']);
  return unit.repeat(100 + rng.int(3000));
}

function queryOf(rng: Rng): { query: string; kind: string } {
  const parts: string[] = [];
  const kinds = new Set<string>();
  const count = rng.int(5);
  for (let i = 0; i < count; i++) {
    const roll = rng.uniform();
    const key = roll < 0.1 ? pick(rng, ['x', 'N', 'n ', 'seed[]', '', 'n%00', '__proto__', 'constructor']) : pick(rng, PARAMS);
    if (roll < 0.1) kinds.add('unknown-key');
    let value: string;
    if (roll > 0.92) {
      value = longValue(rng);
      kinds.add('long-value');
    } else {
      value = pick(rng, NASTY_VALUES);
      kinds.add('nasty-value');
    }
    // raw values go in as-is half the time (so malformed escapes reach the server), encoded otherwise
    const encoded = rng.uniform() < 0.5 ? value : encodeURIComponent(value.replace(/[\uD800-\uDFFF]/g, '?'));
    parts.push(rng.uniform() < 0.05 ? key : `${key}=${encoded}`);
    if (rng.uniform() < 0.15) {
      parts.push(`${key}=${pick(rng, NASTY_VALUES)}`);
      kinds.add('repeated-key');
    }
  }
  return { query: parts.length ? `?${parts.join('&')}` : rng.uniform() < 0.3 ? '?' : '', kind: [...kinds].join('+') || 'no-query' };
}

/** Non-ASCII, control and lone-surrogate characters cannot go on the wire raw; percent-encode what fetch would reject. */
function wireSafe(path: string): string {
  return path.replace(/[^\x21-\x7e]/g, (ch) => (/[\uD800-\uDFFF]/.test(ch) ? '%3F' : encodeURIComponent(ch)));
}

/** Request i of the stream for `seed`. The same (seed, i) always gives the same request. */
export function badRequest(seed: number, i: number): BadRequest {
  const rng = new Rng((seed * 1_000_003 + i) >>> 0);
  const roll = rng.uniform();
  const method = roll < 0.75 ? 'GET' : pick(rng, METHODS);
  const headers: Record<string, string> = {};
  const kinds: string[] = [];
  let path: string;
  if (rng.uniform() < 0.2) {
    path = pick(rng, ODD_PATHS);
    kinds.push('odd-path');
  } else if (rng.uniform() < 0.03) {
    path = '/v1/generate/' + 'a'.repeat(1000 + rng.int(6000));
    kinds.push('long-path');
  } else {
    path = pick(rng, ROUTES);
  }
  const q = queryOf(rng);
  path += q.query;
  kinds.push(q.kind);
  if (method !== 'GET') kinds.push('method');
  const headerCount = rng.uniform() < 0.3 ? 1 + rng.int(3) : 0;
  for (let h = 0; h < headerCount; h++) {
    const [name, make] = pick(rng, HEADER_CHOICES);
    headers[name] = make(rng);
  }
  if (headerCount) kinds.push('headers');
  const body = method === 'POST' || method === 'PUT' || method === 'PATCH' ? '{"n": 1e9, "seed": "x"}' : undefined;
  return { method, path: wireSafe(path), headers, body, kind: kinds.join(' ') };
}

export interface ResponseCheck {
  ok: boolean;
  /** why not ok: the rule that broke */
  problem?: string;
}

/** What a response to any request must satisfy. `body` is the response text (HEAD: empty). */
export function checkResponse(method: string, status: number, contentType: string | null, body: string): ResponseCheck {
  if (status >= 500) return { ok: false, problem: `status ${status}: ${body.slice(0, 200)}` };
  if (status >= 400 && method !== 'HEAD') {
    if (!contentType?.startsWith('application/json')) return { ok: false, problem: `${status} with content-type ${contentType}` };
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return { ok: false, problem: `${status} body is not JSON: ${body.slice(0, 200)}` };
    }
    const error = (parsed as { error?: { code?: unknown; message?: unknown } }).error;
    if (typeof error?.code !== 'string' || typeof error.message !== 'string' || !error.message) {
      return { ok: false, problem: `${status} body lacks {error: {code, message}}: ${body.slice(0, 200)}` };
    }
    if (Object.keys(parsed as object).length !== 1) return { ok: false, problem: `${status} body has extra fields` };
    // client values are quoted cut short: no error grows with the request
    if (body.length > 2048) return { ok: false, problem: `${status} body is ${body.length} bytes (echoes the request?)` };
  }
  return { ok: true };
}

const IMAGE_PATH = /^\/v1\/(generate|digits\/[0-9]|interpolate)(\?|$)/;
const CACHE_POLICIES = ['no-store', 'public, max-age=300', 'public, max-age=31536000, immutable'];

/**
 * The headers every response must carry, 2xx included: the content type the body has, Content-Length
 * equal to the body (HEAD: to GET's body, so only checked for presence), nosniff, a known cache policy,
 * the model version on generated images, Allow on 405, Retry-After on 429 and 503, no caching of errors.
 * `bodyLength` is the bytes received (null for HEAD).
 */
export function checkHeaders(method: string, path: string, status: number, headers: Headers, bodyLength: number | null): ResponseCheck {
  const fail = (problem: string): ResponseCheck => ({ ok: false, problem: `${status}: ${problem}` });
  const get = (name: string) => headers.get(name);
  if (get('X-Content-Type-Options') !== 'nosniff') return fail('no X-Content-Type-Options: nosniff');
  if (status >= 400) {
    if (get('Cache-Control') !== 'no-store') return fail(`error with Cache-Control ${get('Cache-Control')}`);
    if (status === 405 && !get('Allow')) return fail('405 without Allow');
    if ((status === 429 || status === 503) && !/^[1-9][0-9]*$/.test(get('Retry-After') ?? '')) return fail(`no Retry-After`);
  }
  if (status === 304 && !get('ETag')) return fail('304 without ETag');
  if (status >= 200 && status < 300 && method !== 'OPTIONS') {
    if (!get('Content-Type')) return fail('2xx without Content-Type');
    const length = get('Content-Length');
    // The runtime may re-frame a body on the wire (gzip when asked; chunked, e.g. when a Range header came):
    // then the length is the transport's business. The worker itself always sets it (test/robustness).
    if (length === null && !get('Content-Encoding') && !get('Transfer-Encoding')) return fail('2xx without Content-Length');
    if (length !== null && bodyLength !== null && !get('Content-Encoding') && Number(length) !== bodyLength) return fail(`Content-Length ${length} but ${bodyLength} bytes`);
    if (IMAGE_PATH.test(path)) {
      if (!/^(image\/png|application\/json; charset=utf-8)$/.test(get('Content-Type')!)) return fail(`image route sent ${get('Content-Type')}`);
      if (!/^[0-9a-f]{12}$/.test(get('X-Model-Version') ?? '')) return fail(`X-Model-Version ${get('X-Model-Version')}`);
      if (!CACHE_POLICIES.includes(get('Cache-Control') ?? '')) return fail(`Cache-Control ${get('Cache-Control')}`);
      if (get('Cache-Control') !== 'no-store' && !get('ETag')) return fail('cacheable image without ETag');
      if (get('Vary') !== 'Accept') return fail(`Vary ${get('Vary')}`);
    }
  }
  return { ok: true };
}

/** A request anyone would make, whose bytes are fixed for its seed. */
export const CANARY_PATH = '/v1/generate?seed=20240917&n=4';
