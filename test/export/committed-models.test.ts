/**
 * The committed artifacts in models/: manifest.json describes exactly the ONNX files on disk (sha256,
 * size, contract tensors), every file passes check-model, and each float32 model reproduces its
 * committed tfjs source (models/tfjs/<modelId>) in onnxruntime-node and onnxruntime-web.
 * MODELS_DIR=<dir> points the test elsewhere (e.g. a provisional export under /tmp).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float16File, MODEL_IDS, MODEL_SPECS, type ModelId } from '../../core/contract';
import type { Manifest } from '../../core/manifest';
import { loadModel } from '../../training/model-io';
import { FLOAT32_TOLERANCE, manifestKey, PARITY_SEED, specTensors } from '../../training/export/export-model';
import { sha256File } from '../../training/export/files';
import { FLOAT16_MAX_PIXEL_DIFF, FLOAT16_MAX_PROBABILITY_DIFF, measureFloat16 } from '../../training/export/float16-check';
import { MANIFEST_FILE, readManifest } from '../../training/export/manifest-file';
import { decodeModel } from '../../training/export/onnx-graph';
import { compareWithSession, parityCase } from '../../training/export/parity';
import { createSession, RUNTIMES } from '../../training/export/runtimes';
import { expectCheckModelPasses, useTestBackend } from './helpers';

const MODELS_DIR = resolve(process.env.MODELS_DIR ?? 'models');
let manifest: Manifest;
const tfjsModels: Partial<Record<ModelId, tf.LayersModel>> = {};

beforeAll(async () => {
  const found = await readManifest(join(MODELS_DIR, MANIFEST_FILE));
  if (!found) {
    throw new Error(`${join(MODELS_DIR, MANIFEST_FILE)} does not exist: no exported models are committed yet (train, then \`npm run export\`)`);
  }
  manifest = found;
  await useTestBackend();
  for (const id of MODEL_IDS) tfjsModels[id] = await loadModel(join(MODELS_DIR, 'tfjs', id));
});
afterAll(() => {
  for (const model of Object.values(tfjsModels)) model.dispose();
});

describe(`committed models in ${MODELS_DIR}`, () => {
  it('the manifest lists float32 files for every model, float16 files for edge models, with contract tensors', () => {
    for (const id of MODEL_IDS) {
      const spec = MODEL_SPECS[id];
      const files = spec.edge ? [spec.file, float16File(spec.file)] : [spec.file];
      for (const file of files) {
        const entry = manifest.models[manifestKey(file)];
        expect(entry, `manifest entry ${manifestKey(file)}`).toBeDefined();
        expect(entry.file).toBe(file);
        expect(entry.inputs.map(({ name, shape }) => ({ name, shape }))).toEqual(spec.inputs);
        expect(entry.outputs.map(({ name, shape }) => ({ name, shape }))).toEqual(spec.outputs);
        expect(entry.weights).toBe(file.endsWith('.f16.onnx') ? 'float16' : 'float32');
        expect(entry.opset).toBeLessThanOrEqual(17);
        expect(entry.ir_version).toBeLessThanOrEqual(8);
      }
    }
  });

  it('every sha256 and byte size in the manifest matches the file on disk, and no ONNX file is unlisted', async () => {
    for (const [key, entry] of Object.entries(manifest.models)) {
      const file = join(MODELS_DIR, entry.file);
      expect(await sha256File(file), `${key}: ${entry.file}`).toBe(entry.sha256);
      expect((await readFile(file)).length, `${key}: ${entry.file}`).toBe(entry.bytes);
    }
    const onDisk = (await readdir(MODELS_DIR)).filter((f) => f.endsWith('.onnx')).sort();
    expect(onDisk).toEqual(Object.values(manifest.models).map((e) => e.file).sort());
  });

  it('check-model (python3-onnx) accepts every ONNX file', async () => {
    const files = (await readdir(MODELS_DIR)).filter((f) => f.endsWith('.onnx'));
    expect(files.length).toBeGreaterThan(0);
    await Promise.all(files.map((f) => expectCheckModelPasses(join(MODELS_DIR, f))));
  });

  it('every file carries the manifest run id and the contract role in its metadata', async () => {
    for (const entry of Object.values(manifest.models)) {
      const meta = Object.fromEntries(decodeModel(await readFile(join(MODELS_DIR, entry.file))).metadataProps.map((p) => [p.key, p.value]));
      expect(meta.run_id, entry.file).toBe(manifest.run_id);
      expect(meta.role, entry.file).toBe(entry.role);
    }
  });

  for (const id of MODEL_IDS) {
    it(`${id}: float32 ONNX matches models/tfjs/${id} to ${FLOAT32_TOLERANCE} in onnxruntime-node and -web`, async () => {
      const spec = MODEL_SPECS[id];
      const bytes = await readFile(join(MODELS_DIR, spec.file));
      const testCase = parityCase(tfjsModels[id]!, specTensors(spec), 256, PARITY_SEED + 1);
      for (const runtime of RUNTIMES) {
        const session = await createSession(runtime, bytes);
        const diffs = await compareWithSession(session, testCase);
        await session.release();
        for (const [output, diff] of Object.entries(diffs)) expect(diff, `${output} in ${runtime}`).toBeLessThanOrEqual(FLOAT32_TOLERANCE);
      }
    });
  }

  it(`float16 edge models change pixels by at most ${FLOAT16_MAX_PIXEL_DIFF.toFixed(4)} (2/255), probabilities by at most ${FLOAT16_MAX_PROBABILITY_DIFF}`, async () => {
    const float16Files: Partial<Record<ModelId, Uint8Array>> = {};
    for (const id of MODEL_IDS.filter((m) => MODEL_SPECS[m].edge)) {
      float16Files[id] = await readFile(join(MODELS_DIR, float16File(MODEL_SPECS[id].file)));
    }
    // measureFloat16 throws above the bound; the numbers are asserted too in case that ever changes
    const reports = await measureFloat16(tfjsModels, float16Files, 512);
    for (const r of Object.values(reports)) {
      if (r.pixel_max_abs_diff === null) expect(r.probability_max_abs_diff).toBeLessThanOrEqual(FLOAT16_MAX_PROBABILITY_DIFF);
      else expect(r.pixel_max_abs_diff).toBeLessThanOrEqual(FLOAT16_MAX_PIXEL_DIFF);
    }
  });
});
