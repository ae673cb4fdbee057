/**
 * exportModels + publishModels end to end on models built by the real builders (random weights), and
 * the ways they must refuse: a missing model, an unsupported layer, a staged file that changed, the quality
 * gate, an absent check-model.
 */
import { execFile } from 'node:child_process';
import { access, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATENT_DIM, MODEL_IDS, MODEL_SPECS, NOISE_DIM, TENSOR, type ModelId } from '../../core/contract';
import { manifestSchema } from '../../core/manifest';
import { saveModel } from '../../training/model-io';
import { buildConditionalGenerator, buildDecoder, buildEncoder, buildEvaluator, buildGenerator, buildRecognizer } from '../../training/models/architectures';
import { buildDistilledClassifier } from '../../training/stages/distilled-classifier';
import { composeManifest, exportModels, publishModels, type ExportResult } from '../../training/export/index';
import { decodeModel } from '../../training/export/onnx-graph';
import { sha256File } from '../../training/export/files';
import { FULL_CONFIG } from '../../training/config';
import { useTestBackend } from './helpers';

const BUILDERS: Record<ModelId, () => tf.LayersModel> = {
  decoder: () => buildDecoder(),
  encoder: () => buildEncoder(),
  generator: () => buildGenerator(FULL_CONFIG.gan),
  'cgan-generator': () => buildConditionalGenerator(FULL_CONFIG.cgan),
  classifier: buildDistilledClassifier,
  evaluator: buildEvaluator,
  recognizer: () => buildRecognizer(FULL_CONFIG.recognizer.hidden, FULL_CONFIG.recognizer.dropout),
};

let root = '';
let tfjsDir = '';
let stagingDir = '';
let result: ExportResult;
const logLines: string[] = [];

const exists = (p: string) => access(p).then(() => true, () => false);

beforeAll(async () => {
  await useTestBackend();
  root = await mkdtemp(join(tmpdir(), 'export-models-'));
  tfjsDir = join(root, 'tfjs');
  for (const id of MODEL_IDS) {
    const model = BUILDERS[id]();
    await saveModel(model, join(tfjsDir, id));
    model.dispose();
  }
  stagingDir = join(root, 'staging');
  result = await exportModels({ tfjsDir, outDir: stagingDir, runId: 'test-run', log: (l) => logLines.push(l) });
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('exportModels', () => {
  it('stages float32 files for every model and float16 files for edge models, with matching entries', async () => {
    const expected = MODEL_IDS.flatMap((id) => (MODEL_SPECS[id].edge ? [id, `${id}.f16`] : [id]));
    expect(Object.keys(result.models).sort()).toEqual(expected.sort());
    for (const [key, entry] of Object.entries(result.models)) {
      const file = join(stagingDir, entry.file);
      expect(await sha256File(file), key).toBe(entry.sha256);
      expect((await readFile(file)).length).toBe(entry.bytes);
      expect(entry.weights).toBe(key.endsWith('.f16') ? 'float16' : 'float32');
    }
    expect(await readdir(join(stagingDir, 'tfjs'))).toEqual(expect.arrayContaining([...MODEL_IDS]));
  });

  it('writes contract tensor names, a dynamic batch and the metadata the issue asks for', async () => {
    for (const id of MODEL_IDS) {
      const spec = MODEL_SPECS[id];
      const model = decodeModel(await readFile(join(stagingDir, spec.file)));
      const graph = model.graph!;
      expect(graph.input!.map((t) => t.name)).toEqual(spec.inputs.map((t) => t.name));
      expect(graph.output!.map((t) => t.name)).toEqual(spec.outputs.map((t) => t.name));
      for (const t of [...graph.input!, ...graph.output!]) expect(t.type!.tensorType!.shape!.dim![0].dimParam).toBe('N');
      const meta = Object.fromEntries(model.metadataProps.map((p) => [p.key, p.value]));
      expect(meta).toMatchObject({ model_id: id, role: spec.role, run_id: 'test-run', latent_size: String(LATENT_DIM), noise_size: String(NOISE_DIM) });
    }
  });

  it('records parity within 1e-5 in both runtimes, the float16 pixel error, and sizes', () => {
    const checks = result.checks as {
      float32_parity: { max_abs_diff: Record<string, Record<string, number>> };
      float16: { models: Record<string, { pixel_max_abs_diff: number | null; probability_max_abs_diff?: number; rows: number }> };
      sizes: Record<string, { bytes: number; gzip_bytes: number }>;
    };
    for (const id of MODEL_IDS) {
      const byRuntime = checks.float32_parity.max_abs_diff[id];
      expect(Object.keys(byRuntime).sort()).toEqual(['onnxruntime-node', 'onnxruntime-web']);
      for (const d of Object.values(byRuntime)) expect(d).toBeLessThanOrEqual(1e-5);
    }
    for (const id of MODEL_IDS.filter((m) => MODEL_SPECS[m].edge)) {
      const f16 = checks.float16.models[id];
      // class probabilities are bounded in probability, everything else in pixels
      if (MODEL_SPECS[id].outputs[0].name === TENSOR.probabilities) expect(f16.probability_max_abs_diff).toBeLessThanOrEqual(0.005);
      else expect(f16.pixel_max_abs_diff).toBeLessThanOrEqual(2 / 255);
      expect(checks.float16.models[id].rows).toBeGreaterThanOrEqual(1024);
      // half the weight bytes, plus a fixed cost (graph, metadata, Cast nodes) that shows in tiny models like the classifier
      expect(checks.sizes[`${id}.f16`].bytes).toBeLessThan(Math.max(0.55 * checks.sizes[id].bytes, 0.5 * checks.sizes[id].bytes + 4096));
    }
    expect(logLines.filter((l) => new RegExp(`^\\[\\d/${MODEL_IDS.length}\\]`).test(l))).toHaveLength(MODEL_IDS.length);
  });

  it('fails naming the missing model when the tfjs dir is incomplete', async () => {
    const partial = join(root, 'partial');
    await saveModel(buildDecoder(), join(partial, 'decoder'));
    await expect(exportModels({ tfjsDir: partial, outDir: join(root, 'partial-out'), runId: 'x' })).rejects.toThrow(/encoder[/\\]model\.json/);
  });

  it('fails on an unsupported layer with its name and class and writes no file for that model', async () => {
    const bad = join(root, 'bad');
    const latent = tf.input({ shape: [LATENT_DIM], name: 'latent' });
    const h = tf.layers.prelu({ name: 'odd_prelu' }).apply(latent) as tf.SymbolicTensor;
    const image = tf.layers.dense({ units: 784, activation: 'sigmoid' }).apply(h) as tf.SymbolicTensor;
    await saveModel(tf.model({ inputs: latent, outputs: image }), join(bad, 'decoder'));
    const out = join(root, 'bad-out');
    await expect(exportModels({ tfjsDir: bad, outDir: out, runId: 'x' })).rejects.toThrow(/layer "odd_prelu" \(class PReLU\)/);
    expect(await exists(join(out, 'decoder.onnx'))).toBe(false);
  });

  it('fails when a model does not have the contract shapes', async () => {
    const wrong = join(root, 'wrong');
    await saveModel(buildDecoder([64]), join(wrong, 'decoder')); // fine
    const input = tf.input({ shape: [LATENT_DIM + 1], name: 'latent' });
    const out = tf.layers.dense({ units: 784 }).apply(input) as tf.SymbolicTensor;
    await saveModel(tf.model({ inputs: input, outputs: out }), join(wrong, 'decoder'));
    await expect(exportModels({ tfjsDir: wrong, outDir: join(root, 'wrong-out'), runId: 'x' })).rejects.toThrow(
      /"decoder" has input feature shapes \[17\]; core\/contract.ts expects \[16\]/,
    );
  });
});

describe('publishModels', () => {
  it('refuses to publish a staged file whose hash is not the manifest\'s, touching nothing', async () => {
    const manifest = composeManifest(result, { runId: 'test-run', dataset: 'mnist', seed: 1, quick: true, metrics: {} });
    const tampered = join(root, 'tampered');
    await rm(tampered, { recursive: true, force: true });
    const { cp } = await import('node:fs/promises');
    await cp(stagingDir, tampered, { recursive: true });
    await writeFile(join(tampered, 'generator.onnx'), 'not the exported bytes');
    const modelsDir = join(root, 'models-refused');
    await expect(publishModels({ fromDir: tampered, modelsDir, manifest, force: true })).rejects.toThrow(/generator\.onnx has sha256 [0-9a-f]{64}, the manifest says/);
    expect(await exists(modelsDir)).toBe(false);
  });

  it('refuses a quick run\'s set at the quality gate unless forced', async () => {
    const manifest = composeManifest(result, { runId: 'test-run', dataset: 'mnist', seed: 1, quick: true, metrics: { ae: { test_bce: 0.08 } } });
    const modelsDir = join(root, 'models-gated');
    await expect(publishModels({ fromDir: stagingDir, modelsDir, manifest })).rejects.toThrow(/quality gate: 11 of the floors in core\/quality-floors\.ts missed/);
    expect(await exists(modelsDir)).toBe(false);
  });

  it('forced: puts every file in place in one step, keeps training metrics, records the gate, leaves the staging dir', async () => {
    const manifest = composeManifest(result, { runId: 'test-run', dataset: 'mnist', seed: 1, quick: true, metrics: { ae: { test_bce: 0.08 } } });
    const modelsDir = join(root, 'models');
    await publishModels({ fromDir: stagingDir, modelsDir, manifest, force: true });
    const written = manifestSchema.parse(JSON.parse(await readFile(join(modelsDir, 'manifest.json'), 'utf8')));
    expect(written.metrics.ae).toEqual({ test_bce: 0.08 });
    expect(written.metrics.export).toEqual(result.checks);
    expect(written.quality_gate).toMatchObject({ passed: false, forced: true });
    for (const entry of Object.values(written.models)) expect(await sha256File(join(modelsDir, entry.file))).toBe(entry.sha256);
    for (const id of MODEL_IDS) expect(await exists(join(modelsDir, 'tfjs', id, 'weights.bin'))).toBe(true);
    expect(await exists(join(stagingDir, 'generator.onnx'))).toBe(true);
    expect((await readdir(root)).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('check-model', () => {
  it('records "passed" for every file when the checker is installed', () => {
    const checks = result.checks as { check_model: Record<string, string> };
    expect(Object.keys(checks.check_model).sort()).toEqual(Object.keys(result.models).sort());
    for (const status of Object.values(checks.check_model)) expect(status).toBe('passed');
  });

  it('absent: stops the export before any work unless --skip-check-model, which the manifest records', async () => {
    const out = join(root, 'no-checker');
    const env = { ...process.env, LATENT_DIGITS_CHECK_MODEL: join(root, 'no-such-check-model') };
    const exportCli = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', 'training/export/cli.ts', '--from', tfjsDir, '--out', out, '--run-id', 'no-checker', ...args], { env, timeout: 240_000 }).then(
        (r) => ({ code: 0, out: r.stdout + r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
      );
    const refused = await exportCli('--force');
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`export failed: ${join(root, 'no-such-check-model')} is not installed, so the ONNX files cannot be validated`);
    expect(refused.out).toContain('--skip-check-model');
    expect(refused.out).not.toMatch(/\[1\/5\]/);
    expect(await exists(out)).toBe(false);

    const skipped = await exportCli('--force', '--skip-check-model');
    expect(skipped.code, skipped.out).toBe(0);
    const written = manifestSchema.parse(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')));
    const statuses = Object.values((written.metrics.export as { check_model: Record<string, string> }).check_model);
    expect(statuses).toHaveLength(Object.keys(written.models).length);
    for (const s of statuses) expect(s).toMatch(/^skipped \(--skip-check-model\): .*no-such-check-model/);
  }, 300_000);
});
