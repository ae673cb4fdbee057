/**
 * One `npm run train -- --quick` end to end, on real MNIST with the real backend, into a temporary models
 * directory holding a copy of the committed models: the quality gate refuses the quick run's models and
 * leaves that directory byte-identical; `npm run publish-models -- <run> --force` then publishes the run,
 * recorded in the manifest. Every stage, the export checks and the published artifacts are checked.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decode } from 'fast-png';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_IDS, MODEL_SPECS } from '../../core/contract';
import { manifestSchema, type Manifest } from '../../core/manifest';
import { EVALUATOR_STAGE, GAN_STAGE } from '../../training/pipeline';
import { snapshot } from './model-sets';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');

describe('npm run train -- --quick', () => {
  let modelsDir: string;
  let runsDir: string;
  let stdout: string;
  let stderr: string;
  let code: number;
  let before: Record<string, string>;
  let after: Record<string, string>;
  let forced: { stdout: string };
  let manifest: Manifest;

  beforeAll(async () => {
    const root = await mkdtemp(join(tmpdir(), 'quick-run-'));
    modelsDir = join(root, 'models');
    runsDir = join(root, 'runs');
    await cp(join(process.cwd(), 'models'), modelsDir, { recursive: true });
    before = await snapshot(modelsDir);
    ({ stdout, stderr, code } = await run(TSX, ['training/cli.ts', '--quick', '--runs-dir', runsDir, '--models-dir', modelsDir], {
      maxBuffer: 64 * 1024 * 1024,
      timeout: 420_000, // ~1 min on a quiet machine; 4-5 min when the 2 cores are shared
    }).then(
      (r) => ({ ...r, code: 0 }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    ));
    after = await snapshot(modelsDir);
    const [runId] = await readdir(runsDir);
    forced = await run(TSX, ['training/publish-cli.ts', join(runsDir, runId), '--models-dir', modelsDir, '--force'], { timeout: 60_000 });
    manifest = manifestSchema.parse(JSON.parse(await readFile(join(modelsDir, 'manifest.json'), 'utf8')));
  }, 480_000);

  it('the quality gate refuses the quick run: which metrics missed, by how much, where the run is; models untouched', () => {
    expect(code).toBe(1);
    expect(stderr).toMatch(/training failed: quality gate: \d+ of the floors in core\/quality-floors\.ts missed, so .*models was not replaced/);
    expect(stderr).toMatch(/metrics\.cgan\.evaluator_accuracy (= [\d.]+ misses the floor >= 0\.98 by [\d.]+|is missing)/);
    expect(stderr).toContain(`the run's files are in ${join(runsDir, manifest.run_id)}`);
    expect(stderr).toContain('--force');
    expect(after).toEqual(before);
  });

  it('publish-models --force publishes the run in one step and records the misses in the manifest', () => {
    expect(forced.stdout).toContain(`published run ${manifest.run_id}`);
    expect(forced.stdout).toContain('missed, forced');
    expect(manifest.quality_gate?.forced).toBe(true);
    expect(manifest.quality_gate?.misses.length).toBeGreaterThan(0);
  });

  it('prints the backend, every stage with its duration, and the run summary', () => {
    expect(stderr).toMatch(/TensorFlow\.js backend: (wasm|tensorflow|cpu)/);
    for (const stage of ['data', 'autoencoder', EVALUATOR_STAGE, 'classifier study (50 labels)', GAN_STAGE, 'generation and interpolation study', 'ONNX export and checks']) {
      expect(stderr).toMatch(new RegExp(`${stage.replace(/[()]/g, '\\$&')} took \\d`));
    }
    expect(manifest.quick).toBe(true);
    expect(stdout).toBe('');
  });

  it('writes every metric under its stable key, each a plausible number', () => {
    const m = manifest.metrics as Record<string, any>;
    const probabilities = [
      m.classifier.frozen.mean,
      m.classifier.finetuned.mean,
      m.classifier.semisupervised.mean,
      m.evaluator.test_accuracy,
      m.cgan.evaluator_accuracy,
      m.gan.coverage,
    ];
    for (const p of probabilities) {
      expect(typeof p).toBe('number');
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThanOrEqual(1);
    }
    expect(m.classifier.frozen.runs).toHaveLength(m.classifier.draws);
    expect(m.classifier.reference).toEqual({ frozen: 0.745, finetuned: 0.607 });
    expect(Object.keys(m.classifier.architectures).length).toBeGreaterThanOrEqual(4);
    expect(m.classifier.architectures.reference.description).toMatch(/Dense 128 sigmoid -> Dense 512 sigmoid -> Dense 10 softmax/);
    expect(m.autoencoder.test_mse).toBeGreaterThan(0);
    expect(m.baselines.real.frechet).toBeLessThan(m.gan.frechet);
    for (const key of ['class_gaussian', 'class_gmm', 'reconstruction']) {
      expect(m.baselines[key].accuracy, key).toBeGreaterThanOrEqual(0);
      expect(m.baselines[key].frechet, key).toBeGreaterThan(0);
    }
    expect(m.baselines.class_mixture.frechet).toBeGreaterThan(0);
    expect(m.cgan.frechet).toBeGreaterThan(0);
    // the gated rows average independent draws: distinct FDs whose mean is the reported one
    for (const row of [m.gan, m.cgan, m.baselines.class_gmm, m.baselines.class_mixture]) {
      expect(new Set(row.frechet_draws).size).toBe(3);
      expect(row.frechet).toBeCloseTo(row.frechet_draws.reduce((a: number, b: number) => a + b, 0) / 3, 2);
    }
    expect(m.cgan.per_digit_accuracy).toHaveLength(10);
    expect(m.timings.stages.map((t: { stage: string }) => t.stage)).toContain('autoencoder');
    expect(m.export.float32_parity.tolerance).toBeLessThanOrEqual(1e-5);
  });

  it('publishes every contract model as ONNX with matching hashes, plus the tfjs sources', async () => {
    for (const id of MODEL_IDS) {
      const entry = manifest.models[id];
      expect(entry.file).toBe(MODEL_SPECS[id].file);
      const bytes = await readFile(join(modelsDir, entry.file));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(entry.sha256);
      expect(bytes.length).toBe(entry.bytes);
      expect((await stat(join(modelsDir, 'tfjs', id, 'model.json'))).isFile()).toBe(true);
    }
  });

  it('writes the report with its figures, and the accuracy curves as CSV', async () => {
    const report = await readFile(join(modelsDir, 'REPORT.md'), 'utf8');
    const m = manifest.metrics as Record<string, any>;
    expect(report).toContain(manifest.run_id);
    expect(report).toContain(`${m.classifier.frozen.mean.toFixed(3)} ± ${m.classifier.frozen.std.toFixed(3)}`);
    expect(report).toContain(String(m.cgan.evaluator_accuracy));
    const figures = await readdir(join(modelsDir, 'figures'));
    for (const link of report.matchAll(/\]\(figures\/([^)]+)\)/g)) expect(figures).toContain(link[1]);
    for (const png of figures.filter((f) => f.endsWith('.png'))) {
      const image = decode(await readFile(join(modelsDir, 'figures', png)));
      expect(image.width).toBeGreaterThan(50);
    }
    const csv = (await readFile(join(modelsDir, 'figures', 'accuracy-curves.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe('method,architecture,draw,epoch,validation_accuracy');
    expect(csv.some((l) => l.startsWith('finetuned,'))).toBe(true);
    expect(csv.length).toBeGreaterThan(100);
  });

  it('keeps the run directory with the tfjs weights', async () => {
    const runs = await readdir(runsDir);
    expect(runs).toEqual([manifest.run_id]);
    expect((await readdir(join(runsDir, manifest.run_id, 'tfjs'))).sort()).toEqual([...MODEL_IDS].sort());
  });
});

describe('training CLI', () => {
  it('lists every flag in --help', async () => {
    const { stdout } = await run(TSX, ['training/cli.ts', '--help']);
    for (const flag of ['--quick', '--seed', '--data', '--backend', '--runs-dir', '--models-dir', '--no-publish', '--force', '--skip-check-model']) expect(stdout).toContain(flag);
  });

  it('rejects a bad seed naming the value and the range, before any work', async () => {
    const failure = await run(TSX, ['training/cli.ts', '--seed', 'abc']).catch((e) => e);
    expect(failure.code).not.toBe(0);
    expect(failure.stderr).toMatch(/--seed must be an integer 0\.\.4294967295, got "abc"/);
  });

  it('fails with the file name when --data points at a directory without MNIST files, leaving models alone', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'no-data-'));
    const failure = await run(TSX, ['training/cli.ts', '--quick', '--data', empty, '--runs-dir', join(empty, 'runs'), '--models-dir', join(empty, 'models')]).catch((e) => e);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/train-images-idx3-ubyte: not found/);
    expect(failure.stderr).toMatch(/models\/ was not changed/);
    await expect(stat(join(empty, 'models'))).rejects.toThrow();
  });
});
