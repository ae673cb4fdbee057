/**
 * Reader for the IDX format MNIST ships in (http://yann.lecun.com/exdb/mnist/): a big-endian header
 * (magic 0x0000 08 DD, DD = number of dimensions, then DD uint32 sizes) followed by unsigned bytes.
 * Files may be gzipped. Every failure names the file and what was wrong.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';

export interface IdxArray {
  /** e.g. [60000, 28, 28] for images, [60000] for labels */
  shape: number[];
  data: Uint8Array;
}

export class IdxError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'IdxError';
  }
}

const UBYTE = 0x08;

export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(bytes));
    } catch (err) {
      throw new IdxError(file, `looks gzipped but does not decompress (${(err as Error).message})`);
    }
  }
  if (bytes.length < 4) throw new IdxError(file, `is ${bytes.length} bytes, too short for an IDX header (4 bytes at least)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0) !== 0) {
    throw new IdxError(file, `bad magic number 0x${view.getUint32(0).toString(16).padStart(8, '0')}, expected 0x000008NN`);
  }
  const type = bytes[2];
  if (type !== UBYTE) throw new IdxError(file, `element type 0x${type.toString(16)} is not supported, expected 0x08 (unsigned byte)`);
  const dims = bytes[3];
  if (dims < 1 || dims > 4) throw new IdxError(file, `has ${dims} dimensions, expected 1..4`);
  const headerBytes = 4 + 4 * dims;
  if (bytes.length < headerBytes) throw new IdxError(file, `header says ${dims} dimensions but the file ends after ${bytes.length} bytes`);
  const shape = Array.from({ length: dims }, (_, i) => view.getUint32(4 + 4 * i));
  const expected = shape.reduce((a, b) => a * b, 1);
  const actual = bytes.length - headerBytes;
  if (actual !== expected) {
    throw new IdxError(file, `header shape [${shape.join(', ')}] needs ${expected} data bytes, file has ${actual} (truncated or corrupt)`);
  }
  return { shape, data: bytes.subarray(headerBytes) };
}

export async function readIdx(file: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (err) {
    throw new IdxError(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseIdx(bytes, file);
}
