/**
 * Strict URLs: a request either uses the API's own spelling or is told what is wrong. A typo like
 * `?sead=1` would otherwise be ignored and answered with a random seed (reproducibility silently lost),
 * and `?seed=%37` or `/v1/digits/%33` would return the canonical bytes under another URL (one more cache
 * key for the same thing). This middleware reads the raw URL, before any decoding:
 * - unknown query parameters -> 400 unknown_parameter naming them, with the nearest known name;
 * - integer parameters whose raw value is not plain digits (percent-encoded, `+`) -> 400 invalid_parameter;
 * - a percent-encoded path -> 404 naming the plain path.
 * Value ranges and leading zeros are checked by the parameter schemas (params.ts).
 */
import type { MiddlewareHandler } from 'hono';
import { errorResponse, quote } from './errors';

export interface QueryRules {
  /** the query parameters the route takes */
  allowed: readonly string[];
  /** those whose values are integers */
  integers?: readonly string[];
  /** the methods these rules are for, when a path takes several with different parameters (GET and POST /v1/interpolate) */
  methods?: readonly string[];
}

function decode(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return raw;
  }
}

/** Edit distance, for suggestions (names here are short). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known name a typo most likely meant: same letters in another case, or within 2 edits. */
export function nearest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: { name: string; d: number } | undefined;
  for (const candidate of known) {
    const d = candidate === lower ? 0 : distance(lower, candidate);
    if (d <= Math.min(2, Math.max(1, candidate.length - 1)) && (!best || d < best.d)) best = { name: candidate, d };
  }
  return best?.name;
}

/** The raw `key=value` pairs of a URL's query, keys decoded, values as sent. */
function rawPairs(url: string): { key: string; raw: string }[] {
  const q = url.indexOf('?');
  if (q < 0) return [];
  return url
    .slice(q + 1)
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? { key: decode(part), raw: '' } : { key: decode(part.slice(0, eq)), raw: part.slice(eq + 1) };
    });
}

/** The 4xx for a URL that breaks the rules, or null. Exported for routes that are not Hono handlers. */
export function strictUrlProblem(url: string, rules: QueryRules): Response | null {
  const rawPath = new URL(url).pathname;
  if (rawPath.includes('%')) {
    const plain = decode(rawPath);
    return errorResponse(404, 'not_found', `no route ${quote(rawPath)}: paths are not percent-decoded; did you mean ${quote(plain)}?`);
  }
  const pairs = rawPairs(url);
  const unknown = [...new Set(pairs.map((p) => p.key).filter((key) => !rules.allowed.includes(key)))];
  if (unknown.length) {
    const described = unknown.slice(0, 5).map((key) => {
      const guess = nearest(key, rules.allowed);
      return guess ? `${quote(key)} (did you mean "${guess}"?)` : quote(key);
    });
    const more = unknown.length > 5 ? ` and ${unknown.length - 5} more` : '';
    const message =
      `unknown query parameter${unknown.length > 1 ? 's' : ''} ${described.join(', ')}${more}; ` +
      (rules.allowed.length ? `this endpoint takes ${rules.allowed.join(', ')}` : 'this endpoint takes no query parameters');
    return errorResponse(400, 'unknown_parameter', message, { parameter: unknown[0].slice(0, 64) });
  }
  for (const { key, raw } of pairs) {
    if (rules.integers?.includes(key) && /[%+]/.test(raw)) {
      return errorResponse(
        400,
        'invalid_parameter',
        `${key} must be written as plain digits (no percent-encoding or "+"), got ${quote(raw)}`,
        { parameter: key },
      );
    }
  }
  return null;
}

/** Hono middleware form of `strictUrlProblem`, for one route. */
export function strictQuery(rules: QueryRules): MiddlewareHandler {
  return async (c, next) => {
    if (rules.methods && !rules.methods.includes(c.req.method)) return next();
    const problem = strictUrlProblem(c.req.url, rules);
    if (problem) return problem;
    await next();
  };
}
