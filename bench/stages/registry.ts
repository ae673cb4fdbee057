/**
 * The registry's budgets (issue 18), on the bench worker (the production app plus /__bench) under `wrangler dev`
 * with its own seeded local R2:
 *  - the first request for a version not yet open in the isolate (read from R2, hash-checked, sessions opened):
 *    wall ms, against a warm request to the same version and to the embedded default set;
 *  - what one open set costs: the wasm heap before and after each version opens (the runtime's memory never
 *    shrinks, so the growth per set is the budget's unit); the registry keeps REGISTRY.maxOpenSets open.
 * The versions are the committed MNIST set with the float32 weights of one model each (other bytes, other
 * versions), published with training/registry-ops.ts like `npm run publish-models`.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REGISTRY } from '../../core/manifest';
import { variantSet } from '../../test/training/registry-sets';
import { openBucket } from '../../training/registry-bucket';
import { publishSet } from '../../training/registry-ops';
import type { Progress } from '../lib/progress';
import { startServer, WRANGLER } from '../lib/processes';
import { median, mib } from '../lib/stats';
import { latency } from './cold-start';

export interface RegistryResult {
  versions: number;
  firstRequestMs: number[];
  warmOpenedMs: number;
  warmDefaultMs: number;
  heapBytes: number[];
  maxOpenSets: number;
}

const VARIANTS = [['generator'], ['cgan-generator'], ['decoder'], ['encoder']];

const heap = async (origin: string) => ((await (await fetch(`${origin}/__bench/memory`)).json()) as { ortHeapBytes: number }).ortHeapBytes;

export async function runRegistry(root: string, port: number, progress: Progress): Promise<RegistryResult> {
  const work = await mkdtemp(join(tmpdir(), 'bench-registry-'));
  try {
    const persistTo = join(work, 'state');
    progress.log('  seeding a local registry and publishing 4 MNIST versions');
    execFileSync(process.execPath, ['--import', 'tsx', 'training/publish-cli.ts', '--seed', '--persist-to', persistTo], { cwd: root, stdio: 'ignore' });
    const versions: string[] = [];
    const { bucket, close } = await openBucket({ persistTo });
    try {
      for (const [i, swap] of VARIANTS.entries()) {
        const dir = join(work, `v${i}`);
        await mkdir(dir);
        await variantSet(dir, swap, `bench-registry-${swap.join('-')}`);
        versions.push((await publishSet({ bucket, dir })).version);
      }
    } finally {
      await close();
    }
    const server = await startServer({
      name: 'registry worker',
      command: WRANGLER(root),
      args: ['dev', '--config', 'bench/worker/wrangler.jsonc', '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(port + 1000),
        '--persist-to', persistTo, '--var', 'RATE_LIMIT:off', '--log-level', 'warn', '--show-interactive-dev-session=false'],
      cwd: root,
      port,
      readyPath: '/health',
      timeoutMs: 180_000,
      env: { WRANGLER_SEND_METRICS: 'false', CI: '1' },
    });
    try {
      await latency(server.origin, '/v1/generate?seed=1'); // the embedded set and the engine fingerprint are ready
      const warmDefault: number[] = [];
      for (let i = 0; i < 10; i++) warmDefault.push(await latency(server.origin, `/v1/generate?seed=${10 + i}`));
      const heapBytes = [await heap(server.origin)];
      const first: number[] = [];
      for (const v of versions) {
        first.push(await latency(server.origin, `/v1/generate?seed=1&v=${v}`));
        heapBytes.push(await heap(server.origin));
        progress.log(`  first request for ${v}: ${first.at(-1)!.toFixed(0)} ms; wasm heap ${mib(heapBytes.at(-1)!)}`);
      }
      const warmOpened: number[] = [];
      for (let i = 0; i < 10; i++) warmOpened.push(await latency(server.origin, `/v1/generate?seed=${10 + i}&v=${versions[0]}`));
      return { versions: versions.length, firstRequestMs: first, warmOpenedMs: median(warmOpened), warmDefaultMs: median(warmDefault), heapBytes, maxOpenSets: REGISTRY.maxOpenSets };
    } finally {
      await server.stop();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export function renderRegistry(r: RegistryResult): string {
  const growth = r.heapBytes.slice(1).map((b, i) => b - r.heapBytes[i]);
  return [
    '## Model registry (issue 18)',
    '',
    `Bench worker under \`wrangler dev\` with a seeded local R2; ${r.versions} MNIST versions published, each opened by its first pinned request.`,
    '',
    '| measure | value | budget |',
    '|---|---|---|',
    `| first request for a version not yet open (wall, median of ${r.versions}) | ${median(r.firstRequestMs).toFixed(0)} ms (each: ${r.firstRequestMs.map((m) => m.toFixed(0)).join(', ')}) | <= 150 ms |`,
    `| the same version once open (wall, median of 10) | ${r.warmOpenedMs.toFixed(1)} ms | unchanged |`,
    `| the embedded default set (wall, median of 10) | ${r.warmDefaultMs.toFixed(1)} ms | |`,
    `| wasm heap growth per opened set | ${growth.map(mib).join(', ')} (heap ${mib(r.heapBytes[0])} -> ${mib(r.heapBytes.at(-1)!)}) | ${r.maxOpenSets} open sets within 128 MB |`,
    '',
  ].join('\n');
}
