/**
 * The load run: `seconds` at concurrency 16 over a mix of endpoints against one server, sampling its
 * memory every few seconds (from /__bench/memory: ORT's live output tensors and wasm heap size; from
 * /proc: the runtime process's RSS). A leaked tensor shows at once in the live count; RSS must level off.
 */
import autocannon from 'autocannon';
import type { Progress } from '../lib/progress';
import { findWorkerInspector, heapUsage } from '../lib/inspector';
import { rssBytes } from '../lib/processes';
import type { MemoryReport } from '../app/bench-routes';

export const SOAK_MIX: autocannon.Request[] = [
  { path: '/v1/generate?seed=11&n=1' },
  { path: '/v1/generate?n=16' },
  { path: '/v1/digits/4?seed=3&n=8&format=json' },
  { path: '/v1/interpolate?from=5&to=9&steps=8' },
  { path: '/v1/interpolate?from=5&to=9&steps=16&space=latent&digit_from=2&digit_to=7&scale=2' },
  { path: '/health' },
  { path: '/v1/generate?seed=12&n=64' },
  { path: '/v1/models' },
];

export interface MemorySample {
  atSeconds: number;
  rssBytes: number | null;
  ortHeapBytes: number | null;
  jsHeapBytes: number | null;
  jsHeapTotalBytes: number | null;
  arrayBufferBytes: number | null;
  liveTensors: number;
}

export interface SoakResult {
  server: string;
  seconds: number;
  connections: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  samples: MemorySample[];
  /** growth from the end of warm-up (first quarter) to the end */
  rssGrowthBytes: number | null;
  ortHeapGrowthBytes: number | null;
  /** RSS growth from the middle of the run to the end: by then the runtime's heaps have settled */
  lateRssGrowthBytes: number | null;
  /** second-half growth of the JS heap's reserved size and of ArrayBuffer backing stores (where seen) */
  lateJsHeapTotalGrowthBytes: number | null;
  lateArrayBufferGrowthBytes: number | null;
  /** responses per status code over the run */
  statuses: Record<string, number>;
  /** after the run: each mix path once, and what the ones that did not answer 200 said */
  afterwards: string[];
  /** the end of the server's output, kept when requests failed */
  logTail?: string;
  /** whether workerd's inspector answered (JS heap figures for the worker) */
  inspector: boolean;
  /** RSS growth over the last quarter: near 0 when RSS has levelled off */
  lastQuarterRssGrowthBytes: number | null;
  /** live ORT output tensors at the end (after the load) and the most seen at any sample */
  liveTensorsEnd: number;
  liveTensorsMax: number;
  tensorsCreated: number;
}

export async function runSoak(server: string, origin: string, pid: number | null, seconds: number, progress: Progress): Promise<SoakResult> {
  const samples: MemorySample[] = [];
  let created = 0;
  const started = performance.now();
  // workerd: the worker's JS heap from workerd's own inspector (the worker cannot see it)
  const inspector = pid && server === 'workerd' ? await findWorkerInspector(pid) : null;
  const sample = async () => {
    const mem = (await (await fetch(origin + '/__bench/memory')).json()) as MemoryReport;
    const heap = inspector ? await heapUsage(inspector) : null;
    samples.push({
      atSeconds: Math.round((performance.now() - started) / 1000),
      rssBytes: pid ? rssBytes(pid) : mem.rssBytes,
      ortHeapBytes: mem.ortHeapBytes,
      jsHeapBytes: heap?.usedSize ?? mem.jsHeapBytes,
      jsHeapTotalBytes: heap?.totalSize ?? mem.jsHeapTotalBytes,
      arrayBufferBytes: heap?.backingStorageSize ?? mem.arrayBufferBytes,
      liveTensors: mem.liveTensors,
    });
    created = mem.tensorsCreated;
  };
  await sample();
  const every = Math.max(1, Math.min(10, Math.round(seconds / 12)));
  const timer = setInterval(() => {
    void sample();
    progress.log(`  ${server}: ${Math.round((performance.now() - started) / 1000)}/${seconds} s under load`);
  }, every * 1000);
  const connections = 16;
  const result = await autocannon({ url: origin, connections, duration: seconds, requests: SOAK_MIX, timeout: 30 });
  clearInterval(timer);
  await sample();
  const afterwards: string[] = [];
  for (const r of SOAK_MIX) {
    try {
      const res = await fetch(origin + r.path, { signal: AbortSignal.timeout(30_000) });
      const body = await res.arrayBuffer();
      if (res.status !== 200) afterwards.push(`${r.path} -> ${res.status} ${new TextDecoder().decode(body).slice(0, 200)}`);
    } catch (err) {
      afterwards.push(`${r.path} -> no response (${(err as Error).message})`);
    }
  }
  const warm = samples.find((s) => s.atSeconds >= seconds / 4) ?? samples[0];
  const last = samples[samples.length - 1];
  const middle = samples.find((s) => s.atSeconds >= seconds / 2) ?? samples[0];
  const lastQuarter = samples.find((s) => s.atSeconds >= (seconds * 3) / 4) ?? samples[0];
  const growth = (key: 'rssBytes' | 'ortHeapBytes' | 'jsHeapTotalBytes' | 'arrayBufferBytes', from = warm) => (from[key] !== null && last[key] !== null ? last[key]! - from[key]! : null);
  return {
    server,
    seconds,
    connections,
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    samples,
    rssGrowthBytes: growth('rssBytes'),
    ortHeapGrowthBytes: growth('ortHeapBytes'),
    lateRssGrowthBytes: growth('rssBytes', middle),
    lastQuarterRssGrowthBytes: growth('rssBytes', lastQuarter),
    lateJsHeapTotalGrowthBytes: growth('jsHeapTotalBytes', middle),
    lateArrayBufferGrowthBytes: growth('arrayBufferBytes', middle),
    inspector: inspector !== null,
    statuses: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, x]) => [code, x.count])),
    afterwards,
    liveTensorsEnd: last.liveTensors,
    liveTensorsMax: Math.max(...samples.map((x) => x.liveTensors)),
    tensorsCreated: created,
  };
}
