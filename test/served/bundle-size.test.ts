/**
 * `wrangler deploy --dry-run` builds the exact upload without deploying; its size is what Cloudflare
 * limits (compressed). The budget is the project's: 6.5 MB gzip (issue 9: the encoder and classifier joined the
 * bundle, issue 19 the recognizer's 0.43 MB: 6.43 MB measured; Cloudflare's paid-plan limit is 10 MB), of
 * which onnxruntime-web's wasm is ~3.7 MB and the JPEG decoder's (mozjpeg) 0.06 MB. The demo page's static assets are uploaded separately and do not count.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const BUDGET_GZIP_BYTES = 6.5 * 1000 * 1000;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

describe('wrangler deploy --dry-run', () => {
  it(`builds the worker within ${BUDGET_GZIP_BYTES / 1e6} MB gzip`, async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'latent-digits-dry-run-'));
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'deploy', '--dry-run', '--outdir', outdir],
        { cwd: ROOT, env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' }, timeout: 120_000 },
      );
      const wranglerLine = stdout.split('\n').find((l) => l.includes('Total Upload')) ?? '(no Total Upload line)';
      let raw = 0;
      let gzip = 0;
      const rows = files(outdir)
        .filter((f) => !f.endsWith('.map') && !f.endsWith('README.md'))
        .map((f) => {
          const bytes = readFileSync(f);
          const z = gzipSync(bytes, { level: 9 }).length;
          raw += bytes.length;
          gzip += z;
          return `${f.slice(outdir.length + 1)} ${(bytes.length / 1e6).toFixed(2)} MB -> ${(z / 1e6).toFixed(2)} MB gzip`;
        });
      console.log(`[bundle] wrangler: ${wranglerLine.trim()}\n[bundle] ${rows.join('\n[bundle] ')}\n[bundle] total ${(raw / 1e6).toFixed(2)} MB, gzip ${(gzip / 1e6).toFixed(2)} MB`);
      expect(rows.filter((r) => r.includes('.wasm'))).toHaveLength(2); // onnxruntime-web, mozjpeg
      expect(rows.filter((r) => r.includes('.onnx'))).toHaveLength(6); // EDGE_MODEL_IDS, the recognizer included
      expect(gzip).toBeLessThan(BUDGET_GZIP_BYTES);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
