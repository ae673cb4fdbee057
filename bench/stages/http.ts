/**
 * Stage 2: end to end over HTTP with autocannon: every endpoint, n = 1/16/64, concurrency 1/4/16,
 * against the worker under `wrangler dev` and the plain-Node baseline. Each cell is `rounds` short runs
 * per server, the servers' order alternating between rounds; the medians are reported with the spread
 * (min-max) of req/s over the rounds.
 */
import autocannon from 'autocannon';
import type { Progress } from '../lib/progress';
import { median } from '../lib/stats';
import { interpolateSteps, N_VALUES } from './inference';

export interface LoadFigures {
  p50: number;
  p99: number;
  rps: number;
  requests: number;
  /** connection errors + timeouts + non-2xx responses */
  errors: number;
}

/** A cell over several rounds: medians of p50, p99 and req/s; req/s spread; totals of requests and errors. */
export interface CellFigures extends LoadFigures {
  rounds: number;
  rpsMin: number;
  rpsMax: number;
}

export interface HttpRow {
  label: string;
  connections: number;
  byServer: Record<string, CellFigures>;
}

export interface HttpCase {
  label: string;
  path: string;
  /** meta endpoints get shorter runs */
  meta: boolean;
}

export const CONCURRENCY = [1, 4, 16] as const;

export function httpCases(): HttpCase[] {
  const images = N_VALUES.flatMap((n) => [
    { label: `/v1/generate n=${n}`, path: `/v1/generate?seed=1&n=${n}`, meta: false },
    { label: `/v1/digits/7 n=${n}`, path: `/v1/digits/7?seed=1&n=${n}`, meta: false },
    { label: `/v1/interpolate steps=${interpolateSteps(n)}`, path: `/v1/interpolate?from=1&to=2&steps=${interpolateSteps(n)}`, meta: false },
  ]);
  const meta = ['/health', '/v1/models', '/openapi.json', '/'].map((path) => ({ label: path, path, meta: true }));
  return [...images, ...meta];
}

export async function load(url: string, connections: number, seconds: number, requests?: autocannon.Request[]): Promise<LoadFigures & { non2xx: number }> {
  const result = await autocannon({ url, connections, duration: seconds, requests, timeout: 30 });
  return {
    p50: result.latency.p50,
    p99: result.latency.p99,
    rps: result.requests.average,
    requests: result.requests.total,
    errors: result.errors + result.timeouts + result.non2xx,
    non2xx: result.non2xx,
  };
}

function combine(runs: LoadFigures[]): CellFigures {
  const rps = runs.map((r) => r.rps);
  return {
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    rps: median(rps),
    rpsMin: Math.min(...rps),
    rpsMax: Math.max(...rps),
    requests: runs.reduce((sum, r) => sum + r.requests, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    rounds: runs.length,
  };
}

export async function runHttp(
  servers: { name: string; origin: string }[],
  opts: { seconds: number; metaSeconds: number; rounds: number },
  progress: Progress,
): Promise<HttpRow[]> {
  const rows: HttpRow[] = [];
  const cases = httpCases();
  let done = 0;
  const total = cases.length * CONCURRENCY.length;
  for (const c of cases) {
    for (const connections of CONCURRENCY) {
      progress.log(`  [${++done}/${total}] ${c.label} c=${connections}`);
      const runs: Record<string, LoadFigures[]> = Object.fromEntries(servers.map((s) => [s.name, []]));
      for (let r = 0; r < opts.rounds; r++) {
        const order = (done + r) % 2 === 0 ? servers : [...servers].reverse();
        for (const s of order) runs[s.name].push(await load(s.origin + c.path, connections, c.meta ? opts.metaSeconds : opts.seconds));
      }
      rows.push({ label: c.label, connections, byServer: Object.fromEntries(servers.map((s) => [s.name, combine(runs[s.name])])) });
    }
  }
  return rows;
}
