/**
 * Where the workers are built from. Normally the repository itself (its models/ is what ships). With
 * `--models DIR` (development, before models/ holds trained models) a scratch copy of the sources with
 * DIR as models/ is made under the OS temp dir, so the real models/ is never touched.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { MODEL_SPECS, float16File } from '../../core/contract';

export const REPO = resolve(import.meta.dirname, '../..');

export interface Workspace {
  root: string;
  modelsDir: string;
  /** true when root is a scratch copy (models from --models) */
  scratch: boolean;
  dispose(): void;
}

/**
 * The files the worker bundles (edge/bundle.ts): the float16 variants of the edge models and the manifest.
 * From core/contract rather than edge/inference, which imports ORT's wasm and cannot load in Node.
 */
export function bundledModelFiles(): string[] {
  const edge = Object.values(MODEL_SPECS).filter((spec) => spec.edge);
  return [...edge.map((spec) => float16File(spec.file)), 'manifest.json'];
}

export function prepareWorkspace(modelsDir: string): Workspace {
  const dir = resolve(modelsDir);
  const missing = bundledModelFiles().filter((f) => !existsSync(join(dir, f)));
  if (missing.length) {
    throw new Error(`${dir} lacks ${missing.join(', ')}; train and export first, or pass --models DIR`);
  }
  if (dir === join(REPO, 'models')) return { root: REPO, modelsDir: dir, scratch: false, dispose() {} };

  const root = mkdtempSync(join(tmpdir(), 'latent-bench-'));
  for (const entry of ['core', 'edge', 'bench', 'wrangler.jsonc', 'package.json', 'tsconfig.json']) {
    cpSync(join(REPO, entry), join(root, entry), { recursive: true, filter: (src) => !src.includes('/.wrangler') });
  }
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  for (const file of bundledModelFiles()) cpSync(join(dir, file), join(root, 'models', file));
  return { root, modelsDir: join(root, 'models'), scratch: true, dispose: () => rmSync(root, { recursive: true, force: true }) };
}
