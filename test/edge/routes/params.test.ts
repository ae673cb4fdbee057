/**
 * edge/routes/params.ts: each parameter schema on raw query strings, with the error messages the API
 * promises (`n must be an integer 1..64, got "abc"`), written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { z } from '@hono/zod-openapi';
import {
  digitPathParam,
  digitQueryParam,
  formatParam,
  nParam,
  scaleParam,
  seedParam,
  spaceParam,
  stepsParam,
  versionParam,
} from '../../../edge/routes/params';

/** The parsed value, or the messages of every issue. */
function parse(schema: z.ZodType, raw: unknown): { value: unknown } | { errors: string[] } {
  const result = schema.safeParse(raw);
  return result.success ? { value: result.data } : { errors: result.error.issues.map((i) => i.message) };
}

describe('integer parameters', () => {
  const seed = seedParam('seed', 'doc');
  const cases: [string, z.ZodType, unknown, { value: unknown } | { errors: string[] }][] = [
    ['n', nParam, '1', { value: 1 }],
    ['n', nParam, '64', { value: 64 }],
    ['n', nParam, '0', { errors: ['n must be an integer 1..64, got "0"'] }],
    ['n', nParam, '65', { errors: ['n must be an integer 1..64, got "65"'] }],
    ['n', nParam, 'abc', { errors: ['n must be an integer 1..64, got "abc"'] }],
    ['n', nParam, '2.5', { errors: ['n must be an integer 1..64, got "2.5"'] }],
    ['n', nParam, '', { errors: ['n must be an integer 1..64, got ""'] }],
    ['n', nParam, '1e1', { errors: ['n must be an integer 1..64, got "1e1"'] }],
    ['n', nParam, ' 5', { errors: ['n must be an integer 1..64, got " 5"'] }],
    ['n', nParam, '5 ', { errors: ['n must be an integer 1..64, got "5 "'] }],
    ['n', nParam, '0x10', { errors: ['n must be an integer 1..64, got "0x10"'] }],
    ['n', nParam, '064', { errors: ['n must be an integer 1..64 without leading zeros (64), got "064"'] }],
    ['n', nParam, ['1', '2'], { errors: ['n must be an integer 1..64, got ["1","2"]'] }],
    ['n', nParam, 5, { errors: ['n must be an integer 1..64, got "5"'] }],
    ['n', nParam, undefined, { value: undefined }],
    ['seed', seed, '0', { value: 0 }],
    ['seed', seed, '4294967295', { value: 4294967295 }],
    ['seed', seed, '4294967296', { errors: ['seed must be an integer 0..4294967295, got "4294967296"'] }],
    ['seed', seed, '-1', { errors: ['seed must be an integer 0..4294967295, got "-1"'] }],
    ['seed', seed, '007', { errors: ['seed must be an integer 0..4294967295 without leading zeros (7), got "007"'] }],
    ['seed', seed, '00', { errors: ['seed must be an integer 0..4294967295 without leading zeros (0), got "00"'] }],
    ['steps', stepsParam, '2', { value: 2 }],
    ['steps', stepsParam, '32', { value: 32 }],
    ['steps', stepsParam, '1', { errors: ['steps must be an integer 2..32, got "1"'] }],
    ['steps', stepsParam, '33', { errors: ['steps must be an integer 2..32, got "33"'] }],
    ['scale', scaleParam, '1', { value: 1 }],
    ['scale', scaleParam, '8', { value: 8 }],
    ['scale', scaleParam, '9', { errors: ['scale must be an integer 1..8, got "9"'] }],
    ['scale', scaleParam, '0', { errors: ['scale must be an integer 1..8, got "0"'] }],
    ['digit_from', digitQueryParam('digit_from', ''), '9', { value: 9 }],
    ['digit_from', digitQueryParam('digit_from', ''), '10', { errors: ['digit_from must be an integer 0..9, got "10"'] }],
    ['digit', digitPathParam('digit', ''), '0', { value: 0 }],
    ['digit', digitPathParam('digit', ''), '03', { errors: ['digit must be an integer 0..9 without leading zeros (3), got "03"'] }],
    ['digit', digitPathParam('digit', ''), undefined, { errors: ['digit must be an integer 0..9, got nothing'] }],
  ];
  for (const [name, schema, raw, want] of cases) {
    it(`${name}=${JSON.stringify(raw)} -> ${JSON.stringify(want)}`, () => {
      expect(parse(schema, raw)).toEqual(want);
    });
  }

  it('the value is a number, not the string', () => {
    expect(typeof (nParam.safeParse('12').data as unknown)).toBe('number');
  });
});

describe('enumerations', () => {
  it('format takes png and json only', () => {
    expect(parse(formatParam, 'png')).toEqual({ value: 'png' });
    expect(parse(formatParam, 'json')).toEqual({ value: 'json' });
    expect(parse(formatParam, 'gif')).toEqual({ errors: ['format must be one of png, json, got "gif"'] });
    expect(parse(formatParam, 'PNG')).toEqual({ errors: ['format must be one of png, json, got "PNG"'] });
  });

  it('space takes noise and latent only', () => {
    expect(parse(spaceParam, 'latent')).toEqual({ value: 'latent' });
    expect(parse(spaceParam, 'pixel')).toEqual({ errors: ['space must be one of noise, latent, got "pixel"'] });
  });
});

describe('v', () => {
  it('is 12 lowercase hex digits', () => {
    expect(parse(versionParam, '0123456789ab')).toEqual({ value: '0123456789ab' });
    expect(parse(versionParam, undefined)).toEqual({ value: undefined });
    for (const bad of ['latest', '0123456789AB', '0123456789a', '0123456789abc', 'x0123456789ab', '0123456789abx', '']) {
      expect(parse(versionParam, bad), bad).toEqual({ errors: [`v must be a model version (12 hex digits), got ${JSON.stringify(bad)}`] });
    }
    expect(parse(versionParam, ['a', 'b'])).toEqual({ errors: ['v must be a model version (12 hex digits), got ["a","b"]'] });
  });
});
