/**
 * edge/inference/version.ts against a hash computed here with Node's crypto over the documented layout:
 * for each edge model in EDGE_MODEL_IDS order `id:file:byteLength\n` and its bytes, then
 * `onnxruntime-web@<version>\n`, the PNG grid and the JSON tiles of the fixed probe image; the first 12 hex
 * digits of the SHA-256. And: changing any one model file, or its name, changes the version.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeGrid, encodeTiles } from '../../edge/encoding/images';
import type { ModelFiles } from '../../edge/inference/model-store';
import { RUNTIME } from '../../edge/inference/ort';
import { modelVersion } from '../../edge/inference/version';

const ORDER = ['generator', 'decoder', 'cgan-generator', 'encoder', 'classifier', 'recognizer'] as const;
const ORT_WEB_VERSION = (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../node_modules/onnxruntime-web/package.json'), 'utf8')) as { version: string }).version;

/** Small stand-in files: the version hashes bytes, it does not parse them. */
function files(variant: number): ModelFiles {
  return Object.fromEntries(
    ORDER.map((id, k) => [id, { file: `${id}.f16.onnx`, bytes: Uint8Array.from({ length: 3 + k + variant }, (_, i) => (i * 37 + k * 11 + variant * 101) & 0xff).buffer }]),
  ) as ModelFiles;
}

async function expectedVersion(f: ModelFiles): Promise<string> {
  const hash = createHash('sha256');
  for (const id of ORDER) {
    hash.update(`${id}:${f[id].file}:${f[id].bytes.byteLength}\n`);
    hash.update(new Uint8Array(f[id].bytes));
  }
  hash.update(`onnxruntime-web@${ORT_WEB_VERSION}\n`);
  // the probe: two tiles of (i mod 251) / 250
  const probe = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 251) / 250);
  hash.update(await encodeGrid(probe, 2, 3));
  hash.update((await encodeTiles(probe, 2)).join('\n'));
  return hash.digest('hex').slice(0, 12);
}

describe('modelVersion', () => {
  it('names the runtime as onnxruntime-web@<its package version>', () => {
    expect(RUNTIME).toBe(`onnxruntime-web@${ORT_WEB_VERSION}`);
  });

  it('is the first 12 hex digits of SHA-256 over the models, the runtime and the probe\'s encodings', async () => {
    let leadingZero = false;
    for (let variant = 0; variant < 8; variant++) {
      const want = await expectedVersion(files(variant));
      if (/^(..)*0/.test(want)) leadingZero = true;
      expect(await modelVersion(files(variant)), `variant ${variant}`).toBe(want);
    }
    expect(leadingZero).toBe(true); // some digest byte below 0x10 was checked: its leading 0 is kept
  });

  it('changes when any one model file changes by one byte, or is renamed', async () => {
    const base = await modelVersion(files(0));
    for (const id of ORDER) {
      const changed = files(0);
      const bytes = new Uint8Array(changed[id].bytes);
      bytes[bytes.length - 1] ^= 1;
      expect(await modelVersion(changed), `${id} bytes`).not.toBe(base);
      const renamed = files(0);
      renamed[id] = { ...renamed[id], file: `${id}.onnx` };
      expect(await modelVersion(renamed), `${id} name`).not.toBe(base);
    }
  });

  it('tells a byte moved from one file to the next apart (the sizes are hashed too)', async () => {
    const a = files(0);
    const b = files(0);
    const gen = new Uint8Array(a.generator.bytes);
    const dec = new Uint8Array(a.decoder.bytes);
    b.generator = { ...b.generator, bytes: gen.slice(0, -1).buffer };
    b.decoder = { ...b.decoder, bytes: Uint8Array.from([gen[gen.length - 1], ...dec]).buffer };
    expect(await modelVersion(b)).not.toBe(await modelVersion(a));
  });

  it('does not depend on the order the files are listed in the record', async () => {
    const f = files(2);
    const reversed = Object.fromEntries(Object.entries(f).reverse()) as ModelFiles;
    expect(await modelVersion(reversed)).toBe(await modelVersion(f));
  });
});
