/**
 * A structure-aware fuzzer for uploads: valid PNG and JPEG files taken apart into chunks / marker segments,
 * mutated at that level (duplicate, drop, reorder, resize, recompress, split, inflate bomb, scan bomb, fake
 * headers, parameterless markers, flipped bytes inside one unit) and put back together, with valid CRCs so
 * the mutation is what a decoder sees. Seeded (core/rng): case i of seed s is always the same file.
 */
import { unzlibSync, zlibSync } from 'fflate';
import { Rng } from '../../core/rng';
import { concat, deflateBomb, ihdrData, pngChunks, pngOf, segment, sofPayload } from './hostile-cases';

export interface Mutant {
  type: 'image/png' | 'image/jpeg';
  bytes: Uint8Array;
  /** the mutations applied, for messages */
  ops: string[];
}

type Chunks = [string, Uint8Array][];

const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(items.length)];

function flip(rng: Rng, data: Uint8Array): Uint8Array {
  const out = data.slice();
  for (let k = 0; k < 1 + rng.int(8) && out.length; k++) out[rng.int(out.length)] ^= 1 + rng.int(255);
  return out;
}

const PNG_OPS = ['duplicate', 'drop', 'reorder', 'resize', 'recompress', 'split', 'inflate-bomb', 'fake-ihdr', 'second-ihdr', 'ancillary-bomb', 'flip', 'many-chunks'] as const;

function mutatePng(rng: Rng, chunks: Chunks, ops: string[]): Chunks {
  if (chunks.length === 0) return chunks;
  const op = pick(rng, PNG_OPS);
  ops.push(op);
  const c = chunks.slice();
  const at = rng.int(c.length);
  const idat = c.findIndex(([t]) => t === 'IDAT');
  switch (op) {
    case 'duplicate':
      c.splice(at, 0, c[at]);
      return c;
    case 'drop':
      c.splice(at, 1);
      return c;
    case 'reorder': {
      const other = rng.int(c.length);
      [c[at], c[other]] = [c[other], c[at]];
      return c;
    }
    case 'resize': {
      const [type, data] = c[at];
      const size = rng.uniform() < 0.5 ? rng.int(data.length + 1) : data.length + rng.int(64);
      const resized = new Uint8Array(size);
      resized.set(data.subarray(0, size));
      c[at] = [type, resized];
      return c;
    }
    case 'recompress': {
      if (idat < 0) return c;
      const raw = unzlibSync(concat(c.filter(([t]) => t === 'IDAT').map(([, d]) => d)));
      const level = pick(rng, [0, 1, 9] as const);
      const rest = c.filter(([t]) => t !== 'IDAT');
      rest.splice(Math.min(idat, rest.length), 0, ['IDAT', zlibSync(raw, { level })]);
      return rest;
    }
    case 'split': {
      if (idat < 0) return c;
      const data = c[idat][1];
      const size = 1 + rng.int(64);
      const parts: Chunks = [];
      for (let i = 0; i < data.length; i += size) parts.push(['IDAT', data.subarray(i, i + size)]);
      c.splice(idat, 1, ...parts);
      return c;
    }
    case 'inflate-bomb':
      c.splice(Math.max(0, idat), idat < 0 ? 0 : 1, ['IDAT', deflateBomb(pick(rng, [1e6, 1e8, 1.5e9]))]);
      return c;
    case 'fake-ihdr': {
      const depth = pick(rng, [1, 2, 4, 8, 16, 3]);
      const colour = pick(rng, [0, 2, 3, 4, 6, 5]);
      const side = () => pick(rng, [0, 1, 2, 56, 1024, 1025, 1e9, rng.int(2000)]);
      c[0] = ['IHDR', Uint8Array.from(ihdrData(side(), side(), depth, colour, rng.int(3)))];
      return c;
    }
    case 'second-ihdr':
      c.splice(1 + rng.int(c.length), 0, ['IHDR', Uint8Array.from(ihdrData(1_000_000_000, 1))]);
      return c;
    case 'ancillary-bomb': {
      const type = pick(rng, ['iCCP', 'zTXt', 'iTXt', 'eXIf']);
      c.splice(1, 0, [type, concat([[0x70, 0, 0], deflateBomb(1e8)])]);
      return c;
    }
    case 'flip':
      c[at] = [c[at][0], flip(rng, c[at][1])];
      return c;
    default: {
      // many-chunks: thousands of small ancillary chunks before the image data
      const many: Chunks = Array.from({ length: 1000 + rng.int(6000) }, () => ['tEXt', Uint8Array.from([0x61, 0])]);
      c.splice(1, 0, ...many);
      return c;
    }
  }
}

/** JPEG bytes as units: marker segments, and each scan's entropy-coded data glued to its SOS. */
function jpegUnits(bytes: Uint8Array): Uint8Array[] {
  const units: Uint8Array[] = [bytes.subarray(0, 2)];
  let at = 2;
  while (at + 4 <= bytes.length) {
    const marker = bytes[at + 1];
    if (marker === 0xd9) break;
    let end = at + 2 + ((bytes[at + 2] << 8) | bytes[at + 3]);
    if (marker === 0xda) {
      // entropy-coded data runs to the next marker that is not a stuffed 0xFF or RSTn
      while (end < bytes.length - 1 && !(bytes[end] === 0xff && bytes[end + 1] !== 0 && (bytes[end + 1] < 0xd0 || bytes[end + 1] > 0xd7))) end++;
    }
    units.push(bytes.subarray(at, end));
    at = end;
  }
  units.push(Uint8Array.from([0xff, 0xd9]));
  return units;
}

const JPEG_OPS = ['duplicate', 'drop', 'reorder', 'resize', 'scan-bomb', 'fake-sof', 'parameterless', 'flip', 'truncate', 'garbage-between'] as const;

function mutateJpeg(rng: Rng, units: Uint8Array[], ops: string[]): Uint8Array[] {
  if (units.length < 3) return units; // cut down to SOI and less: nothing left to mutate
  const op = pick(rng, JPEG_OPS);
  ops.push(op);
  const u = units.slice();
  // never the SOI itself
  const at = 1 + rng.int(Math.max(1, u.length - 2));
  switch (op) {
    case 'duplicate':
      u.splice(at, 0, u[at]);
      return u;
    case 'drop':
      u.splice(at, 1);
      return u;
    case 'reorder': {
      const other = 1 + rng.int(Math.max(1, u.length - 2));
      [u[at], u[other]] = [u[other], u[at]];
      return u;
    }
    case 'resize': {
      const unit = u[at].slice();
      if (unit.length >= 4) {
        const n = rng.int(0x10000);
        unit[2] = n >> 8;
        unit[3] = n & 0xff;
      }
      u[at] = unit;
      return u;
    }
    case 'scan-bomb': {
      const sos = u.find((x) => x[1] === 0xda) ?? segment(0xda, [1, 1, 0, 0, 0x3f, 0]);
      const header = sos.subarray(0, 2 + ((sos[2] << 8) | sos[3]));
      const count = pick(rng, [20, 40, 1000, 100_000]);
      u.splice(u.length - 1, 0, ...Array.from({ length: count }, () => header));
      return u;
    }
    case 'fake-sof': {
      const side = () => pick(rng, [0, 1, 64, 1024, 1025, 16384, 65535]);
      const sof = segment(pick(rng, [0xc0, 0xc2, 0xc1, 0xc9]), sofPayload(side(), side(), pick(rng, [1, 3, 4, 2])));
      u.splice(at, 0, rng.uniform() < 0.5 ? sof : segment(0xe1, sof));
      return u;
    }
    case 'parameterless':
      u.splice(at, 0, Uint8Array.from([0xff, pick(rng, [0x01, 0xd0, 0xd3, 0xd7, 0xd8, 0xff])]));
      return u;
    case 'flip':
      u[at] = flip(rng, u[at]);
      return u;
    case 'truncate': {
      const all = concat(u);
      return [all.subarray(0, rng.int(all.length))];
    }
    default:
      u.splice(at, 0, Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256)));
      return u;
  }
}

/** Mutant i of `seed`: one of `pngs` or `jpegs`, with one to three structural mutations. */
export function mutant(seed: number, i: number, pngs: Uint8Array[], jpegs: Uint8Array[]): Mutant {
  const rng = new Rng((seed * 1_000_003 + i * 7919) >>> 0);
  const ops: string[] = [];
  const rounds = 1 + rng.int(3);
  if (rng.uniform() < 0.5) {
    let chunks: Chunks = pngChunks(pick(rng, pngs)).map(([t, d]) => [t, d]);
    for (let r = 0; r < rounds; r++) chunks = mutatePng(rng, chunks, ops);
    return { type: 'image/png', bytes: pngOf(chunks), ops };
  }
  return mutatedJpeg(rng, rounds, jpegs, ops);
}

/** Mutant i of `seed` drawn from `jpegs` only (without building the PNG mutants in between). */
export function jpegMutant(seed: number, i: number, jpegs: Uint8Array[]): Mutant {
  const rng = new Rng((seed * 1_000_003 + i * 7919) >>> 0);
  return mutatedJpeg(rng, 1 + rng.int(3), jpegs, []);
}

function mutatedJpeg(rng: Rng, rounds: number, jpegs: Uint8Array[], ops: string[]): Mutant {
  let units = jpegUnits(pick(rng, jpegs));
  for (let r = 0; r < rounds; r++) units = mutateJpeg(rng, units, ops);
  return { type: 'image/jpeg', bytes: concat(units), ops };
}
