/** edge/routes/errors.ts: the one JSON error shape, its headers, and how client values are quoted back. */
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, errorBody, errorBodySchema, errorResponse, invalidParameters, quote } from '../../../edge/routes/errors';

describe('quote', () => {
  it('says "nothing" for undefined and JSON-quotes everything else as a string', () => {
    expect(quote(undefined)).toBe('nothing');
    expect(quote('abc')).toBe('"abc"');
    expect(quote('a"b\\c\n')).toBe('"a\\"b\\\\c\\n"');
    expect(quote(12)).toBe('"12"');
    expect(quote(null)).toBe('"null"');
    expect(quote('')).toBe('""');
  });

  it('keeps a value of exactly 64 characters whole and cuts one of 65 to 64, noting the length', () => {
    const v64 = 'x'.repeat(64);
    expect(quote(v64)).toBe(`"${v64}"`);
    expect(quote(v64 + 'y')).toBe(`"${v64}"… (65 characters)`);
    expect(quote('9'.repeat(5000))).toBe(`"${'9'.repeat(64)}"… (5000 characters)`);
  });

  it('quotes arrays element by element, the first four, with an ellipsis past four', () => {
    expect(quote([])).toBe('[]');
    expect(quote(['1', '2'])).toBe('["1","2"]');
    expect(quote(['1', '2', '3', '4'])).toBe('["1","2","3","4"]');
    expect(quote(['1', '2', '3', '4', '5'])).toBe('["1","2","3","4",…]');
    expect(quote([undefined, 'a'.repeat(65)])).toBe(`[nothing,"${'a'.repeat(64)}"… (65 characters)]`);
  });
});

describe('errorBody', () => {
  it('is {error: {code, message}} and adds parameter only when one is named', () => {
    expect(errorBody('not_found', 'no route')).toEqual({ error: { code: 'not_found', message: 'no route' } });
    expect(Object.keys(errorBody('not_found', 'm', '').error)).toEqual(['code', 'message']);
    expect(errorBody('invalid_parameter', 'm', 'n')).toEqual({ error: { code: 'invalid_parameter', message: 'm', parameter: 'n' } });
  });

  it('every code validates against the documented schema, and an unknown code does not', () => {
    for (const code of ERROR_CODES) expect(errorBodySchema.safeParse(errorBody(code, 'm')).success, code).toBe(true);
    expect(errorBodySchema.safeParse({ error: { code: 'teapot', message: 'm' } }).success).toBe(false);
  });
});

describe('errorResponse', () => {
  it('sends the status, the JSON body with its exact length, no-store and nosniff', async () => {
    const res = errorResponse(404, 'not_found', 'no route "/é"');
    expect(res.status).toBe(404);
    expect(res.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('Cache-Control')).toBe('no-store');
    expect(res.headers.get('X-Content-Type-Options')).toBe('nosniff');
    const bytes = new Uint8Array(await res.arrayBuffer());
    // é is two bytes in UTF-8: the length counts bytes, not characters
    const text = '{"error":{"code":"not_found","message":"no route \\"/é\\""}}';
    expect(new TextDecoder().decode(bytes)).toBe(text);
    expect(res.headers.get('Content-Length')).toBe(String(Buffer.byteLength(text, 'utf8')));
    expect(bytes.length).toBe(Buffer.byteLength(text, 'utf8'));
  });

  it('adds the parameter and extra headers, which may override the defaults', async () => {
    const res = errorResponse(429, 'rate_limited', 'slow down', { parameter: 'seed', headers: { 'Retry-After': '60', 'Cache-Control': 'private' } });
    expect(res.headers.get('Retry-After')).toBe('60');
    expect(res.headers.get('Cache-Control')).toBe('private');
    expect(await res.json()).toEqual({ error: { code: 'rate_limited', message: 'slow down', parameter: 'seed' } });
  });
});

describe('invalidParameters', () => {
  it('400 invalid_parameter joining every message, naming the first issue that has a path', async () => {
    const res = invalidParameters([
      { path: [], message: 'first' },
      { path: ['n'], message: 'n bad' },
      { path: ['seed'], message: 'seed bad' },
    ]);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: { code: 'invalid_parameter', message: 'first; n bad; seed bad', parameter: 'n' } });
  });

  it('names no parameter when no issue has a path', async () => {
    expect(await invalidParameters([{ path: [], message: 'm' }]).json()).toEqual({ error: { code: 'invalid_parameter', message: 'm' } });
  });
});
