/**
 * The one error shape of the API: `{"error": {"code": "...", "message": "..."}}`, JSON for every failure,
 * never an HTML page or a stack trace. Messages quote what the client sent through `quote`, which cuts
 * long values so a 64 KB parameter cannot produce a 64 KB error.
 */
import { z } from '@hono/zod-openapi';
import { JSON_CONTENT_TYPE } from './negotiate';

export const ERROR_CODES = [
  'invalid_parameter',
  'unknown_parameter',
  'invalid_image',
  'no_ink',
  'image_too_large',
  'unsupported_media_type',
  'unknown_dataset',
  'unknown_version',
  'version_deleted',
  'model_missing',
  'not_acceptable',
  'not_found',
  'method_not_allowed',
  'rate_limited',
  'overloaded',
  'models_unavailable',
  'internal_error',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorStatus = 400 | 404 | 405 | 406 | 410 | 413 | 415 | 429 | 500 | 503;

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).openapi({
        example: 'invalid_parameter',
        description:
          'invalid_parameter, unknown_parameter, invalid_image, no_ink, model_missing (400); not_found, unknown_dataset, ' +
          'unknown_version (404); method_not_allowed (405); not_acceptable (406); version_deleted (410); ' +
          'image_too_large (413); unsupported_media_type (415); ' +
          'rate_limited (429); internal_error (500); overloaded, models_unavailable (503)',
      }),
      message: z.string().openapi({ example: 'n must be an integer 1..64, got "abc"' }),
      parameter: z.string().optional().openapi({
        description: 'the offending parameter, for invalid_parameter, unknown_parameter, unknown_dataset, unknown_version and version_deleted',
      }),
    }),
  })
  .openapi('Error');

/** Longest part of a client's value quoted back in a message. */
const QUOTE_LIMIT = 64;

/** A client-supplied value for a message: JSON-quoted, cut to QUOTE_LIMIT characters with its length noted. */
export function quote(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `[${value.slice(0, 4).map(quote).join(',')}${value.length > 4 ? ',…' : ''}]`;
  const text = String(value);
  if (text.length <= QUOTE_LIMIT) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, QUOTE_LIMIT))}… (${text.length} characters)`;
}

export function errorBody(code: ErrorCode, message: string, parameter?: string) {
  return { error: { code, message, ...(parameter ? { parameter } : {}) } };
}

export function errorResponse(
  status: ErrorStatus,
  code: ErrorCode,
  message: string,
  extra: { parameter?: string; headers?: Record<string, string> } = {},
): Response {
  const body = new TextEncoder().encode(JSON.stringify(errorBody(code, message, extra.parameter)));
  return new Response(body, {
    status,
    headers: {
      'Content-Type': JSON_CONTENT_TYPE,
      'Content-Length': String(body.length),
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      ...extra.headers,
    },
  });
}

/** Validation failures from the request schemas -> 400 naming each bad parameter. */
export function invalidParameters(issues: readonly { path: PropertyKey[]; message: string }[]): Response {
  const parameter = issues.map((i) => String(i.path[0] ?? '')).find(Boolean);
  const message = issues.map((i) => i.message).join('; ');
  return errorResponse(400, 'invalid_parameter', message, { parameter });
}
