/**
 * edge/routes/strict-query.ts: typo suggestions (edit distance worked out by hand), unknown parameters,
 * integers spelled other than as plain digits, percent-encoded paths, and the middleware's method filter.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { nearest, strictQuery, strictUrlProblem, type QueryRules } from '../../../edge/routes/strict-query';

const ORIGIN = 'https://latent-digits.test';
const SAMPLE: QueryRules = { allowed: ['n', 'seed', 'format', 'scale', 'v'], integers: ['n', 'seed', 'scale'] };

async function problem(path: string, rules: QueryRules = SAMPLE): Promise<({ status: number } & Record<string, unknown>) | null> {
  const res = strictUrlProblem(ORIGIN + path, rules);
  if (!res) return null;
  return { status: res.status, ...((await res.json()) as { error: Record<string, string> }).error };
}

describe('nearest', () => {
  const cases: [string, string[], string | undefined][] = [
    ['sead', ['n', 'seed', 'format'], 'seed'], // 1 substitution
    ['N', ['n', 'seed'], 'n'], // case only
    ['SEED', ['n', 'seed'], 'seed'],
    ['fromat', ['format'], 'format'], // 2 substitutions (a transposition is 2 edits here)
    ['frmat', ['format'], 'format'], // 1 insertion
    ['formatt', ['format'], 'format'], // 1 deletion
    ['fxrmxt', ['format'], 'format'], // 2
    ['fxrmxx', ['format'], undefined], // 3
    ['digit', ['digit_from', 'digit_to'], undefined], // 3 and 5 deletions
    ['zzzz', ['n', 'seed'], undefined],
    ['m', ['n'], 'n'], // a one-letter name: 1 edit allowed
    ['', ['n'], 'n'], // 1 insertion
    ['ab', ['n'], undefined], // 2 edits from a one-letter name is too many
    ['tp', ['to'], 'to'], // two letters: 1 edit
    ['xx', ['to'], undefined], // two letters: 2 edits is too many
    ['sted', ['steps', 'seed'], 'seed'], // seed: 1 (t->e), steps: 2
    ['steed', ['seed', 'steps'], 'seed'], // seed 1 (delete t), steps 2: the smaller wins whatever the order
    ['steed', ['steps', 'seed'], 'seed'],
    ['sees', ['seed', 'sees'], 'sees'], // exact (lower-case) match beats a 1-edit one listed first
    ['set', ['seed', 'sex'], 'sex'], // seed 2, sex 1
    ['se', ['sex', 'seb'], 'sex'], // equal distances: the first listed
  ];
  for (const [name, known, want] of cases) {
    it(`${JSON.stringify(name)} among ${known.join(', ')} -> ${want ?? 'nothing'}`, () => {
      expect(nearest(name, known)).toBe(want);
    });
  }
});

describe('strictUrlProblem', () => {
  it('passes URLs that use only allowed names, with any values for non-integers', async () => {
    expect(await problem('/v1/generate')).toBeNull();
    expect(await problem('/v1/generate?')).toBeNull();
    expect(await problem('/v1/generate?n=3&seed=7&format=j%73on&v=x')).toBeNull();
    expect(await problem('/v1/generate?&&n=3&')).toBeNull();
    expect(await problem('/v1/generate?seed')).toBeNull(); // no '=': empty value, left to the schema
  });

  it('names one unknown parameter with a suggestion and what the endpoint takes', async () => {
    expect(await problem('/v1/generate?sead=1')).toEqual({
      status: 400,
      code: 'unknown_parameter',
      parameter: 'sead',
      message: 'unknown query parameter "sead" (did you mean "seed"?); this endpoint takes n, seed, format, scale, v',
    });
  });

  it('names several once each, in order, without a suggestion where none is near; keys are percent-decoded', async () => {
    expect(await problem('/v1/generate?xyz=1&qq&xyz=2&s%65ad=1&seed=1')).toEqual({
      status: 400,
      code: 'unknown_parameter',
      parameter: 'xyz',
      message: 'unknown query parameters "xyz", "qq", "sead" (did you mean "seed"?); this endpoint takes n, seed, format, scale, v',
    });
  });

  it('a pair with an empty name is an unknown parameter "" (named nowhere in `parameter`), the rest being its value', async () => {
    expect(await problem('/v1/generate?=1')).toEqual({
      status: 400,
      code: 'unknown_parameter',
      message: 'unknown query parameter "" (did you mean "n"?); this endpoint takes n, seed, format, scale, v',
    });
  });

  it('a "+" in a key is a space; a malformed escape is kept as sent', async () => {
    expect((await problem('/v1/generate?a+b+c=1'))?.parameter).toBe('a b c');
    expect((await problem('/v1/generate?%E0%A4%A=1'))?.parameter).toBe('%E0%A4%A');
  });

  it('lists five unknown names and counts the rest', async () => {
    expect((await problem('/v1/models?a=1&b=1&c=1&d=1&e=1&f=1&g=1', { allowed: [] }))?.message).toBe(
      'unknown query parameters "a", "b", "c", "d", "e" and 2 more; this endpoint takes no query parameters',
    );
    expect((await problem('/v1/models?a=1&b=1&c=1&d=1&e=1', { allowed: [] }))?.message).toBe(
      'unknown query parameters "a", "b", "c", "d", "e"; this endpoint takes no query parameters',
    );
  });

  it('cuts a long unknown name to 64 characters in `parameter`', async () => {
    const res = await problem(`/v1/generate?${'k'.repeat(70)}=1`);
    expect(res?.parameter).toBe('k'.repeat(64));
    expect(res?.message).toBe(`unknown query parameter "${'k'.repeat(64)}"… (70 characters); this endpoint takes n, seed, format, scale, v`);
  });

  it('refuses integer values with a percent-escape or "+", naming the parameter and the raw value', async () => {
    for (const [path, parameter, raw] of [
      ['/v1/generate?seed=%37', 'seed', '%37'],
      ['/v1/generate?n=+3', 'n', '+3'],
      ['/v1/generate?format=png&scale=1%2B1', 'scale', '1%2B1'],
    ]) {
      expect(await problem(path), path).toEqual({
        status: 400,
        code: 'invalid_parameter',
        parameter,
        message: `${parameter} must be written as plain digits (no percent-encoding or "+"), got "${raw}"`,
      });
    }
  });

  it('leaves integer names alone when the route lists no integers, and non-integer values alone', async () => {
    expect(await problem('/v1/generate?seed=%37', { allowed: ['seed'] })).toBeNull();
    expect(await problem('/v1/generate?v=%37+')).toBeNull();
  });

  it('a percent-encoded path is a 404 naming the plain path; an undecodable one is named as sent', async () => {
    expect(await problem('/v1/digits/%33?seed=1')).toEqual({
      status: 404,
      code: 'not_found',
      message: 'no route "/v1/digits/%33": paths are not percent-decoded; did you mean "/v1/digits/3"?',
    });
    expect((await problem('/v1/digits/%E0%A4%A'))?.message).toBe(
      'no route "/v1/digits/%E0%A4%A": paths are not percent-decoded; did you mean "/v1/digits/%E0%A4%A"?',
    );
  });

  it('checks the path before the query, and unknown names before integer spellings', async () => {
    expect((await problem('/v1/digits/%33?sead=1'))?.status).toBe(404);
    expect((await problem('/v1/generate?seed=%37&sead=1'))?.code).toBe('unknown_parameter');
  });

  it('a "?" inside the fragment-free path part is where the query starts, not a "%3F"', async () => {
    expect(await problem('/v1/generate%3Fsead=1')).toMatchObject({ status: 404 });
  });
});

describe('strictQuery middleware', () => {
  const app = new Hono();
  app.use('/thing', strictQuery({ allowed: ['a'], integers: ['a'], methods: ['GET'] }));
  app.use('/any', strictQuery({ allowed: ['a'] }));
  app.all('/thing', (c) => c.text('handled'));
  app.all('/any', (c) => c.text('handled'));

  it('answers the problem instead of running the handler', async () => {
    const res = await app.request(`${ORIGIN}/thing?b=1`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unknown_parameter');
    expect((await app.request(`${ORIGIN}/thing?a=%31`)).status).toBe(400);
  });

  it('runs the handler for a clean URL', async () => {
    expect(await (await app.request(`${ORIGIN}/thing?a=1`)).text()).toBe('handled');
  });

  it('ignores methods it is not for, and checks every method when none are named', async () => {
    expect(await (await app.request(`${ORIGIN}/thing?b=1`, { method: 'POST' })).text()).toBe('handled');
    expect((await app.request(`${ORIGIN}/any?b=1`, { method: 'POST' })).status).toBe(400);
  });
});
