/**
 * Model work under concurrency, inside workerd: the scheduler on its own (order, bound, aborts, failed
 * and dead jobs, yielding), then the real worker under concurrent mixed load (bytes identical to a
 * sequential run, /health not waiting behind the queue, overload answered 503, aborts never wedging).
 */
import { describe, expect, it } from 'vitest';
import { createApp } from '../../edge/app';
import { BUNDLED_MANIFEST, BUNDLED_MODELS } from '../../edge/bundle';
import { ModelStore } from '../../edge/inference/model-store';
import { OverloadedError, Scheduler } from '../../edge/inference/scheduler';
import { get } from './worker';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** CPU work of ~`ms` ms: Date.now() stands still while a request computes in workerd, so count instead. */
function busy(iterations: number): number {
  let x = 0;
  for (let i = 0; i < iterations; i++) x = (x * 31 + i) % 1_000_003;
  return x;
}

describe('Scheduler', () => {
  it('runs one job at a time, in arrival order', async () => {
    const scheduler = new Scheduler();
    const log: string[] = [];
    let running = 0;
    const job = (name: string) => async () => {
      running++;
      expect(running).toBe(1);
      log.push(`${name}+`);
      await sleep(2);
      log.push(`${name}-`);
      running--;
      return name;
    };
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((name) => scheduler.run(1, job(name))));
    expect(results).toEqual(['a', 'b', 'c', 'd']);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-', 'd+', 'd-']);
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('refuses work past the bound at once, with a Retry-After from the queued cost', async () => {
    const scheduler = new Scheduler({ maxQueuedCost: 10, costPerSecond: 4 });
    const first = scheduler.run(4, () => sleep(20));
    const second = scheduler.run(4, () => sleep(20));
    let refused: unknown;
    try {
      await scheduler.run(4, () => 'never');
    } catch (err) {
      refused = err;
    }
    expect(refused).toBeInstanceOf(OverloadedError);
    expect((refused as OverloadedError).retryAfterSeconds).toBe(2); // 8 queued at 4 per second
    await Promise.all([first, second]);
    expect(await scheduler.run(4, () => 'after')).toBe('after'); // the bound frees as work finishes
  });

  it('runs a single job larger than the bound when nothing else waits', async () => {
    expect(await new Scheduler({ maxQueuedCost: 10 }).run(50, () => 'big')).toBe('big');
  });

  it('a failed job fails only its own caller', async () => {
    const scheduler = new Scheduler();
    const failing = scheduler.run(1, async () => {
      await sleep(1);
      throw new Error('boom');
    });
    const next = scheduler.run(1, () => 'fine');
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe('fine');
    expect(scheduler.load.queuedCost).toBe(0);
  });

  it('a job aborted while queued never starts, and the queue moves on', async () => {
    const scheduler = new Scheduler();
    const started: string[] = [];
    const controller = new AbortController();
    const first = scheduler.run(1, async () => {
      started.push('first');
      await sleep(20);
    });
    const aborted = scheduler.run(1, () => started.push('aborted'), controller.signal);
    const last = scheduler.run(1, () => started.push('last'));
    await sleep(5);
    controller.abort(new Error('client went away'));
    await expect(aborted).rejects.toThrow('client went away');
    await Promise.all([first, last]);
    expect(started).toEqual(['first', 'last']);
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('a job that never finishes (its request cancelled mid-run) loses its slot after the lease', async () => {
    const scheduler = new Scheduler({ leaseMs: 60, pollMs: 10 });
    void scheduler.run(1, () => new Promise(() => {})); // never settles, like a continuation workerd dropped
    const t0 = Date.now();
    expect(await scheduler.run(1, () => 'next')).toBe('next');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(60);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('yields between jobs: work scheduled while a job runs goes before the next job', async () => {
    const scheduler = new Scheduler();
    const log: string[] = [];
    const a = scheduler.run(1, () => {
      busy(200_000);
      setTimeout(() => log.push('light request'), 0);
      log.push('a');
    });
    const b = scheduler.run(1, () => {
      log.push('b');
    });
    await Promise.all([a, b]);
    await sleep(1);
    expect(log).toEqual(['a', 'light request', 'b']);
  });
});

/** A mixed bag of seeded requests: every image route, both formats, several sizes. */
const MIXED = [
  '/v1/generate?seed=1&n=16&scale=2',
  '/v1/generate?seed=2&n=3&format=json',
  '/v1/digits/7?seed=3&n=8',
  '/v1/digits/0?seed=4&n=64&format=json',
  '/v1/interpolate?from=5&to=6&steps=12&scale=3',
  '/v1/interpolate?from=7&to=8&steps=4&digit_from=1&digit_to=9&format=json',
  '/v1/interpolate?from=9&to=10&space=latent',
  '/v1/generate?seed=11&n=64&scale=4',
];

async function bytes(res: Response): Promise<Uint8Array> {
  return new Uint8Array(await res.arrayBuffer());
}

describe('the worker under concurrent requests', () => {
  it('answers concurrent mixed requests with the bytes of a sequential run', { timeout: 120_000 }, async () => {
    const reference = new Map<string, Uint8Array>();
    for (const path of MIXED) reference.set(path, await bytes(await get(path)));
    const paths = Array.from({ length: 40 }, (_, i) => MIXED[(i * 5) % MIXED.length]);
    const responses = await Promise.all(paths.map((path) => get(path)));
    for (const [i, res] of responses.entries()) {
      expect(res.status, paths[i]).toBe(200);
      expect(await bytes(res), paths[i]).toEqual(reference.get(paths[i]));
    }
  });

  it('/health, /v1/models and 304s do not wait behind queued model work', { timeout: 120_000 }, async () => {
    const heavy = (i: number) => `/v1/generate?seed=${100 + i}&n=64&scale=8`;
    const etag = (await get(heavy(0))).headers.get('ETag')!;
    const finished: string[] = [];
    const track = (name: string, promise: Promise<Response>) =>
      promise.then(async (res) => {
        await res.arrayBuffer();
        finished.push(name);
        return res;
      });
    const heavies = Array.from({ length: 6 }, (_, i) => track(`heavy${i}`, get(heavy(i + 1))));
    await sleep(1);
    const light = [
      track('health', get('/health')),
      track('models', get('/v1/models')),
      track('304', get(heavy(0), { headers: { 'If-None-Match': etag } })),
    ];
    const [health, models, notModified] = await Promise.all(light);
    expect([health.status, models.status, notModified.status]).toEqual([200, 200, 304]);
    await Promise.all(heavies);
    // each light request finished while most of the heavy work was still queued
    for (const name of ['health', 'models', '304']) {
      expect(finished.indexOf(name), `${name} in ${finished.join(' ')}`).toBeLessThan(4);
    }
  });

  it('answers overload with 503 overloaded and Retry-After at once, serves the rest correctly, and recovers', { timeout: 120_000 }, async () => {
    const path = (i: number) => `/v1/generate?seed=${200 + (i % 3)}&n=64&scale=8`;
    const reference = await Promise.all([0, 1, 2].map(async (i) => bytes(await get(path(i)))));
    const responses = await Promise.all(
      // ~18 cost units each (about their ms of CPU): 100 of them are past the 1,500-unit bound
      Array.from({ length: 100 }, (_, i) => get(path(i), { headers: { Origin: 'https://example.org' } })),
    );
    const refused = responses.filter((r) => r.status === 503);
    const served = responses.filter((r) => r.status === 200);
    expect(refused.length).toBeGreaterThan(0);
    expect(served.length).toBeGreaterThan(0);
    expect(refused.length + served.length).toBe(100);
    for (const res of refused) {
      expect(Number(res.headers.get('Retry-After'))).toBeGreaterThanOrEqual(1);
      expect(res.headers.get('Access-Control-Expose-Headers')).toMatch(/Retry-After/);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('overloaded');
    }
    for (const [i, res] of responses.entries()) {
      if (res.status === 200) expect(await bytes(res)).toEqual(reference[i % 3]);
    }
    expect((await get(path(0))).status).toBe(200);
  });

  it('requests aborted mid-queue never wedge or fail the others', { timeout: 120_000 }, async () => {
    const store = new ModelStore(BUNDLED_MODELS);
    const app = createApp({ store, files: BUNDLED_MODELS, manifest: BUNDLED_MANIFEST });
    const url = (i: number) => `https://latent-digits.test/v1/digits/${i % 10}?seed=${300 + i}&n=64&scale=6`;
    const reference = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(async (i) => bytes(await app.fetch(new Request(url(i))))));
    const controllers = Array.from({ length: 8 }, () => new AbortController());
    const pending = controllers.map((controller, i) =>
      Promise.resolve(app.fetch(new Request(url(i), { signal: controller.signal }))).then(
        (res) => ({ res, error: null as unknown }),
        (error: unknown) => ({ res: null, error }),
      ),
    );
    await sleep(1);
    for (const i of [1, 3, 4, 6]) controllers[i].abort();
    const results = await Promise.all(pending);
    for (const i of [0, 2, 5, 7]) {
      expect(results[i].res?.status, `request ${i}`).toBe(200);
      expect(await bytes(results[i].res!)).toEqual(reference[i]);
    }
    expect(store.scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
    // and through the real worker: aborted fetches, then everything still answers
    const aborts = Array.from({ length: 6 }, (_, i) => {
      const controller = new AbortController();
      const promise = get(`/v1/generate?seed=${400 + i}&n=64&scale=8`, { signal: controller.signal }).catch(() => null);
      setTimeout(() => controller.abort(), 2);
      return promise;
    });
    await Promise.all(aborts);
    const after = await Promise.all([get('/health'), get('/v1/generate?seed=1&n=16&scale=2')]);
    expect(after.map((r) => r.status)).toEqual([200, 200]);
  });
});
