/**
 * `npm run export` in-process (training/export/cli.ts): option parsing, where the run id and the manifest's
 * fields come from, the refusals before any work, and one full run on tiny models (test/export/tiny-models.ts)
 * that publishes a manifest with the fused timing. test/export/cli.test.ts runs the script itself.
 *
 * LATENT_DIGITS_CHECK_MODEL points at a path that does not exist: the run is a --skip-check-model one.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CommanderError, InvalidArgumentError } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MODEL_IDS } from '../../core/contract';
import { manifestSchema, type Manifest } from '../../core/manifest';
import { saveModel } from '../../training/model-io';
import { exportProgram, manifestBase, parseBackend, parseSeed, resolveRunId, runExport } from '../../training/export/cli';
import { TINY_BUILDERS } from './tiny-models';

const savedCheckerEnv = vi.hoisted(() => {
  const saved = process.env.LATENT_DIGITS_CHECK_MODEL;
  process.env.LATENT_DIGITS_CHECK_MODEL = '/nonexistent/latent-digits-check-model'; // read when check-model.ts is imported
  return saved;
});

let root = '';
let runTfjs = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  root = await mkdtemp(join(tmpdir(), 'export-cli-run-'));
  runTfjs = join(root, 'runs', 'run-1', 'tfjs');
  for (const id of MODEL_IDS) {
    const model = TINY_BUILDERS[id]();
    await saveModel(model, join(runTfjs, id));
    model.dispose();
  }
}, 120_000);
afterAll(async () => {
  if (savedCheckerEnv === undefined) delete process.env.LATENT_DIGITS_CHECK_MODEL;
  else process.env.LATENT_DIGITS_CHECK_MODEL = savedCheckerEnv;
  await rm(root, { recursive: true, force: true });
});

const PREVIOUS: Manifest = {
  schema_version: 1,
  run_id: 'old-run',
  created_at: '2024-01-01T00:00:00.000Z',
  dataset: 'fashion',
  seed: 5,
  quick: true,
  models: {},
  metrics: { ae: { test_bce: 0.08 } },
};

describe('option parsers', () => {
  it('--seed takes an integer 0..2^32-1 and names anything else', () => {
    expect(parseSeed('0')).toBe(0);
    expect(parseSeed('42')).toBe(42);
    expect(parseSeed('4294967295')).toBe(4294967295);
    for (const bad of ['abc', '-1', '1.5', '4294967296', '', ' ', '0x10', '1e3']) {
      expect(() => parseSeed(bad)).toThrow(InvalidArgumentError);
      expect(() => parseSeed(bad)).toThrow(`must be an integer 0..4294967295, got "${bad}"`);
    }
  });

  it('--backend takes one of auto, tensorflow, wasm, cpu and names anything else', () => {
    for (const ok of ['auto', 'tensorflow', 'wasm', 'cpu']) expect(parseBackend(ok)).toBe(ok);
    expect(() => parseBackend('gpu')).toThrow(InvalidArgumentError);
    expect(() => parseBackend('gpu')).toThrow('must be one of auto, tensorflow, wasm, cpu, got "gpu"');
  });
});

describe('exportProgram', () => {
  const parse = (args: string[]) => {
    const errors: string[] = [];
    const program = exportProgram()
      .exitOverride()
      .configureOutput({ writeErr: (s) => errors.push(s), writeOut: (s) => errors.push(s) });
    program.parse(args, { from: 'user' });
    return program.opts();
  };

  it('defaults: --out models, --backend auto, nothing else set', () => {
    expect(parse([])).toEqual({ out: 'models', backend: 'auto' });
  });

  it('reads every flag under its camelCase name, the seed as a number', () => {
    expect(
      parse(['--from', 'f', '--out', 'o', '--run-id', 'r', '--dataset', 'd', '--seed', '7', '--quick', '--backend', 'cpu', '--force', '--skip-check-model', '--measure-fused']),
    ).toEqual({ from: 'f', out: 'o', runId: 'r', dataset: 'd', seed: 7, quick: true, backend: 'cpu', force: true, skipCheckModel: true, measureFused: true });
  });

  it('refuses a bad --seed or --backend with the parser\'s message', () => {
    expect(() => parse(['--seed', 'abc'])).toThrow(CommanderError);
    expect(() => parse(['--seed', 'abc'])).toThrow('must be an integer 0..4294967295, got "abc"');
    expect(() => parse(['--backend', 'gpu'])).toThrow('must be one of auto, tensorflow, wasm, cpu, got "gpu"');
  });

  it('--help names the command, every flag with its default, and an example', () => {
    const help = exportProgram().helpInformation().replace(/\s+/g, ' ');
    expect(help).toContain('Usage: npm run export -- [options]');
    expect(help).toContain('Export the trained tfjs models to ONNX (float32 + float16 for edge models), verify them, and publish them with manifest.json.');
    for (const flag of ['--from <dir>', '--out <dir>', '--run-id <id>', '--dataset <name>', '--seed <n>', '--quick', '--backend <name>', '--force', '--skip-check-model', '--measure-fused']) {
      expect(help).toContain(flag);
    }
    expect(help).toContain('(default: "models")');
    expect(help).toContain('tfjs backend for the parity checks: auto, tensorflow, wasm, cpu (default: "auto")');
    const out: string[] = [];
    const program = exportProgram().exitOverride().configureOutput({ writeOut: (s) => out.push(s) });
    expect(() => program.parse(['--help'], { from: 'user' })).toThrow(CommanderError);
    expect(out.join('')).toContain('Example: npm run export -- --from runs/2024-09-17-full/tfjs');
  });
});

describe('run id and manifest fields', () => {
  it('the run id is --run-id, else runs/<runId>/tfjs\'s, else the existing manifest\'s', () => {
    expect(resolveRunId({ runId: 'flag' }, '/x/runs/dir-run/tfjs', PREVIOUS)).toBe('flag');
    expect(resolveRunId({}, '/x/runs/dir-run/tfjs', PREVIOUS)).toBe('dir-run');
    expect(resolveRunId({}, '/x/models/tfjs', PREVIOUS)).toBe('old-run');
    expect(resolveRunId({}, '/x/models/tfjs', null)).toBeUndefined();
  });

  it('dataset, seed, quick: the flags, else the existing manifest\'s, else mnist, 0, false; metrics kept from the existing manifest', () => {
    expect(manifestBase({ dataset: 'd', seed: 9, quick: false }, 'r', PREVIOUS)).toEqual({ runId: 'r', dataset: 'd', seed: 9, quick: false, metrics: PREVIOUS.metrics });
    expect(manifestBase({}, 'r', PREVIOUS)).toEqual({ runId: 'r', dataset: 'fashion', seed: 5, quick: true, metrics: PREVIOUS.metrics });
    expect(manifestBase({}, 'r', null)).toEqual({ runId: 'r', dataset: 'mnist', seed: 0, quick: false, metrics: {} });
  });
});

describe('runExport', () => {
  it('refuses an incomplete --from, naming it and every missing file', async () => {
    const from = join(root, 'nowhere');
    await expect(runExport({ from, out: join(root, 'out-a'), backend: 'cpu' }, () => {})).rejects.toThrow(
      `--from ${from} is not a complete tfjs models dir: missing ${MODEL_IDS.flatMap((id) => [`${id}/model.json`, `${id}/weights.bin`]).join(', ')}`,
    );
  });

  it.skipIf(existsSync('runs'))('without --from (and no runs/ here), reads <out>/tfjs', async () => {
    const out = join(root, 'out-default');
    await expect(runExport({ out, backend: 'cpu' }, () => {})).rejects.toThrow(`--from ${join(out, 'tfjs')} is not a complete tfjs models dir`);
  });

  it('refuses when the run id cannot be told, naming the dir and the manifest it looked for', async () => {
    const from = join(root, 'elsewhere', 'tfjs');
    await mkdir(join(root, 'elsewhere'), { recursive: true });
    await rm(from, { recursive: true, force: true });
    const { cp } = await import('node:fs/promises');
    await cp(runTfjs, from, { recursive: true });
    const out = join(root, 'out-b');
    await expect(runExport({ from, out, backend: 'cpu' }, () => {})).rejects.toThrow(
      `cannot tell the run id of ${from} (not runs/<runId>/tfjs and no ${join(out, 'manifest.json')}); pass --run-id`,
    );
  });

  it('notes that it replaces the existing manifest\'s run before exporting', async () => {
    const out = join(root, 'out-c');
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'manifest.json'), JSON.stringify(PREVIOUS));
    const lines: string[] = [];
    // the tensorflow backend is not installed here: the run stops right after the note
    await expect(runExport({ from: runTfjs, out, backend: 'tensorflow' }, (l) => lines.push(l))).rejects.toThrow(/backend "tensorflow" requested/);
    expect(lines).toEqual(['note: replacing run old-run with run-1; keeping its metrics except metrics.export']);
  });

  it('exports, times fused vs separate, publishes every file and the manifest in one step, and removes its staging dir', async () => {
    const out = join(root, 'models');
    const staging = join(root, 'tmp');
    await mkdir(staging, { recursive: true });
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = staging; // where os.tmpdir() puts the staging dir
    const lines: string[] = [];
    try {
      await runExport({ from: runTfjs, out, backend: 'cpu', skipCheckModel: true, force: true, measureFused: true }, (l) => lines.push(l));
    } finally {
      process.env.TMPDIR = savedTmp;
    }
    expect((await readdir(staging)).filter((name) => name.startsWith('export-'))).toEqual([]);
    const manifest = manifestSchema.parse(JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8')));
    expect([manifest.run_id, manifest.dataset, manifest.seed, manifest.quick]).toEqual(['run-1', 'mnist', 0, false]);
    expect(Object.keys(manifest.models)).toHaveLength(13);
    expect(manifest.quality_gate).toMatchObject({ passed: false, forced: true });
    const fused = (manifest.metrics.export as { fused_vs_separate: { runtime: string; separate_ms: object; fused_ms: object; fused_bytes: number } }).fused_vs_separate;
    expect(fused.runtime).toBe('onnxruntime-web');
    expect(Object.keys(fused.separate_ms)).toEqual(['n1', 'n16']);
    expect(Object.keys(fused.fused_ms)).toEqual(['n1', 'n16']);
    expect(lines[0]).toBe(`exporting ${runTfjs} -> ${resolve(out)} (run run-1; tfjs backend cpu)`);
    expect(lines[1]).toMatch(/^\[1\/7\] decoder: /); // exportModels logs through the same function
    expect(lines).toContain('timing generator+decoder fused vs separate in onnxruntime-web ...');
    expect(lines).toContain(`  separate ${JSON.stringify(fused.separate_ms)} ms, fused ${JSON.stringify(fused.fused_ms)} ms, fused file ${fused.fused_bytes} bytes`);
    expect(lines.some((l) => l.startsWith('quality gate missed, publishing anyway (--force'))).toBe(true); // publishModels logs through it too
    expect(lines.at(-1)).toBe(`published 13 ONNX files and manifest.json to ${resolve(out)} in one step (quality gate missed, forced)`);
  });
});
