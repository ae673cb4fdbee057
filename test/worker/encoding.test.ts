/**
 * core/png.ts inside workerd (its native zlib through node:zlib): the same cases as test/core/png-deflate.test.ts
 * must give the bytes Node gives (the committed sha256s in test/fixtures/png-reference.json) and decode,
 * pixel for pixel, to the plainly enlarged grid; the served PNG grid holds exactly the pixels of the
 * served JSON tiles, and its bytes are what the encoder writes for those pixels.
 */
import { describe, expect, it } from 'vitest';
import { IMAGE_PIXELS } from '../../core/contract';
import { gridPng, imagePng, tileGrid } from '../../core/png';
import { PNG_CASES, casePixels, sha256Hex, type PngCase } from '../fixtures/png-cases';
import reference from '../fixtures/png-reference.json';
import { decodeGrey, fromBase64, get, json, type ImagesBody } from './worker';

function encodeCase(c: PngCase): Promise<Uint8Array> {
  const pixels = casePixels(c);
  return c.kind === 'tile' ? imagePng(pixels, c.scale) : gridPng(pixels, c.count, { columns: 8, scale: c.scale, gap: c.gap });
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

describe('PNG writer inside workerd', () => {
  for (const c of PNG_CASES) {
    it(`${c.name}: the bytes Node writes, and every pixel of the enlarged grid`, async () => {
      const png = await encodeCase(c);
      expect(await sha256Hex(png)).toBe((reference as Record<string, string>)[c.name]);
      const plain = tileGrid(casePixels(c), c.count, { columns: 8, scale: c.scale, gap: c.gap });
      const decoded = decodeGrey(png);
      expect([decoded.width, decoded.height]).toEqual([plain.width, plain.height]);
      expect(sameBytes(decoded.data, plain.bytes)).toBe(true);
    });
  }

  it('the served grid is the encoder applied to the served tiles: same pixels, same bytes', async () => {
    const query = 'seed=41&n=11';
    const { body } = await json<ImagesBody>(`/v1/generate?${query}&format=json`);
    const tiles = body.images.map((b64) => decodeGrey(fromBase64(b64)));
    const pixels = new Float32Array(tiles.length * IMAGE_PIXELS);
    tiles.forEach((t, i) => pixels.set(Array.from(t.data, (v) => v / 255), i * IMAGE_PIXELS));
    for (const scale of [1, 3, 8]) {
      const served = new Uint8Array(await (await get(`/v1/generate?${query}&scale=${scale}`)).arrayBuffer());
      const expected = await gridPng(pixels, tiles.length, { columns: 8, scale });
      expect(sameBytes(decodeGrey(served).data, tileGrid(pixels, tiles.length, { columns: 8, scale }).bytes)).toBe(true);
      expect(sameBytes(served, expected)).toBe(true);
    }
  });
});
