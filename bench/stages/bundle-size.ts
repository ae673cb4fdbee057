/**
 * Stage 4: what `wrangler deploy --dry-run --outdir` would upload for the production worker, split into
 * ORT's wasm, the models and the code, raw and gzip (level 9 here; wrangler's own total is kept too).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { WRANGLER } from '../lib/processes';

export interface BundlePart {
  part: 'ORT wasm' | 'models' | 'code';
  files: string[];
  rawBytes: number;
  gzipBytes: number;
}

export interface BundleResult {
  parts: BundlePart[];
  totalRaw: number;
  totalGzip: number;
  /** wrangler's own "Total Upload: ... / gzip: ..." line */
  wranglerSays: string;
}

function partOf(file: string): BundlePart['part'] | null {
  if (file.endsWith('.wasm')) return 'ORT wasm';
  if (file.endsWith('.onnx')) return 'models';
  if (file.endsWith('.js') || file.endsWith('.mjs')) return 'code';
  return null; // source maps and README are not uploaded as modules
}

export function measureBundle(root: string): BundleResult {
  const out = mkdtempSync(join(tmpdir(), 'latent-bundle-'));
  try {
    const log = execFileSync(WRANGLER(root), ['deploy', '--dry-run', '--outdir', out], { cwd: root, encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });
    const parts = new Map<BundlePart['part'], BundlePart>();
    for (const file of readdirSync(out)) {
      const part = partOf(file);
      if (!part) continue;
      const bytes = readFileSync(join(out, file));
      const entry = parts.get(part) ?? { part, files: [], rawBytes: 0, gzipBytes: 0 };
      entry.files.push(file.replace(/^[0-9a-f]{40}-/, ''));
      entry.rawBytes += bytes.length;
      entry.gzipBytes += gzipSync(bytes, { level: 9 }).length;
      parts.set(part, entry);
    }
    const list = (['ORT wasm', 'models', 'code'] as const).map((p) => parts.get(p) ?? { part: p, files: [], rawBytes: 0, gzipBytes: 0 });
    return {
      parts: list,
      totalRaw: list.reduce((s, p) => s + p.rawBytes, 0),
      totalGzip: list.reduce((s, p) => s + p.gzipBytes, 0),
      wranglerSays: /Total Upload:[^\n]*/.exec(log)?.[0]?.trim() ?? 'n/a',
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
