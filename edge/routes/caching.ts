/**
 * HTTP caching of generated images. Bytes are a pure function of (model version, the request's
 * parameters, the chosen format), so:
 * - the ETag is computed from those, before any model work: a matching If-None-Match is answered 304
 *   without queueing behind inference;
 * - a URL that pins the version (`?v=<version>`) with every seed given can never change: `immutable`
 *   for a year;
 * - a seeded URL without `v` changes when the models are redeployed: cached for `UNPINNED_MAX_AGE`
 *   seconds and then revalidated by ETag (which names the version), so a redeploy shows within minutes;
 * - a URL pinning another version gets 409 version_mismatch naming the served one (chosen over a
 *   redirect: the client asked for specific bytes, and silently serving other bytes under that URL
 *   would break the reproducibility the pin exists for);
 * - anything with a randomly drawn seed is `no-store`.
 */
import { errorResponse } from './errors';

export const IMMUTABLE = 'public, max-age=31536000, immutable';
export const UNPINNED_MAX_AGE = 300;
export const UNPINNED = `public, max-age=${UNPINNED_MAX_AGE}`;
export const NO_STORE = 'no-store';

/** Cache-Control for a generated response. */
export function cacheControl({ seeded, pinned }: { seeded: boolean; pinned: boolean }): string {
  if (!seeded) return NO_STORE;
  return pinned ? IMMUTABLE : UNPINNED;
}

/** 409 when the URL pins a version this worker does not serve; null when it pins none or the right one. */
export function versionMismatch(pinned: string | undefined, served: string): Response | null {
  if (pinned === undefined || pinned === served) return null;
  return errorResponse(
    409,
    'version_mismatch',
    `v=${pinned} is not the served model version ${served}; use v=${served} (new bytes) or drop v`,
    { parameter: 'v', headers: { 'X-Model-Version': served } },
  );
}

/**
 * Strong ETag `"<version>-<16 hex>"` of a representation, from the version and a canonical description
 * of the request (parameters with defaults applied, and the format), so equal bytes get equal tags.
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
