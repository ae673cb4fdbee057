/**
 * HTTP caching of generated images. Bytes are a pure function of (dataset, model version, the runtime and
 * encoders, the request's parameters, the chosen format), so:
 * - the ETag is computed from those, before any model work: a matching If-None-Match is answered 304
 *   without queueing behind inference;
 * - a URL that pins the version (`?v=<version>`) with every seed given can never change: `immutable`
 *   for a year;
 * - a seeded URL without `v` changes when the channel is promoted or rolled back: cached for
 *   `UNPINNED_MAX_AGE` seconds and then revalidated by ETag (which names the version), so a promote shows
 *   within minutes;
 * - a pinned version is served from the registry for as long as it is retained (edge/registry/: 404 for
 *   an unknown version, 410 for a deleted one), never other bytes under that URL;
 * - anything with a randomly drawn seed is `no-store`.
 */
export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const UNPINNED_MAX_AGE = 300;
export const UNPINNED = `public, max-age=${UNPINNED_MAX_AGE}`;
export const NO_STORE = 'no-store';

/** Cache-Control for a generated response. */
export function cacheControl({ seeded, pinned }: { seeded: boolean; pinned: boolean }): string {
  if (!seeded) return NO_STORE;
  return pinned ? IMMUTABLE : UNPINNED;
}

/**
 * Strong ETag `"<version>-<16 hex>"` of a representation, from the version and a canonical description
 * of the request (dataset, parameters with defaults applied, the format, the engine fingerprint), so equal
 * bytes get equal tags.
 */
export async function etagFor(version: string, canonicalRequest: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonicalRequest)));
  return `"${version}-${[...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('')}"`;
}

/** If-None-Match (RFC 9110 §13.1.2, weak comparison) against our ETag. */
export function ifNoneMatchHits(ifNoneMatch: string | null | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
