/**
 * The one error shape of the API: `{"error": {"code": "...", "message": "..."}}`, JSON for every failure,
 * never an HTML page or a stack trace.
 */
import { z } from '@hono/zod-openapi';

export type ErrorCode =
  | 'invalid_parameter'
  | 'invalid_image'
  | 'image_too_large'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'no_ink'
  | 'not_found'
  | 'method_not_allowed'
  | 'models_unavailable'
  | 'internal_error';

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'invalid_parameter' }),
      message: z.string().openapi({ example: 'n must be an integer 1..64, got "abc"' }),
      parameter: z.string().optional().openapi({ description: 'the offending parameter, for invalid_parameter' }),
    }),
  })
  .openapi('Error');

export function errorBody(code: ErrorCode, message: string, parameter?: string) {
  return { error: { code, message, ...(parameter ? { parameter } : {}) } };
}

export function errorResponse(
  status: 400 | 404 | 405 | 413 | 415 | 500 | 503,
  code: ErrorCode,
  message: string,
  extra: { parameter?: string; headers?: Record<string, string> } = {},
): Response {
  return new Response(JSON.stringify(errorBody(code, message, extra.parameter)), {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', ...extra.headers },
  });
}

/** Validation failures from the request schemas -> 400 naming each bad parameter. */
export function invalidParameters(issues: readonly { path: PropertyKey[]; message: string }[]): Response {
  const parameter = issues.map((i) => String(i.path[0] ?? '')).find(Boolean);
  const message = issues.map((i) => i.message).join('; ');
  return errorResponse(400, 'invalid_parameter', message, { parameter });
}
