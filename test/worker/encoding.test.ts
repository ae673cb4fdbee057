/**
 * core/png.ts inside workerd (its native zlib through node:zlib): the same cases as test/core/png-deflate.test.ts
 * must give the bytes Node gives (the committed sha256s in test/fixtures/png-reference.json) and decode,
 * pixel for pixel, to the plainly enlarged grid; the served PNG grid holds exactly the pixels of the
 * served JSON tiles, and its bytes are what the encoder writes for those pixels.
 */
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IMAGE_PIXELS } from '../../core/contract';
import { gridPng, imagePng, tileGrid } from '../../core/png';
import { inflateBounded } from '../../edge/encoding/png-chunks';
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

describe("inflateBounded inside workerd: its cap passes every valid size at each of workerd's buffer sizes", () => {
  // workerd's inflateRawSync grows its output from 40 KiB by doubling and reserves 40 KiB more whenever the
  // buffer is full (edge/encoding/png-chunks.ts says why that sets the cap); a valid stream one byte, or
  // 40 KiB, either side of each buffer size is where a cap too tight for that reservation fails. Up to the
  // largest stream a header allows: 1024 rows of 1 + 1024 x 8 bytes (16-bit RGBA).
  const LARGEST = 1024 * (1 + 1024 * 8);
  const sizes = [LARGEST];
  for (let buffer = 40_960; buffer < LARGEST; buffer *= 2) {
    for (const d of [-40_960, -1, 0, 1, 40_959, 40_960, 40_961]) if (buffer + d > 0 && buffer + d <= LARGEST) sizes.push(buffer + d);
  }
  it(`${sizes.length} sizes from ${Math.min(...sizes)} to ${LARGEST} bytes inflate to exactly their rows`, () => {
    for (const size of sizes) {
      // rows of a smooth gradient with a little texture: compressible, not trivially
      const rows = Uint8Array.from({ length: size }, (_, i) => (i * 7 + ((i * 2_654_435_761) >>> 29)) & 0xff);
      // node:zlib in workerd writes the stream, not the code under test
      const stream = new Uint8Array(deflateSync(rows, { level: 1 }));
      const got = inflateBounded(stream, size);
      expect(got.length, `size ${size}`).toBe(size);
      expect(sameBytes(got, rows), `size ${size}`).toBe(true);
    }
  });
});
