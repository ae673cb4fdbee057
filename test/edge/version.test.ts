/**
 * edge/inference/version.ts against hashes computed here with Node's crypto over the documented layouts:
 * - the set version: SHA-256 over one line `<model id>:<sha256>\n` per served model, sorted by id, first 12
 *   hex digits; it equals the version core/manifest.ts `setVersion` gives the publish CLI for the same files,
 *   and the committed models/ set gets the same version from its manifest as from its bytes;
 * - the engine fingerprint: `onnxruntime-web@<version>\n`, the PNG grid and the JSON tiles of the probe image.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { servedHashes } from '../../core/manifest';
import { encodeGrid, encodeTiles } from '../../edge/encoding/images';
import { EDGE_MODEL_IDS, ModelStore } from '../../edge/inference/model-store';
import { RUNTIME } from '../../edge/inference/ort';
import { engineFingerprint, setVersionOf } from '../../edge/inference/version';
import { edgeModelFiles } from './edge-models';

const ROOT = resolve(import.meta.dirname, '../..');
const ORT_WEB_VERSION = (JSON.parse(readFileSync(resolve(ROOT, 'node_modules/onnxruntime-web/package.json'), 'utf8')) as { version: string }).version;
const sha = (text: string) => createHash('sha256').update(text).digest('hex');

describe('setVersionOf', () => {
  it('is the first 12 hex digits of SHA-256 over the sorted `id:sha256` lines', async () => {
    let leadingZero = false;
    for (let variant = 0; variant < 12; variant++) {
      const hashes = { generator: sha(`g${variant}`), decoder: sha(`d${variant}`), classifier: sha(`c${variant}`) };
      const lines = `classifier:${hashes.classifier}\ndecoder:${hashes.decoder}\ngenerator:${hashes.generator}\n`;
      const want = sha(lines).slice(0, 12);
      if (/^(..)*0/.test(want)) leadingZero = true;
      expect(await setVersionOf(hashes), `variant ${variant}`).toBe(want);
    }
    expect(leadingZero).toBe(true); // some digest byte below 0x10 was checked: its leading 0 is kept
  });

  it('changes with any one file hash and with the set of models; not with the order they are listed in', async () => {
    const base = { generator: sha('g'), decoder: sha('d') };
    expect(await setVersionOf({ decoder: base.decoder, generator: base.generator })).toBe(await setVersionOf(base));
    expect(await setVersionOf({ ...base, decoder: sha('d2') })).not.toBe(await setVersionOf(base));
    expect(await setVersionOf({ generator: base.generator })).not.toBe(await setVersionOf(base));
    // the hash of a model under another id is another set
    expect(await setVersionOf({ generator: base.decoder, decoder: base.generator })).not.toBe(await setVersionOf(base));
  });

  it('the committed models/: the manifest\'s hashes and the bytes the store loads give one version', async () => {
    const manifest = JSON.parse(readFileSync(resolve(ROOT, 'models/manifest.json'), 'utf8'));
    const fromManifest = await setVersionOf(servedHashes(manifest, EDGE_MODEL_IDS));
    const loaded = await new ModelStore(edgeModelFiles()).load();
    expect(loaded.version).toBe(fromManifest);
  });
});

describe('engineFingerprint', () => {
  it('names the runtime as onnxruntime-web@<its package version>', () => {
    expect(RUNTIME).toBe(`onnxruntime-web@${ORT_WEB_VERSION}`);
  });

  it('is SHA-256 over the runtime and the probe\'s encodings', async () => {
    const hash = createHash('sha256');
    hash.update(`onnxruntime-web@${ORT_WEB_VERSION}\n`);
    const probe = Float32Array.from({ length: 2 * 784 }, (_, i) => (i % 251) / 250);
    hash.update(await encodeGrid(probe, 2, 3));
    hash.update((await encodeTiles(probe, 2)).join('\n'));
    expect(await engineFingerprint()).toBe(hash.digest('hex').slice(0, 12));
  });
});
