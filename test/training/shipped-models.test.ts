/**
 * The models committed under models/ come from a full training run, and REPORT.md shows that run's numbers.
 * (Hashes, check-model and numerical parity of the same files are tested in test/export.)
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { MODEL_IDS } from '../../core/contract';
import { manifestSchema, type Manifest } from '../../core/manifest';

const MODELS = join(process.cwd(), 'models');

describe('shipped models/manifest.json and REPORT.md', () => {
  let manifest: Manifest;
  let m: Record<string, any>;
  let report: string;

  beforeAll(async () => {
    manifest = manifestSchema.parse(JSON.parse(await readFile(join(MODELS, 'manifest.json'), 'utf8')));
    m = manifest.metrics;
    report = await readFile(join(MODELS, 'REPORT.md'), 'utf8');
  });

  it('comes from a full run on the full MNIST, not a quick one', () => {
    expect(manifest.quick).toBe(false);
    expect(m.dataset).toMatchObject({ train: 55000, validation: 5000, test: 10000 });
    expect(m.classifier.draws).toBeGreaterThanOrEqual(5);
    expect(m.classifier.labelled).toBe(50);
  });

  it('lists every contract model', () => {
    for (const id of MODEL_IDS) expect(manifest.models[id]).toBeDefined();
  });

  it('meets the study targets it claims', () => {
    expect(m.evaluator.test_accuracy).toBeGreaterThanOrEqual(0.98);
    expect(m.classifier.semisupervised.mean).toBeGreaterThanOrEqual(0.9);
    expect(m.classifier.semisupervised.mean).toBeGreaterThan(m.classifier.reference.frozen);
    expect(m.timings.total_seconds).toBeLessThan(25 * 60);
  });

  it('REPORT.md shows the numbers of the manifest, next to the published ones', () => {
    expect(report).toContain(manifest.run_id);
    for (const key of ['frozen', 'finetuned', 'semisupervised'] as const) {
      const s = m.classifier[key];
      expect(report).toContain(`${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}`);
    }
    expect(report).toContain('0.745');
    expect(report).toContain('0.607');
    expect(report).toContain(String(m.evaluator.test_accuracy));
    expect(report).toContain(String(m.cgan.evaluator_accuracy));
    for (const link of report.matchAll(/\]\((figures\/[^)]+)\)/g)) expect(existsSync(join(MODELS, link[1]))).toBe(true);
  });
});
