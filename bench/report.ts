/** The results as markdown: every table of the run, the targets met or missed, and how it was measured. */
import { renderHealthUnderLoad, type HealthUnderLoadResult } from './stages/health-under-load';
import type { Machine } from './lib/machine';
import { mib, ms, ratio } from './lib/stats';
import type { BadInputResult } from './stages/bad-input';
import type { BundleResult } from './stages/bundle-size';
import type { ColdStartResult } from './stages/cold-start';
import type { HttpRow } from './stages/http';
import type { InferenceRow } from './stages/inference';
import type { SoakResult } from './stages/soak';
import type { WorstRow } from './stages/worst-case';

export const WORKER = 'workerd';
export const NODE = 'node';

export interface Results {
  machine: Machine;
  loadAtEnd: string;
  command: string;
  modelsRunId: string;
  quick: boolean;
  minutes: number;
  inference?: InferenceRow[];
  encoding?: InferenceRow[];
  http?: HttpRow[];
  cold?: ColdStartResult;
  bundle?: BundleResult;
  worst?: WorstRow[];
  badInput?: BadInputResult[];
  soak?: SoakResult[];
  healthUnderLoad?: HealthUnderLoadResult[];
}

export interface Target {
  what: string;
  target: string;
  measured: string;
  met: boolean | null;
}

const MB = 1e6;

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function targets(r: Results): Target[] {
  const out: Target[] = [];
  const row = (label: string) => r.inference?.find((x) => x.label === label);
  for (const [label, limit] of [['generate n=1', 1.5], ['generate n=16', 2.5]] as const) {
    const x = row(label);
    if (x) {
      const q = x.medianMs[WORKER] / x.medianMs[NODE];
      out.push({ what: `model work ${label}, workerd / onnxruntime-node`, target: `<= ${limit}`, measured: q.toFixed(2), met: q <= limit });
    }
  }
  for (const h of r.healthUnderLoad ?? []) {
    if (h.server !== WORKER) continue;
    // Before the scheduler /health waited for all queued model work, i.e. as long as a heavy request.
    out.push({
      what: '/health p99 while heavy endpoints are saturated (workerd), vs the heavy requests\' p50',
      target: '< heavy p50 (does not wait for the queue)',
      measured: `${h.underLoad.p99.toFixed(0)} ms vs ${h.heavy.p50.toFixed(0)} ms`,
      met: h.underLoad.p99 < h.heavy.p50,
    });
  }
  if (r.cold) {
    out.push({ what: 'model sessions ready (startup work, fresh isolate)', target: '<= 400 ms', measured: `${ms(r.cold.probe.loadMs)} ms`, met: r.cold.probe.loadMs <= 400 });
    out.push({
      what: 'first image after that (fresh isolate; compute inside / over HTTP)',
      target: '<= 50 ms',
      measured: `${ms(r.cold.probe.firstImageComputeMs)} ms / ${ms(r.cold.worker.firstImageMs)} ms`,
      met: r.cold.worker.firstImageMs <= 50,
    });
  }
  if (r.bundle) {
    const others = r.bundle.totalGzip - r.bundle.parts[0].gzipBytes;
    out.push({ what: 'worker upload, gzip', target: '<= 5.0 MB', measured: `${(r.bundle.totalGzip / MB).toFixed(2)} MB`, met: r.bundle.totalGzip <= 5 * MB });
    out.push({ what: 'models + code, gzip', target: '<= 1.3 MB', measured: `${(others / MB).toFixed(2)} MB`, met: others <= 1.3 * MB });
  }
  for (const b of r.badInput ?? []) {
    out.push({
      what: `bad input on ${b.server}: ${b.requests} requests`,
      target: '0 responses >= 500, every 4xx JSON, seed bytes unchanged',
      measured: `${b.fiveHundreds} x 5xx, ${b.failures.length} rule breaks, ${b.canaryMismatches}/${b.canaryChecks} canary mismatches`,
      met: b.fiveHundreds === 0 && b.failures.length === 0 && b.canaryMismatches === 0,
    });
  }
  for (const s of r.soak ?? []) {
    out.push({ what: `load ${s.seconds} s at c=${s.connections} on ${s.server}`, target: '0 errors', measured: `${s.errors + s.non2xx} errors in ${s.requests} requests`, met: s.errors + s.non2xx === 0 });
    if (s.ortHeapGrowthBytes !== null) {
      out.push({ what: `${s.server}: ORT heap growth after warm-up`, target: '0 (no leaked tensors)', measured: `${mib(s.ortHeapGrowthBytes)} MiB`, met: s.ortHeapGrowthBytes <= 0 });
    }
    out.push({
      what: `${s.server}: process RSS growth over the second half of the load run`,
      target: '<= 16 MiB (a 1 KiB/request leak would exceed it)',
      measured: s.lateRssGrowthBytes === null ? 'n/a' : `${mib(s.lateRssGrowthBytes)} MiB`,
      met: s.lateRssGrowthBytes === null ? null : s.lateRssGrowthBytes <= 16 * 2 ** 20,
    });
  }
  return out;
}

export function renderReport(r: Results): string {
  const m = r.machine;
  const parts: string[] = [];
  parts.push(`# Benchmark results${r.quick ? ' (QUICK run: short settings, not the reference figures)' : ''}

Written by \`${r.command}\` (bench/cli.ts) in ${r.minutes.toFixed(1)} min. Every ratio compares two things measured
side by side in this one run on this machine; absolute times move with machine load, ratios much less.

| | |
|---|---|
| date | ${m.date} |
| machine | ${m.cpu}, ${m.cores} cores, ${m.ramGiB} GiB RAM |
| load average (1/5/15 min) at start / end | ${m.loadAverage} / ${r.loadAtEnd} |
| Node | ${m.node} |
| versions | ${Object.entries(m.versions).map(([k, v]) => `${k} ${v}`).join(', ')} |
| commit | ${m.commit} |
| models | run \`${r.modelsRunId}\`, the float16-weight files the worker bundles |

The worker side runs in workerd under \`wrangler dev\` (bench/worker: the production app from edge/app.ts plus
/__bench measurement routes). The baseline is the same Hono app and edge code served by @hono/node-server over
onnxruntime-node, one intra-op thread (bench/node). MB = 10^6 bytes, MiB = 2^20.`);

  const t = targets(r);
  if (t.length) {
    parts.push(`## Targets\n\n${table(['what', 'target', 'measured', 'met'], t.map((x) => [x.what, x.target, x.measured, x.met === null ? 'n/a' : x.met ? 'yes' : '**no**']))}`);
  }

  const ratioTable = (rows: InferenceRow[]) =>
    table(
      ['case', 'workerd (ms)', 'onnxruntime-node (ms)', 'workerd / node'],
      rows.map((x) => [x.label, ms(x.medianMs[WORKER], 3), ms(x.medianMs[NODE], 3), ratio(x.medianMs[WORKER], x.medianMs[NODE])]),
    );
  if (r.inference) {
    parts.push(`## 1. Model work inside the runtime

Median time per request's model work (noise from \`noiseForSeed\`, generator or cgan-generator, decoder; the
same edge/inference/sampling.ts code), each sample many repetitions long on the runtime's own clock, after a
warm-up (workerd's JIT needs a second or more of work to reach full speed), samples of the two runtimes alternating.
${r.inference[0]?.samples ?? 0} samples per case.

${ratioTable(r.inference)}`);
  }
  if (r.encoding) {
    parts.push(`### Encoding (PNG via core/png.ts / fast-png), same method\n\n${ratioTable(r.encoding)}`);
  }

  if (r.http) {
    const servers = Object.keys(r.http[0]?.byServer ?? {});
    const head = ['endpoint', 'c', ...servers.flatMap((s) => [`${s} p50 ms`, `${s} p99 ms`, `${s} req/s`, `${s} errors`]), 'req/s workerd / node'];
    parts.push(`## 2. End to end over HTTP (autocannon)

PNG responses (the default format), seeded. workerd behind \`wrangler dev\`'s local proxy (which adds a few ms per
request that Cloudflare's edge does not), Node on @hono/node-server. Both on 127.0.0.1, the load generator on
the same 2 cores.

${table(
  head,
  r.http.map((x) => [
    x.label,
    String(x.connections),
    ...servers.flatMap((s) => {
      const f = x.byServer[s];
      return [String(f.p50), String(f.p99), f.rps.toFixed(0), String(f.errors)];
    }),
    ratio(x.byServer[WORKER]?.rps ?? NaN, x.byServer[NODE]?.rps ?? NaN),
  ]),
)}`);
  }

  if (r.cold) {
    const c = r.cold;
    parts.push(`## 3. Cold start (median of ${c.rounds} fresh starts)

${table(
  ['', 'workerd', 'Node baseline'],
  [
    ['spawn to first 200 (includes wrangler bundling and workerd boot for the worker)', `${ms(c.worker.spawnToFirst200Ms)} ms`, `${ms(c.node.spawnToFirst200Ms)} ms`],
    ['startup work: ORT init + 3 sessions', `${ms(c.probe.loadMs)} ms (timed inside a request of a fresh isolate)`, `${ms(c.node.loadMs)} ms`],
    ['first image, compute inside the isolate', `${ms(c.probe.firstImageComputeMs)} ms (2nd: ${ms(c.probe.secondImageComputeMs)} ms)`, 'n/a'],
    ['first image request of the fresh isolate (after the first 200 from /health), over HTTP', `${ms(c.worker.firstImageMs)} ms`, `${ms(c.node.firstImageMs)} ms`],
    ['warm image request (median of 20), over HTTP', `${ms(c.worker.warmImageMs)} ms`, `${ms(c.node.warmImageMs)} ms`],
  ],
)}

The production worker loads its sessions at module scope (edge/index.ts), so that work counts against
Cloudflare's 1 s startup limit rather than the first request; locally workerd's clock stands still during module
evaluation, which is why the startup work is timed by the probe (bench/worker/lazy.ts) inside its first request.`);
  }

  if (r.bundle) {
    const b = r.bundle;
    parts.push(`## 4. Bundle (\`wrangler deploy --dry-run --outdir\`)

${table(
  ['part', 'files', 'raw MB', 'gzip MB'],
  [
    ...b.parts.map((p) => [p.part, p.files.join(', ') || '-', (p.rawBytes / MB).toFixed(3), (p.gzipBytes / MB).toFixed(3)]),
    ['**total**', '', (b.totalRaw / MB).toFixed(3), (b.totalGzip / MB).toFixed(3)],
  ],
)}

wrangler: \`${b.wranglerSays}\` (KiB). Cloudflare's published limits are 3 MB compressed on the free plan and
10 MB on paid plans (check the current limits page).`);
  }

  if (r.worst) {
    const servers = Object.keys(r.worst[0]?.byServer ?? {});
    parts.push(`## 5. Largest allowed requests (end to end, median of repeats after one warm-up)

${table(
  ['request', ...servers.flatMap((s) => [`${s} ms`, `${s} bytes`])],
  r.worst.map((x) => [`${x.label}<br>\`${x.path}\``, ...servers.flatMap((s) => [`${ms(x.byServer[s].latencyMs)}${x.byServer[s].status === 200 ? '' : ` (${x.byServer[s].status})`}`, String(x.byServer[s].bytes)])]),
)}

The API bounds every request (n <= 64, steps <= 32, scale <= 8), so these are the most a single request can cost.`);
  }

  if (r.badInput) {
    parts.push(`## Robustness: bad input (bench/robustness/bad-requests.ts over HTTP, 4 at a time)

${table(
  ['server', 'requests', 'statuses', '5xx', 'rule breaks', 'rejected by the HTTP layer (431/414)', 'seed-bytes checks failed', 'seconds'],
  r.badInput.map((b) => [
    b.server,
    String(b.requests),
    Object.entries(b.byStatus).map(([s, n]) => `${s}: ${n}`).join(', '),
    String(b.fiveHundreds),
    String(b.failures.length),
    String(b.transportRejections),
    `${b.canaryMismatches}/${b.canaryChecks}`,
    b.seconds.toFixed(0),
  ]),
)}${r.badInput.some((b) => b.failures.length) ? `\n\nFirst rule breaks:\n\n${r.badInput.flatMap((b) => b.failures.slice(0, 8).map((f) => `- ${b.server}: \`${f.replace(/`/g, "'")}\``)).join('\n')}` : ''}`);
  }

  for (const s of r.soak ?? []) {
    parts.push(`## Robustness: load on ${s.server} (${s.seconds} s, ${s.connections} connections, mixed endpoints)

${s.requests} requests, ${s.rps.toFixed(0)} req/s, p50 ${s.p50} ms, p99 ${s.p99} ms, ${s.errors} errors/timeouts, ${s.non2xx} non-2xx.

${table(
  ['t (s)', 'process RSS MiB', 'ORT wasm heap MiB', 'JS heap used MiB'],
  s.samples.map((x) => [String(x.atSeconds), mib(x.rssBytes), mib(x.ortHeapBytes), mib(x.jsHeapBytes)]),
)}

Growth from the end of warm-up (first quarter) to the end: RSS ${s.rssGrowthBytes === null ? 'n/a' : `${mib(s.rssGrowthBytes)} MiB`}, ORT heap
${s.ortHeapGrowthBytes === null ? 'n/a' : `${mib(s.ortHeapGrowthBytes)} MiB`}.`);
  }
  if (r.soak?.length) {
    parts.push(`onnxruntime-web's heap is WebAssembly memory, which only grows, so a tensor leaked per request would show as
steady growth there. workerd gives a worker no view of its JS heap, so for the worker the process RSS (from
/proc) stands in for it; the Node baseline runs the same app code and reports its JS heap directly.`);
  }
  if (r.healthUnderLoad?.length) parts.push(renderHealthUnderLoad(r.healthUnderLoad));
  return parts.join('\n\n') + '\n';
}
