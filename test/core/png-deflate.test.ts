/**
 * core/png.ts with native deflate, in Node: every pixel decodes back (fast-png as the independent decoder)
 * equal to the plainly enlarged grid and to what the previous fast-png encoder wrote; repeated rows use
 * filter Up; chunk CRCs check out against node:zlib's crc32; and the bytes equal the committed reference
 * (test/fixtures/png-reference.json) that test/worker/encoding.test.ts checks inside workerd too.
 * UPDATE_PNG_REFERENCE=1 rewrites the reference from Node's output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { crc32 as nodeCrc32, inflateSync } from 'node:zlib';
import { decode, encode } from 'fast-png';
import { describe, expect, it } from 'vitest';
import { crc32, encodeGreyPng, gridPng, imagePng, tileGrid } from '../../core/png';
import { PNG_CASES, casePixels, sha256Hex, type PngCase } from '../fixtures/png-cases';

const REFERENCE = new URL('../fixtures/png-reference.json', import.meta.url);

function encodeCase(c: PngCase): Promise<Uint8Array> {
  const pixels = casePixels(c);
  return c.kind === 'tile' ? imagePng(pixels, c.scale) : gridPng(pixels, c.count, { columns: 8, scale: c.scale, gap: c.gap });
}

interface Chunk {
  type: string;
  data: Uint8Array;
  crc: number;
  crcInput: Uint8Array;
}

function chunks(png: Uint8Array): Chunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Chunk[] = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    out.push({ type, data: png.subarray(at + 8, at + 8 + length), crc: view.getUint32(at + 8 + length), crcInput: png.subarray(at + 4, at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

describe('PNG writer with native deflate (Node)', () => {
  for (const c of PNG_CASES) {
    it(`${c.name}: every pixel decodes to the plainly enlarged grid, as the previous fast-png encoder's did`, async () => {
      const pixels = casePixels(c);
      const plain = tileGrid(pixels, c.count, { columns: 8, scale: c.scale, gap: c.gap });
      const ours = decode(await encodeCase(c));
      const previous = decode(encode({ width: plain.width, height: plain.height, data: plain.bytes, channels: 1, depth: 8 }));
      expect([ours.width, ours.height, ours.channels, ours.depth]).toEqual([plain.width, plain.height, 1, 8]);
      expect(Buffer.from(ours.data as Uint8Array).equals(Buffer.from(plain.bytes))).toBe(true);
      expect(Buffer.from(ours.data as Uint8Array).equals(Buffer.from(previous.data as Uint8Array))).toBe(true);
    });
  }

  it('frames IHDR, IDAT, IEND with correct CRCs, filter None on a new row and Up on each repeat', async () => {
    const c = PNG_CASES.find((x) => x.name === 'grid n=16 scale=4')!;
    const png = await encodeCase(c);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const list = chunks(png);
    expect(list.map((x) => x.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    for (const x of list) expect(x.crc).toBe(nodeCrc32(x.crcInput));
    const width = 8 * 28 * 4;
    const lines = inflateSync(list[1].data);
    expect(lines.length).toBe((width + 1) * 2 * 28 * 4);
    const filters = Array.from({ length: 2 * 28 * 4 }, (_, y) => lines[y * (width + 1)]);
    expect(filters).toEqual(filters.map((_, y) => (y % 4 === 0 ? 0 : 2)));
    // an Up row carries no bytes of its own
    expect(lines.subarray(width + 2, 2 * (width + 1)).every((b) => b === 0)).toBe(true);
  });

  it('computes the CRC-32 PNG specifies', () => {
    const bytes = new TextEncoder().encode('123456789');
    expect(crc32(bytes)).toBe(0xcbf43926); // the standard check value
    expect(crc32(bytes.subarray(0, 4), bytes.subarray(4))).toBe(nodeCrc32(bytes));
  });

  it('gives the same bytes on every call (byte-identical per input)', async () => {
    const c = PNG_CASES.find((x) => x.name === 'grid n=64 scale=8')!;
    const [a, b] = await Promise.all([encodeCase(c), encodeCase(c)]);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('rejects a byte array that does not match the size', async () => {
    expect(() => encodeGreyPng(new Uint8Array(10), 4, 4)).toThrow(/expected 4x4=16 pixels, got 10/);
  });

  it('writes the bytes of the committed reference (the one workerd is held to)', async () => {
    const got: Record<string, string> = {};
    for (const c of PNG_CASES) got[c.name] = await sha256Hex(await encodeCase(c));
    if (process.env.UPDATE_PNG_REFERENCE === '1') writeFileSync(REFERENCE, JSON.stringify(got, null, 2) + '\n');
    expect(got).toEqual(JSON.parse(readFileSync(REFERENCE, 'utf8')));
  });
});
