/**
 * Stage 6: does /health stay fast while the heavy endpoints are saturated? `clients` concurrent loops
 * request the largest images (n=64, scale=8, distinct seeds so nothing is cached) for `seconds`, while
 * one probe requests /health every 50 ms. Reports /health latency idle and under load (p50/p99/max) and
 * what the heavy requests got (200 vs 503 overloaded, their p50/p99). Before the scheduler, every
 * response in an isolate, /health included, waited for all model work queued before it.
 *
 * The probe runs in a thread of its own (its own event loop): in the clients' loop, its timer and its
 * response would also wait behind 16 clients' uploads and answers, and the figure would be the load
 * generator's lag as much as the server's. The clients run as a process of their own below the server's
 * and the probe's priority (./load-clients.ts says why).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { TimerLag } from '../app/timer-lag';
import { ms, quantile } from '../lib/stats';
import type { Progress } from '../lib/progress';
import { timed, type HealthLoad } from './health-loads';
import { spawnLoadClients } from './load-clients';

export type { HealthLoad } from './health-loads';

export interface HealthUnderLoadResult {
  server: string;
  /** what the clients loop: the largest generate, issue 21's hostile uploads, or /health itself (./health-loads.ts) */
  load: HealthLoad;
  /** how the requests reached the worker: through `wrangler dev`'s proxy process, or to workerd's own port */
  via?: 'proxy' | 'direct';
  clients: number;
  seconds: number;
  idle: { p50: number; p99: number; max: number; count: number };
  underLoad: { p50: number; p99: number; max: number; count: number; failures: number };
  heavy: { ok: number; overloaded: number; other: number; p50: number; p99: number };
  /**
   * how late a 5 ms timer fired inside the server over the same window (GET /__bench/lag): the longest the
   * isolate itself held a light request; the rest of /health's latency is the network, proxy and client.
   * null if the server did not answer it
   */
  timerLag: TimerLag | null;
}

function summary(times: number[]) {
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), max: Math.max(...times), count: times.length };
}

/**
 * /health every `everyMs` for `forMs`, from a thread of its own; resolves to the latencies of the 200s and
 * the count of anything else.
 */
function probeInThread(origin: string, everyMs: number, forMs: number): Promise<{ times: number[]; failures: number }> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    (async () => {
      const { url, everyMs, forMs } = workerData;
      const times = [];
      let failures = 0;
      const end = performance.now() + forMs;
      while (performance.now() < end) {
        const t = performance.now();
        try {
          const res = await fetch(url);
          await res.arrayBuffer();
          if (res.status === 200) times.push(performance.now() - t);
          else failures++;
        } catch {
          failures++;
        }
        await new Promise((r) => setTimeout(r, everyMs));
      }
      parentPort.postMessage({ times, failures });
    })();`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { url: `${origin}/health`, everyMs, forMs } });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

export async function runHealthUnderLoad(
  server: string,
  origin: string,
  settings: { clients: number; seconds: number },
  progress?: Progress,
  load: HealthLoad = 'generate',
  via?: 'proxy' | 'direct',
): Promise<HealthUnderLoadResult> {
  const idle: number[] = [];
  for (let i = 0; i < 40; i++) {
    idle.push((await timed(`${origin}/health`)).ms);
    await sleep(20);
  }
  const clients = spawnLoadClients(origin, load, settings);
  await clients.ready;
  const end = performance.now() + settings.seconds * 1000;
  await sleep(300); // let the queue fill
  const lag = fetch(`${origin}/__bench/lag?ms=${Math.round(end - performance.now())}&every=5`)
    .then(async (res) => {
      if (res.ok) return (await res.json()) as TimerLag;
      progress?.log(`${server}: /__bench/lag answered ${res.status}: ${(await res.text()).slice(0, 200)}; no timer lag for the ${load} load`);
      return null;
    })
    .catch((err: unknown) => {
      progress?.log(`${server}: /__bench/lag failed (${err instanceof Error ? err.message : String(err)}); no timer lag for the ${load} load`);
      return null;
    });
  progress?.tick(`${server}: ${load} load`);
  const { times: probe, failures } = await probeInThread(origin, 50, end - performance.now());
  const heavy = await clients.tally;
  const timerLag = await lag;
  return {
    server,
    load,
    ...(via ? { via } : {}),
    clients: settings.clients,
    seconds: settings.seconds,
    idle: summary(idle),
    underLoad: { ...summary(probe), failures },
    heavy: { ok: heavy.ok, overloaded: heavy.overloaded, other: heavy.other, p50: quantile(heavy.times, 0.5), p99: quantile(heavy.times, 0.99) },
    timerLag,
  };
}

const LOAD_NAMES: Record<HealthLoad, string> = { generate: 'generate n=64 scale=8', hostile: 'hostile uploads', light: '/health itself (control)' };

/** The report's section for this stage. */
export function renderHealthUnderLoad(rows: HealthUnderLoadResult[]): string {
  const header = '| server | load | /health idle p50 / p99 (ms) | /health under load p50 / p99 / max (ms) | heavy answered / 503 | heavy answered p50 / p99 (ms) | timer lag in the server p50 / p99 / max (ms) |';
  const lines = rows.map(
    (r) =>
      `| ${r.server}${r.via === 'direct' ? ' (its own port, no proxy)' : ''} | ${LOAD_NAMES[r.load]} | ${ms(r.idle.p50)} / ${ms(r.idle.p99)} | ${ms(r.underLoad.p50)} / ${ms(r.underLoad.p99)} / ${ms(r.underLoad.max)}` +
      `${r.underLoad.failures ? ` (${r.underLoad.failures} failed)` : ''} | ${r.heavy.ok} / ${r.heavy.overloaded} | ${ms(r.heavy.p50)} / ${ms(r.heavy.p99)} | ` +
      `${r.timerLag ? `${ms(r.timerLag.p50)} / ${ms(r.timerLag.p99)} / ${ms(r.timerLag.max)}` : 'n/a'} |`,
  );
  const first = rows[0];
  return (
    `## 6. /health while the heavy endpoints are saturated\n\n` +
    `${first?.clients ?? '?'} clients loop \`GET /v1/generate?n=64&scale=8\` (distinct seeds), or POST issue 21's hostile uploads ` +
    `to /v1/classify (test/robustness/hostile-cases.ts, round robin; their JSON 4xx counts as answered), or, as the control, GET /health ` +
    `itself as fast as it is answered, for ${first?.seconds ?? '?'} s while /health is probed every 50 ms from a thread of its own ` +
    `(bench/stages/health-under-load.ts). The clients run as a process of their own at SCHED_OTHER, nice 19, below the server and the ` +
    `probe (bench/stages/load-clients.ts): on a deployment they are other machines, not two cores shared with the isolate. "its own port": the same ` +
    `workerd reached without \`wrangler dev\`'s proxy process, which otherwise relays every upload on the same two cores. ` +
    `"timer lag": how late a 5 ms timer fired inside the server over the same window (GET /__bench/lag, bench/app/timer-lag.ts), ` +
    `the longest the isolate itself held a light request; the rest of /health's time is the network, the proxy and the client.\n\n${header}\n|---|---|---|---|---|---|---|\n${lines.join('\n')}`
  );
}
