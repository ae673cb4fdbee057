/**
 * edge/routes/negotiate.ts against RFC 9110 §12.5.1 (Accept): media-range syntax, q-values (§12.4.2), the
 * most-specific-range rule, and the server's order on ties. Expected indices are worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { negotiate, parseAccept, weightOf, type Offer } from '../../../edge/routes/negotiate';

const PNG: Offer = { type: 'image/png' };
const JSON_UTF8: Offer = { type: 'application/json', params: { charset: 'utf-8' } };
const PNG_JSON = [PNG, JSON_UTF8];

describe('parseAccept', () => {
  it('is null (anything) for an absent, empty or blank header', () => {
    expect(parseAccept(undefined)).toBeNull();
    expect(parseAccept(null)).toBeNull();
    expect(parseAccept('')).toBeNull();
    expect(parseAccept(' \t ')).toBeNull();
  });

  it('lower-cases type, subtype and parameter values, keeps q, and stops at q (later parameters are accept-ext)', () => {
    expect(parseAccept('Text/HTML;Level=1;Charset=UTF-8;q=0.7;foo=bar')).toEqual([
      { type: 'text', subtype: 'html', params: { level: '1', charset: 'utf-8' }, q: 0.7 },
    ]);
  });

  it('reads q-values of every allowed spelling (qvalue = 0[.ddd] / 1[.000])', () => {
    const q = (value: string) => parseAccept(`a/b;q=${value}`)?.[0]?.q;
    expect([q('0'), q('0.'), q('0.5'), q('0.25'), q('0.125'), q('1'), q('1.'), q('1.0'), q('1.000')]).toEqual([
      0, 0, 0.5, 0.25, 0.125, 1, 1, 1, 1,
    ]);
  });

  it('drops ranges whose q is not a qvalue: four decimals, above 1, negative, words, empty', () => {
    for (const value of ['0.1234', '1.001', '2', '-0.5', 'abc', '', '.5', '1.5', ' 0.5x']) {
      expect(parseAccept(`a/b;q=${value}`), value).toEqual([]);
    }
  });

  it('unquotes quoted parameter values and trims spaces around names and values', () => {
    expect(parseAccept('application/json ; charset = "UTF-8" ; q = 0.5')).toEqual([
      { type: 'application', subtype: 'json', params: { charset: 'utf-8' }, q: 0.5 },
    ]);
  });

  it('unquotes only a value that starts and ends with a quote', () => {
    expect(parseAccept('a/b;x=y"z";w="v"u;t=""')?.[0]?.params).toEqual({ x: 'y"z"', w: '"v"u', t: '' });
  });

  it('drops ranges without a slash, with a bad token, with */subtype, or with a parameter lacking a name or =', () => {
    for (const bad of ['json', 'image/', '/png', 'im age/png', 'image/p@ng', '*/png', 'a/b;=x', 'a/b;noequals', 'a/b;;q=abc']) {
      expect(parseAccept(bad), bad).toEqual([]);
    }
  });

  it('skips empty parameters (a trailing or doubled ";") and keeps the range', () => {
    expect(parseAccept('a/b;;c=d;')).toEqual([{ type: 'a', subtype: 'b', params: { c: 'd' }, q: 1 }]);
  });

  it('accepts */* and type/* and every tchar of RFC 9110 §5.6.2 in tokens', () => {
    expect(parseAccept("*/*, image/*, x!#$%&'*+.^_`|~09AZaz-/y")).toEqual([
      { type: '*', subtype: '*', params: {}, q: 1 },
      { type: 'image', subtype: '*', params: {}, q: 1 },
      { type: "x!#$%&'*+.^_`|~09azaz-", subtype: 'y', params: {}, q: 1 },
    ]);
  });

  it('keeps the good ranges of a header with bad ones, in order', () => {
    expect(parseAccept('a/b;q=0.5, c/d, e/f;q=0.123;ext=1, bad, x/y;q=0.1234')).toEqual([
      { type: 'a', subtype: 'b', params: {}, q: 0.5 },
      { type: 'c', subtype: 'd', params: {}, q: 1 },
      { type: 'e', subtype: 'f', params: {}, q: 0.123 },
    ]);
  });
});

describe('weightOf: the q of the most specific matching range (RFC 9110 §12.5.1 example)', () => {
  // The RFC's example: text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, text/plain;format=fixed;q=0.4, */*;q=0.5
  const ranges = parseAccept('text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, text/plain;format=fixed;q=0.4, */*;q=0.5')!;
  const cases: [Offer, number][] = [
    [{ type: 'text/plain', params: { format: 'flowed' } }, 1],
    [{ type: 'text/plain' }, 0.7],
    [{ type: 'text/html' }, 0.3],
    [{ type: 'image/jpeg' }, 0.5],
    [{ type: 'text/plain', params: { format: 'fixed' } }, 0.4],
    [{ type: 'text/html', params: { level: '3' } }, 0.3],
  ];
  for (const [offer, q] of cases) {
    it(`${offer.type}${offer.params ? ';' + Object.entries(offer.params).map(([k, v]) => `${k}=${v}`).join(';') : ''} -> ${q}`, () => {
      expect(weightOf(ranges, offer)).toBe(q);
    });
  }

  it('is 0 when no range matches, and when the only match says q=0', () => {
    expect(weightOf(parseAccept('image/png')!, { type: 'application/json' })).toBe(0);
    expect(weightOf(parseAccept('image/png;q=0')!, PNG)).toBe(0);
    expect(weightOf([], PNG)).toBe(0);
  });

  it('compares the offer case-insensitively, parameter values included', () => {
    expect(weightOf(parseAccept('application/json;charset=utf-8;q=0.5')!, { type: 'Application/JSON', params: { charset: 'UTF-8' } })).toBe(0.5);
  });

  it('a range parameter the offer lacks, or has with another value, means no match', () => {
    expect(weightOf(parseAccept('application/json;charset=latin1')!, JSON_UTF8)).toBe(0);
    expect(weightOf(parseAccept('image/png;foo=bar')!, PNG)).toBe(0);
  });

  it('among equally specific ranges the one with more parameters wins, in either order', () => {
    expect(weightOf(parseAccept('application/json;q=0.2, application/json;charset=utf-8;q=0.9')!, JSON_UTF8)).toBe(0.9);
    expect(weightOf(parseAccept('application/json;charset=utf-8;q=0.9, application/json;q=0.2')!, JSON_UTF8)).toBe(0.9);
    expect(weightOf(parseAccept('*/*;q=0.2, */*;charset=utf-8;q=0.9')!, JSON_UTF8)).toBe(0.9);
    expect(weightOf(parseAccept('application/*;q=0.2, application/*;charset=utf-8;q=0.9')!, JSON_UTF8)).toBe(0.9);
  });

  it('the first of two identical ranges decides (a later equal one is not more specific)', () => {
    expect(weightOf(parseAccept('image/png;q=0.3, image/png;q=0.8')!, PNG)).toBe(0.3);
    expect(weightOf(parseAccept('image/*;q=0.3, image/*;q=0.8')!, PNG)).toBe(0.3);
  });

  it('specificity ranks type/subtype over type/* over */* whatever the order and parameter counts', () => {
    // a */* with a parameter (101) is still below image/* (200), and image/* with one (201) below image/png (300)
    expect(weightOf(parseAccept('image/png;q=0.1, image/*;q=0.5, */*;q=0.9')!, PNG)).toBe(0.1);
    expect(weightOf(parseAccept('*/*;q=0.9, image/*;q=0.5, image/png;q=0.1')!, PNG)).toBe(0.1);
    expect(weightOf(parseAccept('*/*;q=0.9, image/*;q=0.5')!, PNG)).toBe(0.5);
    expect(weightOf(parseAccept('image/*;q=0.5, */*;q=0.9')!, PNG)).toBe(0.5);
    expect(weightOf(parseAccept('application/*;charset=utf-8;q=0.7, application/json;q=0.2')!, JSON_UTF8)).toBe(0.2);
    expect(weightOf(parseAccept('*/*;charset=utf-8;q=0.7, application/*;q=0.2')!, JSON_UTF8)).toBe(0.2);
  });

  it('type/* matches only its own type; a subtype must match exactly', () => {
    expect(weightOf(parseAccept('text/*')!, PNG)).toBe(0);
    expect(weightOf(parseAccept('image/jpeg')!, PNG)).toBe(0);
    expect(weightOf(parseAccept('text/png')!, PNG)).toBe(0);
    expect(weightOf(parseAccept('image/*')!, PNG)).toBe(1);
  });
});

describe('negotiate', () => {
  const cases: [string | undefined, number][] = [
    [undefined, 0],
    ['', 0],
    ['*/*', 0],
    ['application/json', 1],
    ['image/png, application/json;q=0.1', 0],
    ['image/png;q=0.1, application/json', 1],
    ['application/json, image/png', 0], // a tie goes to the server's first offer
    ['application/json;q=0.5, image/png;q=0.5', 0],
    ['application/jsonx', -1],
    ['application/json;q=0', -1],
    ['application/json;q=0, */*', 0],
    ['image/webp', -1],
    ['image/*;q=0, image/png', 0],
    ['*/*;q=0.1, application/*;q=0.5', 1],
    ['*/*;q=0, application/json;q=0.001', 1],
    ['application/json;charset=latin1', -1],
    ['image/avif,image/webp,*/*;q=0.8', 0],
    ['application/json;q=abc, image/png;q=0.5', 0],
    ['application/json;q=1.5', -1],
    ['text/html', -1],
    ['bad', -1], // nothing parses: not the same as no header
  ];
  for (const [accept, want] of cases) {
    it(`Accept: ${accept === undefined ? '(none)' : JSON.stringify(accept)} -> offer ${want}`, () => {
      expect(negotiate(accept, PNG_JSON)).toBe(want);
    });
  }

  it('with no offers nothing is acceptable, header or not', () => {
    expect(negotiate(undefined, [])).toBe(-1);
    expect(negotiate('*/*', [])).toBe(-1);
  });

  it('the later offer wins only when its weight is strictly higher', () => {
    const three = [{ type: 'a/x' }, { type: 'a/y' }, { type: 'a/z' }];
    expect(negotiate('a/x;q=0.2, a/y;q=0.9, a/z;q=0.9', three)).toBe(1);
    expect(negotiate('a/x;q=0.2, a/y;q=0.5, a/z;q=0.9', three)).toBe(2);
    expect(negotiate('a/x;q=0.9, a/y;q=0.5, a/z;q=0.2', three)).toBe(0);
  });
});
