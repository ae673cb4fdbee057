/**
 * Stage 1: model work inside each runtime, same models, same inputs (noiseForSeed), same code
 * (edge/inference/sampling.ts through /__bench/work), workerd vs onnxruntime-node with one thread.
 * Each sample repeats the work enough times to last ~targetMs on the runtime's own clock; samples of
 * the two runtimes alternate so drifting machine load hits both alike. Encoding is timed the same way.
 */
import type { BenchEndpoint } from '../app/bench-routes';
import { median } from '../lib/stats';
import type { Progress } from '../lib/progress';

export interface Runtime {
  name: string;
  origin: string;
}

export interface InferenceRow {
  label: string;
  /** median ms per repetition, per runtime name */
  medianMs: Record<string, number>;
  samples: number;
}

export interface InferenceOptions {
  samples: number;
  targetMs: number;
  /** work done before sampling each case: workerd's JIT tiers up slowly */
  warmupMs: number;
}

async function timed(origin: string, path: string, iterations: number): Promise<number> {
  const res = await fetch(`${origin}${path}&iterations=${iterations}`);
  const body = (await res.json()) as { elapsedMs?: number; error?: { message: string } };
  if (!res.ok || body.elapsedMs === undefined) throw new Error(`${origin}${path}: ${res.status} ${JSON.stringify(body)}`);
  return body.elapsedMs;
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

async function measureCase(label: string, path: string, runtimes: Runtime[], opts: InferenceOptions): Promise<InferenceRow> {
  const iterations: Record<string, number> = {};
  for (const r of runtimes) iterations[r.name] = await calibrate(r.origin, path, opts);
  const perRep: Record<string, number[]> = Object.fromEntries(runtimes.map((r) => [r.name, []]));
  for (let s = 0; s < opts.samples; s++) {
    for (const r of runtimes) perRep[r.name].push((await timed(r.origin, path, iterations[r.name])) / iterations[r.name]);
  }
  return { label, samples: opts.samples, medianMs: Object.fromEntries(runtimes.map((r) => [r.name, median(perRep[r.name])])) };
}

export interface InferenceCase {
  label: string;
  path: string;
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
      return { label: name, path: `/__bench/work?endpoint=${endpoint}&n=${count}` };
    }),
  );
}

export function encodeCases(): InferenceCase[] {
  return [
    ...N_VALUES.map((n) => ({ label: `PNG grid n=${n}`, path: `/__bench/encode?format=png&n=${n}&scale=1` })),
    { label: 'PNG grid n=64 scale=8', path: '/__bench/encode?format=png&n=64&scale=8' },
    { label: 'JSON tiles n=16', path: '/__bench/encode?format=json&n=16' },
  ];
}

export async function runInference(cases: InferenceCase[], runtimes: Runtime[], opts: InferenceOptions, progress: Progress): Promise<InferenceRow[]> {
  const rows: InferenceRow[] = [];
  for (const [i, c] of cases.entries()) {
    progress.log(`  [${i + 1}/${cases.length}] ${c.label}`);
    rows.push(await measureCase(c.label, c.path, runtimes, opts));
  }
  return rows;
}
