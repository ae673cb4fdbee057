/** Reading and composing models/manifest.json (schema in core/manifest.ts). */
import { readFile } from 'node:fs/promises';
import { manifestSchema, type Manifest, type Metrics } from '../../core/manifest';
import type { ExportResult } from './index';

export const MANIFEST_FILE = 'manifest.json';

/** The manifest at `file`, or null when there is none; a malformed one is an error, not "none". */
export async function readManifest(file: string): Promise<Manifest | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const parsed = manifestSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${file} does not match the manifest schema: ${parsed.error.message}`);
  return parsed.data;
}

export interface ManifestBase {
  runId: string;
  dataset: string;
  seed: number;
  quick: boolean;
  /** training metrics; kept as they are, export checks go under metrics.export */
  metrics: Metrics;
}

export function composeManifest(result: ExportResult, base: ManifestBase): Manifest {
  return manifestSchema.parse({
    schema_version: 1,
    run_id: base.runId,
    created_at: new Date().toISOString(),
    dataset: base.dataset,
    seed: base.seed,
    quick: base.quick,
    models: result.models,
    metrics: { ...base.metrics, export: result.checks },
  });
}
