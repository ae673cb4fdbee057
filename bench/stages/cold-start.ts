/**
 * Stage 3: cold start. Each round starts a fresh process and so a fresh isolate:
 *  - the production worker (wrangler.jsonc, edge/index.ts, models loaded at module scope): time from
 *    spawning `wrangler dev` to the first 200, then the first image request's latency and a warm one;
 *  - the cold-start probe (bench/worker/lazy.ts): the startup work itself (ORT init + sessions) and the
 *    first image's compute, timed inside workerd;
 *  - the Node baseline: spawn to first 200, its model load, and its first image request.
 */
import type { Progress } from '../lib/progress';
import { startNodeBaseline, startWranglerDev } from '../lib/processes';
import { median } from '../lib/stats';

export interface ColdStartResult {
  rounds: number;
  worker: { spawnToFirst200Ms: number; firstImageMs: number; warmImageMs: number };
  probe: { loadMs: number; firstImageComputeMs: number; secondImageComputeMs: number };
  node: { spawnToFirst200Ms: number; loadMs: number; firstImageMs: number; warmImageMs: number };
}

const IMAGE = '/v1/generate?seed=1';

/** Wall ms of one GET, body read; throws unless 200. */
export async function latency(origin: string, path: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(origin + path);
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return performance.now() - t;
}

async function warmLatency(origin: string): Promise<number> {
  const samples: number[] = [];
  // a different seed per request defeats any cache (unknown parameters such as a cache-buster are a 400 now)
  for (let i = 0; i < 20; i++) samples.push(await latency(origin, `/v1/generate?seed=${1 + i}`));
  return median(samples);
}

export async function runColdStart(root: string, modelsDir: string, rounds: number, ports: { worker: number; probe: number; node: number }, progress: Progress): Promise<ColdStartResult> {
  const w = { spawn: [] as number[], first: [] as number[], warm: [] as number[] };
  const p = { load: [] as number[], first: [] as number[], second: [] as number[] };
  const n = { spawn: [] as number[], load: [] as number[], first: [] as number[], warm: [] as number[] };
  for (let round = 1; round <= rounds; round++) {
    progress.log(`  round ${round}/${rounds}: production worker`);
    // Readiness is /health (no image code runs), so the image request after it is the isolate's first.
    // Polling with the image itself would not do: wrangler holds early requests until workerd is up.
    const worker = await startWranglerDev('worker (cold)', root, 'wrangler.jsonc', ports.worker, '/health');
    try {
      w.spawn.push(worker.readyMs);
      w.first.push(await latency(worker.origin, IMAGE));
      w.warm.push(await warmLatency(worker.origin));
    } finally {
      await worker.stop();
    }
    progress.log(`  round ${round}/${rounds}: cold-start probe`);
    const probe = await startWranglerDev('cold-start probe', root, 'bench/worker/lazy.wrangler.jsonc', ports.probe, '/openapi.json');
    try {
      const body = (await (await fetch(probe.origin + '/__bench/cold-load')).json()) as { loadMs: number; firstImageMs: number; secondImageMs: number };
      p.load.push(body.loadMs);
      p.first.push(body.firstImageMs);
      p.second.push(body.secondImageMs);
    } finally {
      await probe.stop();
    }
    progress.log(`  round ${round}/${rounds}: node baseline`);
    const node = await startNodeBaseline(root, modelsDir, ports.node, '/health');
    try {
      n.spawn.push(node.readyMs);
      n.load.push(((await (await fetch(node.origin + '/__bench/startup')).json()) as { startupMs: number }).startupMs);
      n.first.push(await latency(node.origin, IMAGE));
      n.warm.push(await warmLatency(node.origin));
    } finally {
      await node.stop();
    }
  }
  return {
    rounds,
    worker: { spawnToFirst200Ms: median(w.spawn), firstImageMs: median(w.first), warmImageMs: median(w.warm) },
    probe: { loadMs: median(p.load), firstImageComputeMs: median(p.first), secondImageComputeMs: median(p.second) },
    node: { spawnToFirst200Ms: median(n.spawn), loadMs: median(n.load), firstImageMs: median(n.first), warmImageMs: median(n.warm) },
  };
}
