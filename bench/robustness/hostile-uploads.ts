/**
 * Hostile uploads for POST /v1/encode, /v1/classify and /v1/interpolate, drawn deterministically from a
 * seed (core/rng): valid pictures with flipped bytes, cut short, with forged headers (huge dimensions, a
 * decompression bomb), under the wrong Content-Type, as junk multipart and JSON. Every response must keep
 * the rules of bad-requests.ts `checkResponse`: never a 5xx, every 4xx the JSON error shape. Used by
 * test/robustness/uploads.test.ts (inside workerd) and the bench's uploads stage.
 */
import { zlibSync } from 'fflate';
import { encode } from 'fast-png';
import { Rng } from '../../core/rng';

export interface HostileUpload {
  path: string;
  headers: Record<string, string>;
  body: Uint8Array;
  kind: string;
}

const PATHS = ['/v1/encode', '/v1/classify', '/v1/encode?format=png', '/v1/interpolate?to_digit=3&seed=1', '/v1/interpolate?to_seed=2'];
const TYPES = ['image/png', 'image/jpeg', 'image/png', 'image/jpeg', 'image/gif', 'text/plain', '', 'application/octet-stream', 'IMAGE/PNG; x=y'];

function picture(): Uint8Array {
  const side = 48;
  const data = new Uint8Array(side * side).fill(255);
  for (let y = 8; y < 40; y++) data.fill(0, y * side + 20, y * side + 28);
  return encode({ width: side, height: side, data, channels: 1, depth: 8 });
}

/** A minimal baseline JPEG header (SOI, SOF0) declaring the size, with `tail` after it. */
function jpegWith(width: number, height: number, tail: Uint8Array): Uint8Array {
  const head = [0xff, 0xd8, 0xff, 0xc0, 0x00, 0x0b, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x01, 0x01, 0x11, 0x00];
  const out = new Uint8Array(head.length + tail.length);
  out.set(head);
  out.set(tail, head.length);
  return out;
}

const BASE = picture();

function setU32(bytes: Uint8Array, at: number, value: number) {
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(at, value >>> 0);
}

function mutate(rng: Rng): { body: Uint8Array; kind: string } {
  const roll = rng.int(9);
  const bytes = BASE.slice();
  switch (roll) {
    case 0: {
      for (let k = 0; k < 1 + rng.int(30); k++) bytes[rng.int(bytes.length)] ^= 1 + rng.int(255);
      return { body: bytes, kind: 'flipped-bytes' };
    }
    case 1:
      return { body: bytes.slice(0, rng.int(bytes.length)), kind: 'truncated' };
    case 2: {
      setU32(bytes, 16, 1 + rng.int(0xffffffff));
      setU32(bytes, 20, 1 + rng.int(70000));
      return { body: bytes, kind: 'forged-dimensions' };
    }
    case 3: {
      // IHDR 48x48 but image data that inflates far past it
      const bomb = zlibSync(new Uint8Array(1 << (16 + rng.int(5)))); // 64 KB..1 MB of zeros
      const out = new Uint8Array(bytes.length + bomb.length);
      out.set(bytes.subarray(0, 33));
      out.set([0, 0, 0, 0], 33); // the chunk's length is fixed below
      setU32(out, 33, bomb.length);
      out.set([0x49, 0x44, 0x41, 0x54], 37);
      out.set(bomb, 41);
      return { body: out.subarray(0, 41 + bomb.length + 4), kind: 'inflate-bomb' };
    }
    case 4:
      return { body: Uint8Array.from({ length: rng.int(3000) }, () => rng.int(256)), kind: 'random-bytes' };
    case 5:
      return { body: jpegWith(1 + rng.int(70000), 1 + rng.int(70000), Uint8Array.from({ length: rng.int(400) }, () => rng.int(256))), kind: 'forged-jpeg' };
    case 6:
      return { body: new Uint8Array(0), kind: 'empty' };
    case 7: {
      const junk = Uint8Array.from({ length: rng.int(200) }, () => rng.int(256));
      const out = new Uint8Array(bytes.length + junk.length);
      out.set(junk);
      out.set(bytes, junk.length);
      return { body: out, kind: 'garbage-prefix' };
    }
    default:
      return { body: bytes, kind: 'valid' };
  }
}

function multipart(rng: Rng, image: Uint8Array): { body: Uint8Array; type: string; kind: string } {
  const boundary = 'x' + rng.int(1e9);
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  const names = ['from', 'to', 'from', 'steps', 'to_digit', 'junk', ''];
  for (let k = 0; k < 1 + rng.int(3); k++) {
    const name = names[rng.int(names.length)];
    const file = rng.uniform() < 0.6;
    parts.push(enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? '; filename="a.png"\r\nContent-Type: image/png' : ''}\r\n\r\n`));
    parts.push(file ? image : enc.encode(['3', '99', '-1', 'x', ''][rng.int(5)]));
    parts.push(enc.encode('\r\n'));
  }
  if (rng.uniform() < 0.8) parts.push(enc.encode(`--${boundary}--\r\n`));
  const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    body.set(p, at);
    at += p.length;
  }
  const type = rng.uniform() < 0.9 ? `multipart/form-data; boundary=${boundary}` : 'multipart/form-data';
  return { body, type, kind: 'multipart' };
}

/** Upload i of the stream for `seed`; the same (seed, i) always gives the same request. */
export function hostileUpload(seed: number, i: number): HostileUpload {
  const rng = new Rng((seed * 2_000_003 + i) >>> 0);
  const path = PATHS[rng.int(PATHS.length)];
  const { body, kind } = mutate(rng);
  if (path.startsWith('/v1/interpolate') && rng.uniform() < 0.5) {
    if (rng.uniform() < 0.5) {
      const form = multipart(rng, body);
      return { path: '/v1/interpolate?steps=4', headers: { 'Content-Type': form.type }, body: form.body, kind: `${form.kind}+${kind}` };
    }
    const json = ['{"from": "', '{"from": 1}', '[', '{"from": "iVBOR", "to": "!!"}', '{"steps": 1e99, "from": "'][rng.int(5)];
    return { path, headers: { 'Content-Type': 'application/json' }, body: new TextEncoder().encode(json + '"}'), kind: 'json' };
  }
  const type = TYPES[rng.int(TYPES.length)];
  return { path, headers: type ? { 'Content-Type': type } : {}, body, kind };
}
