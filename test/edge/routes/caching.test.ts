/**
 * edge/routes/caching.ts: Cache-Control by seed and pin, the 409 for a wrong pin, the ETag (checked against
 * node:crypto's SHA-256, not WebCrypto), and If-None-Match by RFC 9110 §13.1.2 (weak comparison).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cacheControl, etagFor, ifNoneMatchHits } from '../../../edge/routes/caching';

describe('cacheControl', () => {
  it('no-store without every seed, pinned or not; a year and immutable when seeded and pinned; 5 minutes when only seeded', () => {
    expect(cacheControl({ seeded: false, pinned: false })).toBe('no-store');
    expect(cacheControl({ seeded: false, pinned: true })).toBe('no-store');
    expect(cacheControl({ seeded: true, pinned: true })).toBe('public, max-age=31536000, immutable');
    expect(cacheControl({ seeded: true, pinned: false })).toBe('public, max-age=300');
  });
});

describe('etagFor', () => {
  it('is "<version>-<first 8 bytes of SHA-256 of the canonical request, hex>"', async () => {
    for (const canonical of ['', '{"route":"generate","seed":1,"n":1,"scale":1,"format":"png"}', 'é€😀']) {
      const hex = createHash('sha256').update(canonical, 'utf8').digest('hex').slice(0, 16);
      expect(await etagFor('0123456789ab', canonical)).toBe(`"0123456789ab-${hex}"`);
    }
  });

  it('SHA-256 of "abc" (FIPS 180-2 example) gives ba7816bf8f01cfea', async () => {
    expect(await etagFor('v', 'abc')).toBe('"v-ba7816bf8f01cfea"');
  });

  it('writes every byte as two hex digits: SHA-256("b") = 3e23e816 0039594a ... has a 0x00 byte', async () => {
    expect(await etagFor('v', 'b')).toBe('"v-3e23e8160039594a"');
  });
});

describe('ifNoneMatchHits (RFC 9110 §13.1.2)', () => {
  const etag = '"0123456789ab-00112233aabbccdd"';
  const cases: [string | null | undefined, boolean][] = [
    [undefined, false],
    [null, false],
    ['', false],
    ['*', true],
    [etag, true],
    [`W/${etag}`, true], // weak comparison: W/ matches the strong tag
    [`"other", ${etag}`, true],
    [`"other" ,  ${etag}  ,"more"`, true],
    ['"other"', false],
    [etag.slice(1, -1), false], // unquoted
    [`${etag}x`, false],
    [`W/"other"`, false],
    [' * ', true],
    ['"*"', false],
    [`"0123456789ab-00112233aabbccdd", *`, true],
  ];
  for (const [header, hits] of cases) {
    it(`If-None-Match: ${header === undefined ? '(none)' : JSON.stringify(header)} -> ${hits ? 'hit' : 'miss'}`, () => {
      expect(ifNoneMatchHits(header, etag)).toBe(hits);
    });
  }
});
