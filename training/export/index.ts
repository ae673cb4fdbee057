/**
 * The ONNX export toolchain: trained tfjs models -> verified ONNX files in a staging directory
 * (exportModels), then moved into models/ with the manifest last (publishModels).
 *
 * Staged layout: <file>.onnx for every model, <file>.f16.onnx for edge models, tfjs/<modelId>/ (a copy
 * of the source so models/ can always re-export and re-check). Manifest keys are the file names without
 * ".onnx": "decoder" (float32) and "decoder.f16" (float16).
 */
import { access, copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type * as tf from '@tensorflow/tfjs';
import { MODEL_IDS, MODEL_SPECS, type ModelId } from '../../core/contract';
import { manifestSchema, type Manifest, type ModelEntry } from '../../core/manifest';
import { loadModel } from '../model-io';
import { FLOAT16_MAX_PIXEL_DIFF, FLOAT16_MAX_PROBABILITY_DIFF, measureFloat16 } from './float16-check';
import { assertMatchesContract, FLOAT32_TOLERANCE, manifestKey, PARITY_ROWS, stageModelFile, verifyFloat32Parity } from './export-model';
import { moveFile, sha256File } from './files';
import { MANIFEST_FILE } from './manifest-file';

export { composeManifest, readManifest, MANIFEST_FILE } from './manifest-file';
export { convertLayersModel } from './convert';
export { UnsupportedLayerError, SUPPORTED_LAYERS, SUPPORTED_ACTIVATIONS } from './layers';

export interface ExportOptions {
  tfjsDir: string; // holds <modelId>/model.json for every id in MODEL_IDS
  outDir: string; // a staging directory; <file>.onnx and <f16 file> are written here
  runId: string;
  log?: (line: string) => void;
}

export interface ExportResult {
  models: Record<string, ModelEntry>;
  checks: Record<string, unknown>;
}

export const TFJS_SUBDIR = 'tfjs';

/** Exports every contract model and verifies it; throws with a clear message if any check fails. */
export async function exportModels(opts: ExportOptions): Promise<ExportResult> {
  const log = opts.log ?? (() => {});
  await mkdir(opts.outDir, { recursive: true });
  const models: Record<string, ModelEntry> = {};
  const checkModel: Record<string, string> = {};
  const parity: Record<string, Record<string, number>> = {};
  const sizes: Record<string, { bytes: number; gzip_bytes: number }> = {};
  const tfjsModels: Partial<Record<ModelId, tf.LayersModel>> = {};
  const float16Files: Partial<Record<ModelId, Uint8Array>> = {};

  try {
    for (const [i, id] of MODEL_IDS.entries()) {
      const spec = MODEL_SPECS[id];
      const started = Date.now();
      const sourceDir = join(opts.tfjsDir, id);
      const model = await loadModel(sourceDir);
      tfjsModels[id] = model;
      assertMatchesContract(model, spec);

      const variants = spec.edge ? (['float32', 'float16'] as const) : (['float32'] as const);
      const fileSizes: string[] = [];
      for (const weights of variants) {
        const staged = await stageModelFile(model, spec, weights, { outDir: opts.outDir, runId: opts.runId });
        const key = manifestKey(staged.entry.file);
        models[key] = staged.entry;
        checkModel[key] = staged.checkModel.status === 'passed' ? 'passed' : `absent: ${staged.checkModel.reason}`;
        sizes[key] = { bytes: staged.bytes.length, gzip_bytes: gzipSync(staged.bytes, { level: 9 }).length };
        fileSizes.push(`${staged.entry.file} ${(staged.bytes.length / 1024).toFixed(0)} KiB`);
        if (weights === 'float32') parity[id] = await verifyFloat32Parity(model, spec, staged.bytes);
        else float16Files[id] = staged.bytes;
      }
      await copyTfjsModel(sourceDir, join(opts.outDir, TFJS_SUBDIR, id));

      const diffs = Object.entries(parity[id]).map(([rt, d]) => `${rt} ${d.toExponential(2)}`).join(', ');
      log(`[${i + 1}/${MODEL_IDS.length}] ${id}: ${fileSizes.join(', ')}; max abs diff vs tfjs ${diffs}; check-model ${checkModel[id]} (${Date.now() - started} ms)`);
    }

    const edgeIds = Object.keys(float16Files).join(', ');
    log(`float16: measuring ${edgeIds} against tfjs ...`);
    const float16 = await measureFloat16(tfjsModels, float16Files);
    for (const [id, r] of Object.entries(float16)) {
      const measured =
        r.pixel_max_abs_diff === null
          ? `probability max abs diff ${r.probability_max_abs_diff?.toExponential(2)}, argmax changed for ${r.argmax_changed} of rows`
          : `pixel max abs diff ${r.pixel_max_abs_diff.toExponential(2)}`;
      log(`  ${id}.f16: output max abs diff ${r.output_max_abs_diff.toExponential(2)}, ${measured} over ${r.rows} inputs`);
    }
    return {
      models,
      checks: {
        check_model: checkModel,
        float32_parity: { tolerance: FLOAT32_TOLERANCE, rows: PARITY_ROWS, max_abs_diff: parity },
        float16: { max_pixel_diff_allowed: FLOAT16_MAX_PIXEL_DIFF, max_probability_diff_allowed: FLOAT16_MAX_PROBABILITY_DIFF, models: float16 },
        sizes,
      },
    };
  } finally {
    for (const model of Object.values(tfjsModels)) model.dispose();
  }
}

async function copyTfjsModel(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) {
    if (!name.endsWith('.tmp')) await copyFile(join(from, name), join(to, name));
  }
}

/**
 * Moves staged files into modelsDir, tfjs copies next, manifest.json last (written beside, then renamed),
 * so models/ never holds a manifest describing files that are not there. Removes the staging directory.
 */
export async function publishModels(opts: { stagingDir: string; modelsDir: string; manifest: Manifest }): Promise<void> {
  const manifest = manifestSchema.parse(opts.manifest);
  // Nothing moves unless every file the manifest names is staged with the recorded hash.
  for (const [key, entry] of Object.entries(manifest.models)) {
    const staged = join(opts.stagingDir, entry.file);
    const actual = await sha256File(staged).catch(() => {
      throw new Error(`manifest entry "${key}" names ${entry.file}, which is not in ${opts.stagingDir}`);
    });
    if (actual !== entry.sha256) throw new Error(`staged ${entry.file} has sha256 ${actual}, the manifest says ${entry.sha256}`);
  }
  await mkdir(opts.modelsDir, { recursive: true });
  for (const entry of Object.values(manifest.models)) await moveFile(join(opts.stagingDir, entry.file), join(opts.modelsDir, entry.file));

  const stagedTfjs = join(opts.stagingDir, TFJS_SUBDIR);
  if (await exists(stagedTfjs)) {
    for (const id of await readdir(stagedTfjs)) {
      const target = join(opts.modelsDir, TFJS_SUBDIR, id);
      await mkdir(target, { recursive: true });
      // weights before model.json: a model.json always arrives after the weights it describes
      const names = (await readdir(join(stagedTfjs, id))).sort((a, b) => Number(a === 'model.json') - Number(b === 'model.json'));
      for (const name of names) await moveFile(join(stagedTfjs, id, name), join(target, name));
    }
  }

  const manifestPath = join(opts.modelsDir, MANIFEST_FILE);
  await mkdir(dirname(manifestPath), { recursive: true });
  await writeFile(`${manifestPath}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  await moveFile(`${manifestPath}.tmp`, manifestPath);
  await rm(opts.stagingDir, { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
