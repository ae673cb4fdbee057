/**
 * Stage "cpu": what Workers would bill, CPU milliseconds per request, per endpoint at typical and largest
 * sizes. For each case and server: a warm-up, then N sequential requests over HTTP while reading the
 * runtime process's own CPU time (/proc/<pid>/task/<tid>/schedstat summed over threads: workerd's worker process, or the Node
 * baseline process), minus what the process burns idle over the same wall time (measured just before).
 * The count N grows until the run lasts `minMs`.
 * Repeated `rounds` times with the servers' order alternated; median and spread reported.
 *
 * A case is one line: method, path, and for POST a body (see UPLOAD_CASES). Cases whose endpoint a build
 * does not have (404/405 on the probe) are reported as absent rather than failing the run.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { IMAGE_PIXELS } from '../../core/contract';
import { cpuMs, rssBytes } from '../lib/processes';
import type { Progress } from '../lib/progress';
import { median } from '../lib/stats';
import { hostileCases } from '../../test/robustness/hostile-cases';
import { denseJpeg, mnistTestSet, padPng, photoJpeg } from './uploads';

export interface CpuCase {
  /** the endpoint family, for the per-endpoint targets */
  endpoint: string;
  size: 'typical' | 'largest' | 'reference';
  label: string;
  path: string;
  method?: 'GET' | 'POST';
  /** for POST: the body (built once per run, uploads.ts): the drawing pad's 280x280 PNG or a 1024x1024 photo-like JPEG */
  body?: UploadBody;
  /** its own CPU target in ms (issue 9's upload budgets), instead of the per-endpoint one */
  targetMs?: number;
}

/** the drawing pad's PNG, a photo JPEG, or one of issue 21's hostile uploads (test/robustness/hostile-cases.ts) */
export type UploadBody = 'pad-png' | 'two-pad-pngs' | 'photo-jpeg' | 'two-photo-jpegs' | 'dense-jpeg' | `hostile:${string}`;

const GET = (endpoint: string, size: CpuCase['size'], label: string, path: string): CpuCase => ({ endpoint, size, label, path });
const POST = (endpoint: string, size: CpuCase['size'], label: string, path: string, body: UploadBody, targetMs?: number): CpuCase => ({
  endpoint,
  size,
  label,
  path,
  method: 'POST',
  body,
  ...(targetMs === undefined ? {} : { targetMs }),
});

export const CPU_CASES: CpuCase[] = [
  GET('health', 'reference', '/health (request overhead)', '/health'),
  GET('generate', 'typical', 'generate n=1', '/v1/generate?seed=1&n=1'),
  GET('generate', 'typical', 'generate n=16 scale=4', '/v1/generate?seed=1&n=16&scale=4'),
  GET('generate', 'typical', 'generate n=16 JSON', '/v1/generate?seed=1&n=16&format=json'),
  GET('generate', 'largest', 'generate n=64 scale=8', '/v1/generate?seed=1&n=64&scale=8'),
  GET('generate', 'largest', 'generate n=64 JSON', '/v1/generate?seed=1&n=64&format=json'),
  GET('digits', 'typical', 'digits n=1', '/v1/digits/7?seed=1&n=1'),
  GET('digits', 'typical', 'digits n=16 scale=4', '/v1/digits/7?seed=1&n=16&scale=4'),
  GET('digits', 'largest', 'digits n=64 scale=8', '/v1/digits/9?seed=1&n=64&scale=8'),
  GET('digits', 'largest', 'digits n=64 JSON', '/v1/digits/9?seed=1&n=64&format=json'),
  GET('interpolate', 'typical', 'interpolate steps=2', '/v1/interpolate?from=1&to=2&steps=2'),
  GET('interpolate', 'typical', 'interpolate steps=16 scale=4', '/v1/interpolate?from=1&to=2&steps=16&scale=4'),
  // the output of POST /v1/interpolate's two-pad case without the uploads: what that case costs beyond decoding them
  GET('interpolate', 'typical', 'interpolate steps=16 (scale 1)', '/v1/interpolate?from=1&to=2&steps=16'),
  // the output of the largest POST /v1/interpolate (two photos) without the uploads
  GET('interpolate', 'largest', 'interpolate steps=32 scale=8', '/v1/interpolate?from=1&to=2&steps=32&scale=8'),
  GET('interpolate', 'largest', 'interpolate steps=32 digits scale=8', '/v1/interpolate?from=1&to=2&steps=32&digit_from=3&digit_to=8&scale=8'),
  GET('interpolate', 'largest', 'interpolate steps=32 latent JSON', '/v1/interpolate?from=1&to=2&steps=32&space=latent&format=json'),
];

/**
 * The upload endpoints (issue 9); absent builds skip them. Bodies: MNIST test image 0 as the demo page's pad
 * sends it (280x280 RGBA PNG, target <= 5 ms CPU) and as a 1024x1024 photo-like JPEG (target <= 40 ms).
 */
const HOSTILE = hostileCases();

/** Every hostile upload must cost at most 100 ms of workerd CPU, whatever it answers (issue 21). */
export const HOSTILE_UPLOAD_CASES: CpuCase[] = HOSTILE.map((h) =>
  POST('POST /v1/classify', 'largest', `POST /v1/classify hostile: ${h.name}`, '/v1/classify', `hostile:${h.name}`, 100),
);

/**
 * The pad cases first, before the 1024x1024 JPEGs, whose garbage the next case collects: POST /v1/interpolate
 * with one pad measured 12.8 ms right after them and 10.9 ms before them (bench/RESULTS.md, issue 21 second round).
 */
export const UPLOAD_CASES: CpuCase[] = [
  POST('POST /v1/classify', 'typical', 'POST /v1/classify (280x280 pad PNG)', '/v1/classify', 'pad-png', 5),
  POST('POST /v1/encode', 'typical', 'POST /v1/encode (280x280 pad PNG)', '/v1/encode', 'pad-png', 5),
  POST('POST /v1/interpolate', 'typical', 'POST /v1/interpolate pad PNG steps=16 scale=4', '/v1/interpolate?to_seed=2&steps=16&scale=4', 'pad-png'),
  POST('POST /v1/interpolate', 'typical', 'POST /v1/interpolate two pad PNGs (from, to) steps=16 scale=4', '/v1/interpolate?steps=16&scale=4', 'two-pad-pngs'),
  POST('POST /v1/interpolate', 'typical', 'POST /v1/interpolate two pad PNGs (from, to) steps=16 (scale 1, the default)', '/v1/interpolate?steps=16', 'two-pad-pngs', 5),
  POST('POST /v1/encode', 'largest', 'POST /v1/encode (1024x1024 JPEG)', '/v1/encode', 'photo-jpeg', 40),
  // the worst case of reading a JPEG from its coefficients (edge/encoding/jpeg-luma.ts): the most Huffman data 2 MB holds
  POST('POST /v1/encode', 'largest', 'POST /v1/encode (1024x1024 JPEG of noise, 1.9 MB)', '/v1/encode', 'dense-jpeg', 40),
  POST('POST /v1/interpolate', 'largest', 'POST /v1/interpolate 1024x1024 JPEG steps=32 scale=8', '/v1/interpolate?to_seed=2&steps=32&scale=8', 'photo-jpeg'),
  // the largest request the route allows: two 1024x1024 photos, the most steps, the largest scale
  POST('POST /v1/interpolate', 'largest', 'POST /v1/interpolate two 1024x1024 JPEGs steps=32 scale=8', '/v1/interpolate?steps=32&scale=8', 'two-photo-jpegs', 25),
  ...HOSTILE_UPLOAD_CASES,
];

function uploadBody(kind: UploadBody, digit: Uint8Array): Body {
  if (kind === 'pad-png') return { bytes: padPng(digit), type: 'image/png' };
  if (kind === 'two-pad-pngs') return multipart({ from: padPng(digit), to: padPng(digit.map((v, i) => digit[IMAGE_PIXELS - 1 - i] ?? v)) });
  if (kind === 'photo-jpeg') return { bytes: photoJpeg(digit), type: 'image/jpeg' };
  if (kind === 'two-photo-jpegs') return multipart({ from: photoJpeg(digit), to: photoJpeg(digit, 11) }, 'image/jpeg');
  if (kind === 'dense-jpeg') return { bytes: denseJpeg(), type: 'image/jpeg' };
  const hostile = HOSTILE.find((h) => `hostile:${h.name}` === kind)!;
  return { bytes: hostile.bytes, type: hostile.type };
}

interface Body {
  bytes: Uint8Array;
  type: string;
}

/** A multipart/form-data body of image files (PNG unless `type` says otherwise), as a browser's FormData sends it. */
function multipart(files: Record<string, Uint8Array>, type = 'image/png'): Body {
  const boundary = '----latent-digits-bench';
  const text = (t: string) => new TextEncoder().encode(t);
  const parts: Uint8Array[] = [];
  for (const [name, bytes] of Object.entries(files)) {
    parts.push(text(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.${type.slice(6)}"\r\nContent-Type: ${type}\r\n\r\n`), bytes, text('\r\n'));
  }
  parts.push(text(`--${boundary}--\r\n`));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return { bytes: out, type: `multipart/form-data; boundary=${boundary}` };
}

export interface CpuFigures {
  /**
   * growth of the runtime process's resident memory over the case (MiB, from before its first request to
   * after its last); a wasm heap never shrinks, so a case that needs no more than earlier ones shows ~0
   */
  rssGrowthMiB: number | null;
  /** median over rounds of CPU ms per request, idle rate subtracted */
  cpuMs: number;
  cpuMin: number;
  cpuMax: number;
  /** median over rounds of wall ms per request (sequential, client side) */
  wallMs: number;
  requests: number;
  status: number;
}

export interface CpuRow {
  case: CpuCase;
  /** the scheduler's estimate for the request (Server-Timing `cost` from the worker; units ~ ms of CPU), null if none */
  estimate: number | null;
  /** null: the endpoint is absent in this build */
  byServer: Record<string, CpuFigures | null>;
}

export interface CpuOptions {
  rounds: number;
  /** each measured run lasts at least this long */
  minMs: number;
  minRequests: number;
  warmup: number;
}

export interface CpuServer {
  name: string;
  origin: string;
  pid: number | null;
}

async function send(origin: string, c: CpuCase, body: Body | null): Promise<number> {
  return (await sendReading(origin, c, body)).status;
}

/** The status and the scheduler's cost estimate (Server-Timing `cost;dur=`) of one request. */
async function sendReading(origin: string, c: CpuCase, body: Body | null): Promise<{ status: number; estimate: number | null }> {
  const res = await fetch(origin + c.path, {
    method: c.method ?? 'GET',
    ...(c.method === 'POST' && body ? { body: body.bytes as Uint8Array<ArrayBuffer>, headers: { 'Content-Type': body.type } } : {}),
  });
  await res.arrayBuffer();
  const cost = /(?:^|,)\s*cost;[^,]*?dur=([0-9.]+)/.exec(res.headers.get('Server-Timing') ?? '');
  return { status: res.status, estimate: cost ? Number(cost[1]) : null };
}

/** ms of CPU per ms of wall time the process uses with nothing to do. */
async function idleRate(pid: number, ms: number): Promise<number> {
  const c0 = cpuMs(pid)!;
  const t0 = performance.now();
  await sleep(ms);
  return (cpuMs(pid)! - c0) / (performance.now() - t0);
}

async function measureOnce(s: CpuServer, c: CpuCase, body: Body | null, opts: CpuOptions): Promise<{ cpu: number; wall: number; n: number; status: number }> {
  const pid = s.pid!;
  const idle = await idleRate(pid, 300);
  const c0 = cpuMs(pid)!;
  const t0 = performance.now();
  let n = 0;
  let status = 0;
  while (n < opts.minRequests || performance.now() - t0 < opts.minMs) {
    status = await send(s.origin, c, body);
    n++;
  }
  const wall = performance.now() - t0;
  const cpu = cpuMs(pid)! - c0 - idle * wall;
  return { cpu: cpu / n, wall: wall / n, n, status };
}

export async function runCpu(servers: CpuServer[], cases: CpuCase[], opts: CpuOptions, progress: Progress): Promise<CpuRow[]> {
  const rows: CpuRow[] = [];
  const digit = mnistTestSet(1).images.subarray(0, IMAGE_PIXELS);
  const made = new Map<UploadBody, Body>();
  const bodyOf = (kind: UploadBody): Body => made.get(kind) ?? made.set(kind, uploadBody(kind, digit)).get(kind)!;
  for (const [i, c] of cases.entries()) {
    progress.log(`  [${i + 1}/${cases.length}] ${c.label}`);
    const body = c.body ? bodyOf(c.body) : null;
    const present: CpuServer[] = [];
    const byServer: CpuRow['byServer'] = {};
    let estimate: number | null = null;
    const rssBefore = Object.fromEntries(servers.map((s) => [s.name, s.pid === null ? null : rssBytes(s.pid)]));
    for (const s of servers) {
      if (s.pid === null) throw new Error(`${s.name}: no runtime process to read CPU time from`);
      const probe = await sendReading(s.origin, c, body);
      estimate ??= probe.estimate;
      if (probe.status === 404 || probe.status === 405) byServer[s.name] = null;
      else present.push(s);
    }
    const runs: Record<string, { cpu: number; wall: number; n: number; status: number }[]> = Object.fromEntries(present.map((s) => [s.name, []]));
    for (const s of present) for (let w = 0; w < opts.warmup; w++) await send(s.origin, c, body);
    for (let r = 0; r < opts.rounds; r++) {
      // alternate which server goes first, so drifting machine load does not always favour the same one
      const order = r % 2 === 0 ? present : [...present].reverse();
      for (const s of order) runs[s.name].push(await measureOnce(s, c, body, opts));
    }
    for (const s of present) {
      const list = runs[s.name];
      const cpu = list.map((x) => x.cpu);
      const before = rssBefore[s.name];
      const after = s.pid === null ? null : rssBytes(s.pid);
      byServer[s.name] = {
        rssGrowthMiB: before === null || after === null ? null : Math.round(((after - before) / 2 ** 20) * 10) / 10,
        cpuMs: median(cpu),
        cpuMin: Math.min(...cpu),
        cpuMax: Math.max(...cpu),
        wallMs: median(list.map((x) => x.wall)),
        requests: list.reduce((sum, x) => sum + x.n, 0),
        status: list[list.length - 1].status,
      };
    }
    rows.push({ case: c, estimate, byServer });
  }
  return rows;
}
