/**
 * Measurement routes mounted only by the benchmark's own servers (bench/worker for workerd,
 * bench/node for onnxruntime-node), never by edge/index.ts, so production cannot reach them.
 * Both runtimes answer them with the same code over the same ModelStore, which is what makes
 * their timings comparable.
 *
 * Inside a request the clock is read only twice, around `iterations` repetitions, because workerd's
 * clock is coarse (it may only move across I/O); the caller picks `iterations` so a sample lasts
 * tens of milliseconds and divides.
 */
import { Hono } from 'hono';
import { toByte } from '../../core/png';
import { encodeGrid, encodeTiles, toBase64 } from '../../edge/encoding/images';
import { previousGridPng, previousTiles } from './previous-encoder';
import type { LoadedModels, ModelStore } from '../../edge/inference/model-store';
import { measureTimerLag } from './timer-lag';
import { generateDigits, generateImages, interpolateImages, type Images } from '../../edge/inference/sampling';

export const BENCH_ENDPOINTS = ['generate', 'digits', 'interpolate'] as const;
export type BenchEndpoint = (typeof BENCH_ENDPOINTS)[number];

/** What a runtime reports about its memory; fields a runtime cannot see are null. */
export interface MemoryReport {
  /** bytes of onnxruntime-web's WebAssembly heap (workerd); null for onnxruntime-node, whose native heap is not visible */
  ortHeapBytes: number | null;
  /** bytes of JS heap in use, where the runtime exposes it (Node; workerd's come from its inspector) */
  jsHeapBytes: number | null;
  /** bytes of JS heap reserved */
  jsHeapTotalBytes: number | null;
  /** bytes of ArrayBuffer backing stores, off the JS heap */
  arrayBufferBytes: number | null;
  /** resident set of the process, where the runtime exposes it (Node) */
  rssBytes: number | null;
  /** ORT output tensors not disposed (bench/app/tensor-count.ts): 0 between requests unless a path leaks */
  liveTensors: number;
  /** ORT output tensors seen so far */
  tensorsCreated: number;
}

export interface BenchHooks {
  memory(): MemoryReport;
  /** ms the module-level model load took in this isolate/process, if it was measured */
  startupMs(): number | null;
}

export interface WorkTiming {
  endpoint: BenchEndpoint;
  n: number;
  iterations: number;
  /** total ms over all iterations, read on this runtime's clock */
  elapsedMs: number;
  /** sum of the first pixel of every result, so the work cannot be skipped and runs can be compared */
  checksum: number;
}

/** The model work of one request of `endpoint` with n images (interpolate: n steps), same code as the routes. */
export function modelWork(models: LoadedModels, endpoint: BenchEndpoint, n: number, seed: number): Promise<Images> {
  switch (endpoint) {
    case 'generate':
      return generateImages(models, seed, n);
    case 'digits':
      return generateDigits(models, seed % 10, seed, n);
    case 'interpolate':
      return interpolateImages(models, { from: seed, to: seed + 1, steps: n, space: 'noise' });
  }
}

function intParam(raw: string | undefined, name: string, min: number, max: number, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer ${min}..${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

export function benchRoutes(store: ModelStore, hooks: BenchHooks) {
  const app = new Hono();

  app.onError((err) => Response.json({ error: { code: 'bench', message: err.message } }, { status: 400 }));

  // GET /work?endpoint=generate&n=16&iterations=100: model work only (noise -> sessions -> float pixels).
  app.get('/work', async (c) => {
    const endpoint = c.req.query('endpoint') as BenchEndpoint;
    if (!BENCH_ENDPOINTS.includes(endpoint)) throw new RangeError(`endpoint must be one of ${BENCH_ENDPOINTS.join(', ')}`);
    const n = intParam(c.req.query('n'), 'n', endpoint === 'interpolate' ? 2 : 1, 64, 1);
    const iterations = intParam(c.req.query('iterations'), 'iterations', 1, 100_000, 1);
    const timing = await store.use(0, async (models) => {
      let checksum = 0;
      const start = performance.now();
      for (let i = 0; i < iterations; i++) checksum += (await modelWork(models, endpoint, n, i)).pixels[0];
      return { elapsedMs: performance.now() - start, checksum };
    });
    return c.json({ endpoint, n, iterations, ...timing } satisfies WorkTiming);
  });

  // GET /encode?n=16&format=png&scale=1&iterations=100[&encoder=fast-png]: encoding only, of real generated
  // pixels, by the served encoder (core/png.ts, native deflate) or the previous one (fast-png), for A/B.
  app.get('/encode', async (c) => {
    const n = intParam(c.req.query('n'), 'n', 1, 64, 1);
    const scale = intParam(c.req.query('scale'), 'scale', 1, 8, 1);
    const iterations = intParam(c.req.query('iterations'), 'iterations', 1, 100_000, 1);
    const format = c.req.query('format') === 'json' ? 'json' : 'png';
    const encoder = c.req.query('encoder') ?? 'platform';
    if (encoder !== 'platform' && encoder !== 'fast-png') throw new RangeError(`encoder must be platform or fast-png, got ${JSON.stringify(encoder)}`);
    const images = await store.use(0, (models) => generateImages(models, 1, n));
    const once = async (): Promise<number> => {
      if (format === 'png') return (encoder === 'platform' ? await encodeGrid(images.pixels, n, scale) : previousGridPng(images.pixels, n, scale)).length;
      const tiles = encoder === 'platform' ? await encodeTiles(images.pixels, n) : previousTiles(images.pixels, n);
      return tiles.reduce((sum, tile) => sum + tile.length, 0);
    };
    let bytes = 0;
    const start = performance.now();
    for (let i = 0; i < iterations; i++) bytes = await once();
    const elapsedMs = performance.now() - start;
    // what was encoded, so the bench can show both runtimes wrote the same bytes
    const output = format === 'png' ? (encoder === 'platform' ? await encodeGrid(images.pixels, n, scale) : previousGridPng(images.pixels, n, scale)) : new TextEncoder().encode((await (encoder === 'platform' ? encodeTiles(images.pixels, n) : previousTiles(images.pixels, n))).join());
    const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', output as Uint8Array<ArrayBuffer>))].slice(0, 8).map((b) => b.toString(16).padStart(2, '0')).join('');
    return c.json({ n, scale, format, encoder, iterations, elapsedMs, bytes, digest });
  });

  // GET /pixels?endpoint=generate&n=16&seed=1: the model output as bytes (core/png toByte), base64, so the
  // bench can count the pixels on which the two runtimes differ.
  app.get('/pixels', async (c) => {
    const endpoint = c.req.query('endpoint') as BenchEndpoint;
    if (!BENCH_ENDPOINTS.includes(endpoint)) throw new RangeError(`endpoint must be one of ${BENCH_ENDPOINTS.join(', ')}`);
    const n = intParam(c.req.query('n'), 'n', endpoint === 'interpolate' ? 2 : 1, 64, 1);
    const seed = intParam(c.req.query('seed'), 'seed', 0, 2 ** 32 - 1, 1);
    const images = await store.use(0, (models) => modelWork(models, endpoint, n, seed));
    return c.json({ endpoint, n, seed, bytes: toBase64(Uint8Array.from(images.pixels, toByte)) });
  });

  // GET /lag?ms=20000&every=5: how late a 5 ms timer fires in this isolate over 20 s (bench/app/timer-lag.ts),
  // run beside a load to see how long the isolate itself holds a light request
  app.get('/lag', async (c) => {
    const forMs = intParam(c.req.query('ms'), 'ms', 10, 120_000, 1000);
    const everyMs = intParam(c.req.query('every'), 'every', 1, 1000, 5);
    return c.json(await measureTimerLag(forMs, everyMs));
  });

  app.get('/memory', (c) => c.json(hooks.memory()));
  app.get('/startup', (c) => c.json({ startupMs: hooks.startupMs() }));

  return app;
}
