/**
 * exportModels (training/export/index.ts) end to end on tiny contract-shaped models (test/export/tiny-models.ts),
 * fast enough for mutation testing: the staged files, manifest entries, checks and log lines, compared with
 * what this test computes from the files on disk (sha256, sizes, gzip sizes) and with the contract.
 *
 * The checker is a stand-in: LATENT_DIGITS_CHECK_MODEL points at a script this test creates (it accepts
 * every file) and deletes, so the export meets a checker that is there, absent, or vanishes mid-run. The real
 * check-model is exercised in test/export/check-model.test.ts.
 */
import { createHash } from 'node:crypto';
import { access, cp, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { float16File, MODEL_IDS, MODEL_SPECS } from '../../core/contract';
import { saveModel } from '../../training/model-io';
import { exportModels, TFJS_SUBDIR, type ExportResult } from '../../training/export/index';
import { TINY_BUILDERS } from './tiny-models';

const { fakeChecker, savedCheckerEnv } = vi.hoisted(() => {
  const file = `${process.env.TMPDIR ?? '/tmp'}/latent-digits-fake-check-model-${process.pid}-${Math.random().toString(36).slice(2)}.py`;
  const saved = process.env.LATENT_DIGITS_CHECK_MODEL;
  process.env.LATENT_DIGITS_CHECK_MODEL = file; // read once, when check-model.ts is imported
  return { fakeChecker: file, savedCheckerEnv: saved };
});

const installChecker = () => writeFile(fakeChecker, 'import sys\nsys.exit(0)\n');
const removeChecker = () => rm(fakeChecker, { force: true });
const exists = (p: string) => access(p).then(() => true, () => false);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const EXPECTED_KEYS = ['decoder', 'decoder.f16', 'encoder', 'encoder.f16', 'generator', 'generator.f16', 'cgan-generator', 'cgan-generator.f16', 'classifier', 'classifier.f16', 'evaluator', 'recognizer', 'recognizer.f16'];

let root = '';
let tfjsDir = '';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  root = await mkdtemp(join(tmpdir(), 'export-tiny-'));
  tfjsDir = join(root, 'tfjs');
  for (const id of MODEL_IDS) {
    const model = TINY_BUILDERS[id]();
    await saveModel(model, join(tfjsDir, id));
    model.dispose();
  }
  await writeFile(join(tfjsDir, 'decoder', 'notes.txt'), 'kept');
  await writeFile(join(tfjsDir, 'decoder', 'weights.bin.tmp'), 'left over by a crash');
}, 120_000);
afterAll(async () => {
  if (savedCheckerEnv === undefined) delete process.env.LATENT_DIGITS_CHECK_MODEL;
  else process.env.LATENT_DIGITS_CHECK_MODEL = savedCheckerEnv;
  await removeChecker();
  await rm(root, { recursive: true, force: true });
});

async function expectEntriesMatchFiles(result: ExportResult, stagingDir: string): Promise<void> {
  expect(Object.keys(result.models)).toEqual(EXPECTED_KEYS);
  for (const id of MODEL_IDS) {
    const spec = MODEL_SPECS[id];
    for (const [key, file, weights] of [
      [id, spec.file, 'float32'],
      ...(spec.edge ? [[`${id}.f16`, float16File(spec.file), 'float16']] : []),
    ] as [string, string, string][]) {
      const bytes = await readFile(join(stagingDir, file));
      expect(result.models[key]).toEqual({
        file,
        role: spec.role,
        sha256: sha256(bytes),
        bytes: bytes.length,
        inputs: spec.inputs.map((t) => ({ ...t, dtype: 'float32' })),
        outputs: spec.outputs.map((t) => ({ ...t, dtype: 'float32' })),
        opset: 17,
        ir_version: 8,
        weights,
      });
    }
  }
}

async function expectTfjsCopies(stagingDir: string): Promise<void> {
  expect(TFJS_SUBDIR).toBe('tfjs');
  for (const id of MODEL_IDS) {
    const copied = (await readdir(join(stagingDir, 'tfjs', id))).sort();
    expect(copied).toEqual(id === 'decoder' ? ['model.json', 'notes.txt', 'weights.bin'] : ['model.json', 'weights.bin']);
    expect(await readFile(join(stagingDir, 'tfjs', id, 'weights.bin'))).toEqual(await readFile(join(tfjsDir, id, 'weights.bin')));
  }
}

function expectCheckModelStatuses(result: ExportResult): void {
  const checks = result.checks.check_model as Record<string, string>;
  expect(Object.keys(checks)).toEqual(EXPECTED_KEYS);
  expect(checks.decoder).toBe('passed');
  expect(checks['decoder.f16']).toBe('passed');
  for (const key of EXPECTED_KEYS.slice(2)) {
    expect(checks[key]).toBe(`skipped (--skip-check-model): ${fakeChecker} (or /usr/bin/python3) not found; install it with \`apt-get install -y python3-onnx\``);
  }
}

function expectParity(result: ExportResult): void {
  const parity = result.checks.float32_parity as { tolerance: number; rows: number; max_abs_diff: Record<string, Record<string, number>> };
  expect(parity.tolerance).toBe(1e-5);
  expect(parity.rows).toBe(256);
  expect(Object.keys(parity.max_abs_diff)).toEqual([...MODEL_IDS]);
  for (const id of MODEL_IDS) {
    expect(Object.keys(parity.max_abs_diff[id])).toEqual(['onnxruntime-node', 'onnxruntime-web']);
    for (const d of Object.values(parity.max_abs_diff[id])) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(1e-5);
    }
  }
}

function expectFloat16Reports(result: ExportResult): void {
  const f16 = result.checks.float16 as {
    max_pixel_diff_allowed: number;
    max_probability_diff_allowed: number;
    models: Record<string, { rows: number; pixel_max_abs_diff: number | null; probability_max_abs_diff?: number; argmax_changed?: number }>;
  };
  expect(f16.max_pixel_diff_allowed).toBe(2 / 255);
  expect(f16.max_probability_diff_allowed).toBe(0.005);
  expect(Object.keys(f16.models)).toEqual(['decoder', 'encoder', 'generator', 'cgan-generator', 'classifier', 'recognizer']);
  for (const [id, r] of Object.entries(f16.models)) {
    expect(r.rows).toBe(2048);
    if (id === 'classifier' || id === 'recognizer') {
      expect(r.pixel_max_abs_diff).toBeNull();
      expect(r.argmax_changed).toBe(0); // its weights are exact in float16
    } else {
      expect(r.pixel_max_abs_diff).toBeLessThanOrEqual(1e-5); // so are all the others
    }
  }
}

async function expectSizes(result: ExportResult, stagingDir: string): Promise<void> {
  const sizes = result.checks.sizes as Record<string, { bytes: number; gzip_bytes: number }>;
  expect(Object.keys(sizes)).toEqual(EXPECTED_KEYS);
  for (const [key, entry] of Object.entries(result.models)) {
    const bytes = await readFile(join(stagingDir, entry.file));
    expect(sizes[key]).toEqual({ bytes: bytes.length, gzip_bytes: gzipSync(bytes, { level: 9 }).length });
  }
  expect(Object.keys(result.checks)).toEqual(['check_model', 'float32_parity', 'float16', 'sizes']);
}

function expectLogLines(result: ExportResult, logLines: string[], elapsedMs: number): void {
  expect(logLines).toHaveLength(MODEL_IDS.length + 1 + 6);
  const kib = (key: string) => `${(result.models[key].bytes / 1024).toFixed(0)} KiB`;
  const parity = (result.checks.float32_parity as { max_abs_diff: Record<string, Record<string, number>> }).max_abs_diff;
  MODEL_IDS.forEach((id, i) => {
    const spec = MODEL_SPECS[id];
    const files = spec.edge ? `${spec.file} ${kib(id)}, ${float16File(spec.file)} ${kib(`${id}.f16`)}` : `${spec.file} ${kib(id)}`;
    const diffs = `onnxruntime-node ${parity[id]['onnxruntime-node'].toExponential(2)}, onnxruntime-web ${parity[id]['onnxruntime-web'].toExponential(2)}`;
    const status = (result.checks.check_model as Record<string, string>)[id].replace(/[()|.`\\]/g, '\\$&');
    const line = new RegExp(`^\\[${i + 1}/7\\] ${id}: ${files}; max abs diff vs tfjs ${diffs}; check-model ${status} \\((\\d+) ms\\)$`).exec(logLines[i]);
    expect(line, logLines[i]).not.toBeNull();
    expect(Number(line![1])).toBeLessThanOrEqual(elapsedMs); // the time this model took
  });
  expect(logLines[7]).toBe('float16: measuring decoder, encoder, generator, cgan-generator, classifier, recognizer against tfjs ...');
  const f16 = (result.checks.float16 as { models: Record<string, { output_max_abs_diff: number; pixel_max_abs_diff: number; probability_max_abs_diff: number }> }).models;
  expect(logLines[8]).toBe(`  decoder.f16: output max abs diff ${f16.decoder.output_max_abs_diff.toExponential(2)}, pixel max abs diff ${f16.decoder.pixel_max_abs_diff.toExponential(2)} over 2048 inputs`);
  expect(logLines[12]).toBe(
    `  classifier.f16: output max abs diff ${f16.classifier.output_max_abs_diff.toExponential(2)}, probability max abs diff ${f16.classifier.probability_max_abs_diff.toExponential(2)}, argmax changed for 0 of rows over 2048 inputs`,
  );
  expect(logLines[13]).toBe(
    `  recognizer.f16: output max abs diff ${f16.recognizer.output_max_abs_diff.toExponential(2)}, probability max abs diff ${f16.recognizer.probability_max_abs_diff.toExponential(2)}, argmax changed for 0 of rows over 2048 inputs`,
  );
}

describe('exportModels on tiny contract models', () => {
  // one export, checked in one test: a mutation run re-runs only the tests that executed the mutated code
  it('stages every file with its manifest entry, copies the tfjs sources, records check-model, parity, float16 and sizes, logs, and disposes its models', async () => {
    const stagingDir = join(root, 'staging');
    const logLines: string[] = [];
    // the checker is there for the first model only: its files pass, the others are recorded as skipped
    await installChecker();
    const tensorsBefore = tf.memory().numTensors;
    const started = Date.now();
    const result = await exportModels({
      tfjsDir,
      outDir: stagingDir,
      runId: 'tiny-run',
      skipCheckModel: true,
      log: (line) => {
        logLines.push(line);
        if (logLines.length === 1) void removeChecker();
      },
    });
    const elapsedMs = Date.now() - started;
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    await expectEntriesMatchFiles(result, stagingDir);
    await expectTfjsCopies(stagingDir);
    expectCheckModelStatuses(result);
    expectParity(result);
    expectFloat16Reports(result);
    await expectSizes(result, stagingDir);
    expectLogLines(result, logLines, elapsedMs);
  });
});

describe('exportModels without a checker', () => {
  it('refuses before any work (no output dir) unless told to skip the check', async () => {
    await removeChecker();
    const out = join(root, 'refused');
    await expect(exportModels({ tfjsDir, outDir: out, runId: 'x' })).rejects.toThrow(
      `${fakeChecker} is not installed, so the ONNX files cannot be validated; install it with \`apt-get install -y python3-onnx\`, or pass --skip-check-model (recorded in the manifest)`,
    );
    expect(await exists(out)).toBe(false);
  });

  it('stops when the checker disappears mid-export, naming the file it could not check', async () => {
    await installChecker();
    const out = join(root, 'vanished');
    const lines: string[] = [];
    const run = exportModels({ tfjsDir, outDir: out, runId: 'x', log: (l) => lines.push(l) && void removeChecker() });
    await expect(run).rejects.toThrow(/^check-model is not available, so encoder\.onnx cannot be validated: .* not found; .*; or pass --skip-check-model \(recorded in the manifest\)$/);
    expect(lines).toHaveLength(1);
    expect((await stat(join(out, 'decoder.onnx'))).isFile()).toBe(true);
  });

  it('without a log function: exports the decoder, then fails naming the model whose tfjs files are missing', async () => {
    const partial = join(root, 'partial');
    await cp(join(tfjsDir, 'decoder'), join(partial, 'decoder'), { recursive: true });
    const out = join(root, 'partial-out', 'nested'); // made with its parents
    await expect(exportModels({ tfjsDir: partial, outDir: out, runId: 'x', skipCheckModel: true })).rejects.toThrow(/encoder[/\\]model\.json/);
    expect(await exists(join(out, 'decoder.onnx'))).toBe(true);
  });
});
