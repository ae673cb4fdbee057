/**
 * Stage 6: does /health stay fast while the heavy endpoints are saturated? `clients` concurrent loops
 * request the largest images (n=64, scale=8, distinct seeds so nothing is cached) for `seconds`, while
 * one probe requests /health every 50 ms. Reports /health latency idle and under load (p50/p99/max) and
 * what the heavy requests got (200 vs 503 overloaded, their p50/p99). Before the scheduler, every
 * response in an isolate, /health included, waited for all model work queued before it.
 */
import { ms, quantile } from '../lib/stats';
import type { Progress } from '../lib/progress';

export interface HealthUnderLoadResult {
  server: string;
  clients: number;
  seconds: number;
  idle: { p50: number; p99: number; max: number; count: number };
  underLoad: { p50: number; p99: number; max: number; count: number; failures: number };
  heavy: { ok: number; overloaded: number; other: number; p50: number; p99: number };
}

const HEAVY = (i: number) => `/v1/generate?seed=${1000 + i}&n=64&scale=8`;
const sleep = (t: number) => new Promise((resolve) => setTimeout(resolve, t));

function summary(times: number[]) {
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99), max: Math.max(...times), count: times.length };
}

async function timed(url: string): Promise<{ ms: number; status: number }> {
  const t = performance.now();
  const res = await fetch(url);
  await res.arrayBuffer();
  return { ms: performance.now() - t, status: res.status };
}

export async function runHealthUnderLoad(
  server: string,
  origin: string,
  settings: { clients: number; seconds: number },
  progress?: Progress,
): Promise<HealthUnderLoadResult> {
  const idle: number[] = [];
  for (let i = 0; i < 40; i++) {
    idle.push((await timed(`${origin}/health`)).ms);
    await sleep(20);
  }
  const end = performance.now() + settings.seconds * 1000;
  const heavyTimes: number[] = [];
  const heavy = { ok: 0, overloaded: 0, other: 0 };
  let next = 0;
  const clients = Array.from({ length: settings.clients }, async () => {
    while (performance.now() < end) {
      const r = await timed(origin + HEAVY(next++));
      if (r.status === 200) {
        heavy.ok++;
        heavyTimes.push(r.ms);
      } else if (r.status === 503) {
        heavy.overloaded++;
        await sleep(50); // a client that honours Retry-After would wait longer; keep the pressure on
      } else heavy.other++;
    }
  });
  const probe: number[] = [];
  let failures = 0;
  await sleep(300); // let the queue fill
  while (performance.now() < end) {
    const r = await timed(`${origin}/health`);
    if (r.status === 200) probe.push(r.ms);
    else failures++;
    progress?.tick(`${server}: /health p99 ${ms(quantile(probe, 0.99))} ms under load; heavy ${heavy.ok} ok, ${heavy.overloaded} x 503`);
    await sleep(50);
  }
  await Promise.all(clients);
  return {
    server,
    clients: settings.clients,
    seconds: settings.seconds,
    idle: summary(idle),
    underLoad: { ...summary(probe), failures },
    heavy: { ...heavy, p50: quantile(heavyTimes, 0.5), p99: quantile(heavyTimes, 0.99) },
  };
}

/** The report's section for this stage. */
export function renderHealthUnderLoad(rows: HealthUnderLoadResult[]): string {
  const header = '| server | /health idle p50 / p99 (ms) | /health under load p50 / p99 / max (ms) | heavy 200 / 503 | heavy 200 p50 / p99 (ms) |';
  const lines = rows.map(
    (r) =>
      `| ${r.server} | ${ms(r.idle.p50)} / ${ms(r.idle.p99)} | ${ms(r.underLoad.p50)} / ${ms(r.underLoad.p99)} / ${ms(r.underLoad.max)}` +
      `${r.underLoad.failures ? ` (${r.underLoad.failures} failed)` : ''} | ${r.heavy.ok} / ${r.heavy.overloaded} | ${ms(r.heavy.p50)} / ${ms(r.heavy.p99)} |`,
  );
  const first = rows[0];
  return (
    `## 6. /health while the heavy endpoints are saturated\n\n` +
    `${first?.clients ?? '?'} clients loop \`GET /v1/generate?n=64&scale=8\` (distinct seeds) for ${first?.seconds ?? '?'} s while ` +
    `/health is probed every 50 ms (bench/stages/health-under-load.ts).\n\n${header}\n|---|---|---|---|---|\n${lines.join('\n')}`
  );
}
