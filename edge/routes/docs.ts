/**
 * Pieces of /openapi.json shared by the routes: the response headers the API sends and the error
 * responses, each described once so every operation documents the same thing the same way.
 * Every route documents its errors with `errorResponses([...])`.
 */
import { DATASET_IDS } from '../../core/manifest';
import { errorBodySchema, type ErrorStatus } from './errors';

const string = { type: 'string' as const };

export const HEADERS = {
  modelVersion: { schema: { ...string, pattern: '^[0-9a-f]{12}$' }, description: 'the model version that produced the bytes (pin it with `v`)' },
  dataset: { schema: { ...string, enum: DATASET_IDS }, description: 'the dataset of the model set that produced the response' },
  cacheControl: {
    schema: string,
    description:
      '"public, max-age=31536000, immutable" when every seed and `v` are given; "public, max-age=300" when every ' +
      'seed is given without `v` (revalidate with the ETag after that); "no-store" when a seed was drawn at random',
  },
  etag: {
    schema: string,
    description: 'seeded requests only: "<model version>-<16 hex digits>" (the digits cover the request, the dataset and the runtime and encoders)',
  },
  vary: { schema: string, description: '"Accept": without `format`, the body depends on Accept' },
  contentLength: { schema: { type: 'integer' as const, minimum: 0 }, description: 'body length in bytes; HEAD sends the same value' },
  retryAfter: { schema: { type: 'integer' as const, minimum: 1 }, description: 'seconds to wait before retrying' },
  allow: { schema: string, description: 'the methods the path accepts' },
  rateLimit: { schema: string, description: 'which limit was hit, e.g. "600 requests per 60 s per client"' },
} as const;

/** Headers of every generated-image response (200 and 304). */
export const IMAGE_HEADERS = {
  'X-Model-Version': HEADERS.modelVersion,
  'X-Dataset': HEADERS.dataset,
  'Cache-Control': HEADERS.cacheControl,
  ETag: HEADERS.etag,
  Vary: HEADERS.vary,
} as const;

const ERRORS: Record<ErrorStatus, { description: string; headers?: Record<string, unknown> }> = {
  400: {
    description:
      'invalid_parameter or unknown_parameter: the message names the parameter, the value and what is allowed; for ' +
      'uploads also invalid_image (empty, truncated, corrupt, or not the declared format), image_too_large (over ' +
      '1024x1024 pixels by its header) and no_ink (a blank picture); model_missing: the dataset\'s model set lacks a model ' +
      'the operation needs',
  },
  404: { description: 'not_found; unknown_dataset (the message lists the datasets); unknown_version: `v` is not a version of the dataset (the message names the served one)' },
  405: { description: 'method_not_allowed', headers: { Allow: HEADERS.allow } },
  406: { description: 'not_acceptable: nothing in Accept can be produced (use `format`, or accept image/png or application/json)' },
  410: { description: 'version_deleted: `v` was a version of the dataset and has been deleted from the registry' },
  413: { description: 'image_too_large: the upload body is over its limit, refused before it is read' },
  415: { description: 'unsupported_media_type: Content-Type is missing or not one the operation takes' },
  429: { description: 'rate_limited: too many requests from this client', headers: { 'Retry-After': HEADERS.retryAfter } },
  500: { description: 'internal_error: the request was valid but the server failed' },
  503: {
    description:
      'overloaded (too much model work queued) or models_unavailable (this version\'s models failed to load: a file missing ' +
      'from the registry or not matching its sha256; other versions keep serving)',
    headers: { 'Retry-After': HEADERS.retryAfter },
  },
};

/** OpenAPI responses for the given error statuses, all with the Error body. */
export function errorResponses<const S extends ErrorStatus>(statuses: readonly S[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      {
        description: ERRORS[status].description,
        headers: { 'Cache-Control': { schema: string, description: '"no-store"' }, ...ERRORS[status].headers },
        content: { 'application/json': { schema: errorBodySchema } },
      },
    ]),
  ) as unknown as Record<S, { description: string; content: { 'application/json': { schema: typeof errorBodySchema } } }>;
}
