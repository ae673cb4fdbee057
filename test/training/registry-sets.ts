/**
 * Model sets for the registry tests: real, servable variants of the committed MNIST set. `variantSet` serves
 * the float32-weight files of some models under their float16 keys (other bytes, other pixels, so another
 * content-addressed version) and writes manifest.json beside the files, as the publish CLI takes a set.
 */
import { createHash } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { manifestSchema, type Manifest } from '../../core/manifest';

const MODELS = resolve(import.meta.dirname, '../../models');

export async function variantSet(dir: string, swap: string[], runId: string): Promise<Manifest> {
  const committed = manifestSchema.parse(JSON.parse(await readFile(join(MODELS, 'manifest.json'), 'utf8')));
  const models = { ...committed.models };
  for (const [key, entry] of Object.entries(committed.models)) {
    if (!key.endsWith('.f16')) continue;
    const id = key.slice(0, -'.f16'.length);
    const source = swap.includes(id) ? committed.models[id].file : entry.file;
    await copyFile(join(MODELS, source), join(dir, entry.file));
    const bytes = await readFile(join(dir, entry.file));
    models[key] = { ...entry, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length, weights: swap.includes(id) ? 'float32' : entry.weights };
  }
  const manifest = manifestSchema.parse({ ...committed, run_id: runId, created_at: new Date().toISOString(), models });
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  return manifest;
}
