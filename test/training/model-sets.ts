/**
 * Model sets for the publish and gate tests: the committed models/ (the "old" set), and a "new" set made
 * from it whose every ONNX file carries another run_id in its metadata (valid models, different bytes),
 * so a directory that mixes the two is detectable file by file.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { manifestSchema, type Manifest } from '../../core/manifest';

export const COMMITTED_MODELS = join(process.cwd(), 'models');

/** Metrics that meet every floor of core/quality-floors.ts, each with a small margin. */
export function passingMetrics(): Record<string, unknown> {
  return {
    cgan: { evaluator_accuracy: 0.985, per_digit_accuracy: [0.99, 0.99, 0.98, 0.97, 0.98, 0.96, 0.99, 0.98, 0.96, 0.97], frechet: 2.2 },
    gan: { frechet: 2.5, class_histogram: [0.1, 0.11, 0.1, 0.1, 0.09, 0.09, 0.1, 0.1, 0.1, 0.11], mean_confidence: 0.96 },
    baselines: {
      class_gaussian: { accuracy: 0.889, frechet: 4.5 },
      class_gmm: { accuracy: 0.983, frechet: 2.29 },
      class_mixture: { frechet: 2.6 },
      reconstruction: { accuracy: 0.965, frechet: 2.7 },
    },
    interpolation: { conditional_morph: { endpoint_accuracy: 0.96 } },
    classifier: { semisupervised: { mean: 0.951 } },
  };
}

export async function readManifestAt(dir: string): Promise<Manifest> {
  return manifestSchema.parse(JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')));
}

/** The ONNX metadata run_id of a model file. */
export function onnxRunId(bytes: Uint8Array): string | undefined {
  return onnxProto.onnx.ModelProto.decode(bytes).metadataProps.find((p) => p.key === 'run_id')?.value ?? undefined;
}

/**
 * Writes into `dir` a staged set like the pipeline's runs/<id>/publish (every ONNX file, tfjs/, figures/,
 * REPORT.md) from the committed models, with `runId` in every ONNX file; returns its manifest.
 */
export async function makeStagedSet(dir: string, runId: string, metrics: Record<string, unknown> = passingMetrics()): Promise<Manifest> {
  const old = await readManifestAt(COMMITTED_MODELS);
  await mkdir(dir, { recursive: true });
  const models: Manifest['models'] = {};
  for (const [key, entry] of Object.entries(old.models)) {
    const proto = onnxProto.onnx.ModelProto.decode(await readFile(join(COMMITTED_MODELS, entry.file)));
    for (const p of proto.metadataProps) if (p.key === 'run_id') p.value = runId;
    const bytes = onnxProto.onnx.ModelProto.encode(proto).finish();
    await writeFile(join(dir, entry.file), bytes);
    models[key] = { ...entry, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  }
  for (const sub of ['tfjs', 'figures']) await cp(join(COMMITTED_MODELS, sub), join(dir, sub), { recursive: true });
  await writeFile(join(dir, 'REPORT.md'), `# report of ${runId}\n`);
  return manifestSchema.parse({ ...old, run_id: runId, quick: false, models, metrics });
}

/** sha256 of every file under `dir`, by relative path. */
export async function snapshot(dir: string, prefix = ''): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) Object.assign(out, await snapshot(join(dir, e.name), rel));
    else out[rel] = createHash('sha256').update(await readFile(join(dir, e.name))).digest('hex');
  }
  return out;
}
