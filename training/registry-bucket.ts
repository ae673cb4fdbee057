/**
 * The registry's R2 bucket for the CLIs. Local (default): the same simulated R2 `wrangler dev` reads, through
 * wrangler's own `getPlatformProxy` (one start-up for a whole publish instead of ~1.8 s per `wrangler r2 object
 * put --local`; it writes the same store under .wrangler/state, or under `--persist-to` as `wrangler dev
 * --persist-to` does). Remote (`--remote`): `wrangler r2 object get/put/delete --remote` against the account
 * wrangler is logged in to.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { REGISTRY } from '../core/manifest';
import type { WritableBucket } from './registry-ops';

const ROOT = resolve(import.meta.dirname, '..');
const run = promisify(execFile);

export interface OpenedBucket {
  bucket: WritableBucket;
  close(): Promise<void>;
}

export interface BucketOptions {
  remote?: boolean;
  /** local state directory, as `wrangler dev --persist-to` (default .wrangler/state) */
  persistTo?: string;
}

export async function openBucket(opts: BucketOptions = {}): Promise<OpenedBucket> {
  if (opts.remote) return { bucket: remoteBucket(), close: async () => {} };
  const { getPlatformProxy } = await import('wrangler');
  const persist = join(resolve(opts.persistTo ?? join(ROOT, '.wrangler/state')), 'v3');
  // A config with the R2 binding only: the project's full wrangler.jsonc (assets, rate limits, the worker's
  // bundle) makes the proxy take ~17 s to start here instead of ~1.5 s; the bucket and state are the same.
  // Kept under .wrangler/ (ignored by git) rather than in a temporary directory: a publish killed mid-way leaves
  // nothing behind. Written beside and renamed, so concurrent CLIs never read a half-written file.
  const configPath = join(ROOT, '.wrangler', 'registry-cli.wrangler.json');
  await mkdir(dirname(configPath), { recursive: true });
  const staged = `${configPath}.${process.pid}.tmp`;
  await writeFile(
    staged,
    JSON.stringify({ name: 'registry-cli', compatibility_date: '2025-04-01', r2_buckets: [{ binding: REGISTRY.binding, bucket_name: REGISTRY.bucket }] }),
  );
  await rename(staged, configPath);
  const proxy = await getPlatformProxy<Record<string, WritableBucket>>({ configPath, persist: { path: persist } });
  return { bucket: proxy.env[REGISTRY.binding], close: () => proxy.dispose() };
}

/** Through the wrangler CLI; conditional puts are not available there, so the lock is best effort remotely. */
function remoteBucket(): WritableBucket {
  const wrangler = (...args: string[]) =>
    run(process.execPath, [join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'r2', 'object', ...args, '--remote'], {
      cwd: ROOT,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'buffer',
    });
  const path = (key: string) => `${REGISTRY.bucket}/${key}`;
  const get = async (key: string) => {
    try {
      const { stdout } = await wrangler('get', path(key), '--pipe');
      const bytes = stdout as unknown as Buffer;
      return { text: async () => bytes.toString('utf8'), arrayBuffer: async () => new Uint8Array(bytes).buffer };
    } catch {
      return null;
    }
  };
  return {
    get,
    head: get,
    async put(key, value, options) {
      if (options?.onlyIf && (await get(key))) return null;
      const dir = await mkdtemp(join(tmpdir(), 'registry-'));
      try {
        const file = join(dir, 'object');
        await writeFile(file, typeof value === 'string' ? value : new Uint8Array(value as ArrayBuffer));
        await wrangler('put', path(key), '--file', file);
        return { key };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    async delete(key) {
      await wrangler('delete', path(key)).catch(() => {});
    },
  };
}

