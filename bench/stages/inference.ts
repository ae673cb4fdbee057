/**
 * Stage 1: model work inside each runtime, same models, same inputs (noiseForSeed), same code
 * (edge/inference/sampling.ts through /__bench/work), workerd vs onnxruntime-node with one thread.
 * Each sample repeats the work enough times to last ~targetMs on the runtime's own clock; samples of
 * the two runtimes alternate (which one goes first alternates too) so drifting machine load hits both
 * alike. Next to the runtime's clock, each sample also reads the runtime process's CPU time from /proc:
 * on a shared machine the wall clock counts time the process waited for a core, CPU time does not.
 * Each case's output is fetched from both runtimes and compared pixel by pixel (model work) or by digest
 * (encoding). Encoding is timed the same way.
 */
import type { BenchEndpoint } from '../app/bench-routes';
import { cpuMs } from '../lib/processes';
import { median } from '../lib/stats';
import type { Progress } from '../lib/progress';

export interface Runtime {
  name: string;
  origin: string;
  /** the process whose CPU time is read; null: CPU time not measured */
  pid: number | null;
}

/** How the runtimes' outputs for a case compare. */
export interface OutputCheck {
  /** model work: bytes of the image pixels; encoding: the encoded bytes' digest */
  kind: 'pixels' | 'digest';
  identical: boolean;
  /** pixels: how many of `total` differ, and by at most how much (of 255) */
  differing?: number;
  total?: number;
  maxDiff?: number;
}

export interface InferenceRow {
  label: string;
  /** median ms per repetition on the runtime's own clock, per runtime name */
  medianMs: Record<string, number>;
  /** median CPU ms of the runtime process per repetition (null where not measured) */
  cpuMs: Record<string, number | null>;
  samples: number;
  check?: OutputCheck;
}

export interface InferenceOptions {
  samples: number;
  targetMs: number;
  /** work done before sampling each case: workerd's JIT tiers up slowly */
  warmupMs: number;
}

interface Timed {
  elapsedMs: number;
  digest?: string;
}

async function timedBody(origin: string, path: string, iterations: number): Promise<Timed> {
  const res = await fetch(`${origin}${path}&iterations=${iterations}`);
  const body = (await res.json()) as { elapsedMs?: number; digest?: string; error?: { message: string } };
  if (!res.ok || body.elapsedMs === undefined) throw new Error(`${origin}${path}: ${res.status} ${JSON.stringify(body)}`);
  return { elapsedMs: body.elapsedMs, digest: body.digest };
}

async function timed(origin: string, path: string, iterations: number): Promise<number> {
  return (await timedBody(origin, path, iterations)).elapsedMs;
}

/** ms on the runtime's clock and ms of its process's CPU time for one sample. */
async function sample(r: Runtime, path: string, iterations: number): Promise<{ elapsedMs: number; cpuMs: number | null }> {
  const c0 = r.pid === null ? null : cpuMs(r.pid);
  const elapsedMs = await timed(r.origin, path, iterations);
  const c1 = r.pid === null ? null : cpuMs(r.pid);
  return { elapsedMs, cpuMs: c0 === null || c1 === null ? null : c1 - c0 };
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, 'base64'));
}

async function checkOutputs(c: InferenceCase, runtimes: Runtime[]): Promise<OutputCheck | undefined> {
  if (runtimes.length !== 2) return undefined;
  if (c.pixelsPath) {
    const [a, b] = await Promise.all(
      runtimes.map(async (r) => fromBase64(((await (await fetch(r.origin + c.pixelsPath)).json()) as { bytes: string }).bytes)),
    );
    let differing = 0;
    let maxDiff = 0;
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      if (d) differing++;
      maxDiff = Math.max(maxDiff, d);
    }
    return { kind: 'pixels', identical: differing === 0 && a.length === b.length, differing, total: a.length, maxDiff };
  }
  const [a, b] = await Promise.all(runtimes.map((r) => timedBody(r.origin, c.path, 1)));
  return { kind: 'digest', identical: a.digest !== undefined && a.digest === b.digest };
}

/** Warms a case up, then picks the repetitions per sample. */
async function calibrate(origin: string, path: string, opts: InferenceOptions): Promise<number> {
  let perIteration = Math.max(0.01, await timed(origin, path, 1));
  let spent = 0;
  while (spent < opts.warmupMs) {
    const iterations = Math.max(1, Math.ceil(Math.min(200, opts.warmupMs - spent) / perIteration));
    const elapsed = await timed(origin, path, iterations);
    spent += elapsed;
    perIteration = Math.max(0.005, elapsed / iterations);
  }
  return Math.max(3, Math.ceil(opts.targetMs / perIteration));
}

async function measureCase(c: InferenceCase, runtimes: Runtime[], opts: InferenceOptions): Promise<InferenceRow> {
  const { label, path } = c;
  const iterations: Record<string, number> = {};
  for (const r of runtimes) iterations[r.name] = await calibrate(r.origin, path, opts);
  const perRep: Record<string, number[]> = Object.fromEntries(runtimes.map((r) => [r.name, []]));
  const cpuPerRep: Record<string, number[]> = Object.fromEntries(runtimes.map((r) => [r.name, []]));
  for (let s = 0; s < opts.samples; s++) {
    const order = s % 2 === 0 ? runtimes : [...runtimes].reverse();
    for (const r of order) {
      const x = await sample(r, path, iterations[r.name]);
      perRep[r.name].push(x.elapsedMs / iterations[r.name]);
      if (x.cpuMs !== null) cpuPerRep[r.name].push(x.cpuMs / iterations[r.name]);
    }
  }
  return {
    label,
    samples: opts.samples,
    medianMs: Object.fromEntries(runtimes.map((r) => [r.name, median(perRep[r.name])])),
    cpuMs: Object.fromEntries(runtimes.map((r) => [r.name, cpuPerRep[r.name].length ? median(cpuPerRep[r.name]) : null])),
    check: await checkOutputs(c, runtimes),
  };
}

export interface InferenceCase {
  label: string;
  path: string;
  /** model-work cases: where to fetch the output pixels for the cross-runtime comparison */
  pixelsPath?: string;
}

export const N_VALUES = [1, 16, 64] as const;

/** interpolate takes steps 2..32; its n column means steps = clamp(n, 2, 32). */
export const interpolateSteps = (n: number) => Math.min(32, Math.max(2, n));

export function modelCases(): InferenceCase[] {
  const endpoints: BenchEndpoint[] = ['generate', 'digits', 'interpolate'];
  return endpoints.flatMap((endpoint) =>
    N_VALUES.map((n) => {
      const count = endpoint === 'interpolate' ? interpolateSteps(n) : n;
      const name = endpoint === 'interpolate' ? `interpolate steps=${count}` : `${endpoint} n=${n}`;
      return { label: name, path: `/__bench/work?endpoint=${endpoint}&n=${count}`, pixelsPath: `/__bench/pixels?endpoint=${endpoint}&n=${count}&seed=1` };
    }),
  );
}

/** The served encoder (core/png.ts, native deflate), each case also by the previous fast-png encoder (A/B). */
export function encodeCases(): InferenceCase[] {
  const cases = [
    { label: 'PNG grid n=1', query: 'format=png&n=1&scale=1' },
    { label: 'PNG grid n=16 scale=4', query: 'format=png&n=16&scale=4' },
    { label: 'PNG grid n=64', query: 'format=png&n=64&scale=1' },
    { label: 'PNG grid n=64 scale=8', query: 'format=png&n=64&scale=8' },
    { label: 'JSON tiles n=16', query: 'format=json&n=16' },
    { label: 'JSON tiles n=64', query: 'format=json&n=64' },
  ];
  return cases.flatMap((c) => [
    { label: `${c.label}, core/png (native deflate)`, path: `/__bench/encode?${c.query}&encoder=platform` },
    { label: `${c.label}, previous fast-png`, path: `/__bench/encode?${c.query}&encoder=fast-png` },
  ]);
}

export async function runInference(cases: InferenceCase[], runtimes: Runtime[], opts: InferenceOptions, progress: Progress): Promise<InferenceRow[]> {
  const rows: InferenceRow[] = [];
  for (const [i, c] of cases.entries()) {
    progress.log(`  [${i + 1}/${cases.length}] ${c.label}`);
    rows.push(await measureCase(c, runtimes, opts));
  }
  return rows;
}
