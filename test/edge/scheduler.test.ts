/**
 * edge/inference/scheduler.ts in Node, on a fake clock (vitest's fake timers move Date.now and setTimeout
 * together, so every poll, lease and claim window lands on a known millisecond). The workerd suite
 * (test/worker/concurrency.test.ts) runs the same scheduler under real requests; these pin its rules exactly:
 * the bound, Retry-After, aborts, the lease on a dead job, the eviction of a dead waiter and the return of a
 * live one, and the yield before each job.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_SCHEDULER, estimateCost, OverloadedError, Scheduler, yieldToEventLoop } from '../../edge/inference/scheduler';

function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Settles every pending microtask and zero-delay timer without moving the clock. */
const flush = () => vi.advanceTimersByTimeAsync(0);
/**
 * Moves the clock by `ms`, then 1 ms more: a zero-delay timer set from inside a timer callback (the yield
 * before a job starts) is due 1 ms later on the fake clock.
 */
async function advance(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
  await vi.advanceTimersByTimeAsync(1);
}
/** A promise's state without waiting for it. */
async function state(promise: Promise<unknown>): Promise<'pending' | 'fulfilled' | 'rejected'> {
  let result: 'pending' | 'fulfilled' | 'rejected' = 'pending';
  promise.then(
    () => (result = 'fulfilled'),
    () => (result = 'rejected'),
  );
  await flush();
  return result;
}

/**
 * Starts `run` with setTimeout captured instead of scheduled: the waiter's own timer does not fire, as when
 * workerd drops the continuations of a cancelled request. `wake()` fires what it captured, late.
 */
function withFrozenTimer<T>(run: () => Promise<T>): { promise: Promise<T>; wake: () => void } {
  const captured: (() => void)[] = [];
  const real = globalThis.setTimeout;
  globalThis.setTimeout = ((fn: () => void) => {
    captured.push(fn);
    return 0;
  }) as unknown as typeof setTimeout;
  try {
    const promise = run();
    promise.catch(() => {});
    return { promise, wake: () => captured.splice(0).forEach((fn) => fn()) };
  } finally {
    globalThis.setTimeout = real;
  }
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('estimateCost', () => {
  it('is 1 ms plus 0.07 per model row, 2.6e-6 per output pixel, 0.06 per PNG, 3e-5 per pixel mozjpeg decodes, 1.6e-5 per PNG pixel, 1e-6 per pixel and 2e-5 per byte read from coefficients (worked by hand)', () => {
    expect(estimateCost({ rows: 0, outputPixels: 0, images: 0 })).toBe(1);
    expect(estimateCost({ rows: 0, outputPixels: 0 })).toBeCloseTo(1.06, 12); // one PNG unless told
    expect(estimateCost({ rows: 10, outputPixels: 0, images: 0 })).toBeCloseTo(1.7, 12);
    expect(estimateCost({ rows: 0, outputPixels: 1_000_000, images: 0 })).toBeCloseTo(3.6, 12);
    expect(estimateCost({ rows: 0, outputPixels: 0, images: 0, decodedPixels: 1024 * 1024 })).toBeCloseTo(1 + 31.45728, 9);
    // the drawing pad's 280x280 PNG: 78,400 pixels at 1.6e-5
    expect(estimateCost({ rows: 0, outputPixels: 0, images: 0, pngPixels: 280 * 280 })).toBeCloseTo(1 + 1.2544, 9);
    // read from a JPEG's coefficients at a quarter size: 1e-6 per pixel of the upload and 2e-5 per byte of the file
    expect(estimateCost({ rows: 0, outputPixels: 0, images: 0, coefficientPixels: 1024 * 1024, coefficientBytes: 200_000 })).toBeCloseTo(1 + 1.048576 + 4, 9);
    // /v1/generate n=64 scale=8: 128 rows (generator + decoder), one grid of 64 tiles of 224x224
    expect(estimateCost({ rows: 128, outputPixels: 64 * 224 * 224, images: 1 })).toBeCloseTo(1 + 8.96 + 8.3492864 + 0.06, 9);
  });

  it('is within -30%..+30% of the workerd CPU the bench measured (bench/RESULTS.md, cpu stage, before the refit)', () => {
    const P = 784;
    // [rows, output pixels, PNGs encoded, measured workerd CPU ms per request]
    const measured: [string, number, number, number, number][] = [
      ['generate n=1', 2, P, 1, 1.27],
      ['generate n=16 scale=4', 32, 16 * P * 16, 1, 4.52],
      ['generate n=16 JSON', 32, 16 * P, 16, 5.7],
      ['generate n=64 scale=8', 128, 64 * P * 64, 1, 22.86],
      ['generate n=64 JSON', 128, 64 * P, 64, 13.58],
      ['digits n=64 scale=8', 128, 64 * P * 64, 1, 16.74],
      ['interpolate steps=16 scale=4', 32, 16 * P * 16, 1, 3.69],
      ['interpolate steps=32 latent JSON', 64, 32 * P, 32, 7.63],
    ];
    for (const [name, rows, outputPixels, images, ms] of measured) {
      const ratio = estimateCost({ rows, outputPixels, images }) / ms;
      expect(ratio, name).toBeGreaterThan(0.7);
      expect(ratio, name).toBeLessThan(1.3);
    }
  });
});

describe('OverloadedError', () => {
  it('carries the Retry-After seconds, its name and a message naming them', () => {
    const err = new OverloadedError(3);
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('OverloadedError');
    expect(err.retryAfterSeconds).toBe(3);
    expect(err.message).toBe('the server is busy; retry in 3 s');
  });
});

describe('Scheduler: order and results', () => {
  it('runs one job at a time, in arrival order, and returns each job\'s own value', async () => {
    const scheduler = new Scheduler();
    const log: string[] = [];
    let running = 0;
    let overlapped = false;
    const job = (name: string) => async () => {
      if (++running > 1) overlapped = true;
      log.push(`${name}+`);
      await new Promise((resolve) => setTimeout(resolve, 7));
      log.push(`${name}-`);
      running--;
      return name.toUpperCase();
    };
    const all = Promise.all(['a', 'b', 'c', 'd'].map((name) => scheduler.run(1, job(name))));
    await advance(200);
    expect(await all).toEqual(['A', 'B', 'C', 'D']);
    expect(overlapped).toBe(false);
    expect(log).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-', 'd+', 'd-']);
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('reports waiting jobs, the running one and their summed cost while they queue', async () => {
    const scheduler = new Scheduler();
    const first = deferred();
    const a = scheduler.run(3, () => first.promise);
    const b = scheduler.run(5, () => 'b');
    const c = scheduler.run(7, () => 'c');
    expect(scheduler.load).toEqual({ waiting: 3, running: false, queuedCost: 15 });
    await flush();
    expect(scheduler.load).toEqual({ waiting: 2, running: true, queuedCost: 15 });
    first.resolve();
    await a;
    expect(scheduler.load).toEqual({ waiting: 2, running: false, queuedCost: 12 });
    await advance(20);
    expect([await b, await c]).toEqual(['b', 'c']);
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('fractional costs leave no residue: 0.1 + 0.2 + 0.3 queued is 0.6 exactly, and 0 once they ran (floats would leave 5.6e-17)', async () => {
    expect(0.1 + 0.2 + 0.3 - 0.1 - 0.2 - 0.3).not.toBe(0); // what summing the estimates as floats gives
    const scheduler = new Scheduler();
    const runs = [0.1, 0.2, 0.3].map((cost) => scheduler.run(cost, () => cost));
    expect(scheduler.load.queuedCost).toBe(0.6);
    await advance(20);
    expect(await Promise.all(runs)).toEqual([0.1, 0.2, 0.3]);
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('a failed job rejects only its own caller, frees its cost, and the next job runs', async () => {
    const scheduler = new Scheduler();
    const failing = scheduler.run(2, () => Promise.reject(new Error('boom')));
    const next = scheduler.run(1, () => 'fine');
    const failed = expect(failing).rejects.toThrow('boom');
    await advance(20);
    await failed;
    expect(await next).toBe('fine');
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('yields before each job: a timer due when the slot frees runs before the next job starts', async () => {
    const scheduler = new Scheduler({ pollMs: 2 });
    const log: string[] = [];
    const hold = deferred();
    const a = scheduler.run(1, async () => {
      log.push('a');
      await hold.promise;
    });
    const b = scheduler.run(1, () => log.push('b')); // polls every 2 ms: t0+2, t0+4, ...
    await flush(); // a starts at t0
    await vi.advanceTimersByTimeAsync(3);
    hold.resolve(); // a ends at t0+3 ...
    await a;
    setTimeout(() => log.push('light request'), 1); // ... and a light request is due at t0+4, with b's poll
    await advance(5);
    await b;
    expect(log).toEqual(['a', 'light request', 'b']);
  });

  it('yieldToEventLoop resolves on a zero-delay timer, not before', async () => {
    let done = false;
    void yieldToEventLoop().then(() => (done = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(done).toBe(false);
    await flush();
    expect(done).toBe(true);
  });
});

describe('Scheduler: the bound', () => {
  it('accepts work up to exactly the bound and refuses the next unit at once, Retry-After = ceil(queued / rate)', async () => {
    const scheduler = new Scheduler({ maxQueuedCost: 10, costPerSecond: 4 });
    const hold = deferred();
    const first = scheduler.run(6, () => hold.promise);
    const second = scheduler.run(4, () => 'second'); // 6 + 4 = 10: at the bound, accepted
    let refused: unknown;
    await scheduler.run(1, () => 'never').catch((err: unknown) => (refused = err));
    expect(refused).toBeInstanceOf(OverloadedError);
    expect((refused as OverloadedError).retryAfterSeconds).toBe(3); // 10 queued at 4 per second: 2.5 -> 3
    expect(scheduler.load.queuedCost).toBe(10); // the refused job left nothing behind
    hold.resolve();
    await advance(20);
    await first;
    expect(await second).toBe('second');
    const after = scheduler.run(10, () => 'after'); // the bound frees as work finishes
    await flush();
    expect(await after).toBe('after');
  });

  it('Retry-After is at least 1 s and rounds up: 1 queued unit at 1000 per second -> 1', async () => {
    const scheduler = new Scheduler({ maxQueuedCost: 1, costPerSecond: 1000 });
    const hold = deferred();
    const first = scheduler.run(1, () => hold.promise);
    await expect(scheduler.run(1, () => 'never')).rejects.toMatchObject({ retryAfterSeconds: 1 });
    hold.resolve();
    await flush();
    await first;
  });

  /**
   * Holds a job of `runningCost` with 500 units queued behind it, checks that one more unit is refused with
   * `retryAfterSeconds`, then lets both finish (the queued one still runs).
   */
  async function expectFullAt(scheduler: Scheduler, runningCost: number, retryAfterSeconds: number): Promise<void> {
    const hold = deferred();
    const first = scheduler.run(runningCost, () => hold.promise);
    const second = scheduler.run(500, () => 'second');
    await expect(scheduler.run(1, () => 'never')).rejects.toMatchObject({ retryAfterSeconds });
    hold.resolve();
    await advance(20);
    await first;
    expect(await second).toBe('second');
  }

  it('defaults: 1500 units queued at most, drained at 1000 per second', async () => {
    expect(DEFAULT_SCHEDULER).toEqual({ maxQueuedCost: 1500, costPerSecond: 1000, pollMs: 2, eagerWaiters: 2, maxPollMs: 25, claimMs: 250, leaseMs: 10_000 });
    // 1000 running + 500 queued = 1500, the bound: 1.5 s of work, rounded up
    await expectFullAt(new Scheduler(), 1000, 2);
  });

  it('options given override only their own defaults', async () => {
    // maxQueuedCost given; costPerSecond stays 1000: 2500 queued -> Retry-After 3
    await expectFullAt(new Scheduler({ maxQueuedCost: 2500 }), 2000, 3);
  });

  it('runs a single job larger than the bound when nothing is queued, and refuses anything behind it', async () => {
    const scheduler = new Scheduler({ maxQueuedCost: 10, costPerSecond: 10 });
    const hold = deferred<string>();
    const big = scheduler.run(50, () => hold.promise);
    await expect(scheduler.run(1, () => 'never')).rejects.toMatchObject({ retryAfterSeconds: 5 });
    hold.resolve('big');
    await flush();
    expect(await big).toBe('big');
  });
});

describe('Scheduler: how often waiters look', () => {
  /** The delays of the scheduler's poll timers set while `during` runs (zero-delay yields left out). */
  async function pollDelays(during: () => Promise<void>): Promise<number[]> {
    const spy = vi.spyOn(globalThis, 'setTimeout');
    await during();
    const delays = spy.mock.calls.map(([, ms]) => Number(ms ?? 0)).filter((ms) => ms > 0);
    spy.mockRestore();
    return delays;
  }

  it('the first two waiters poll every pollMs; the ones behind sleep half the cost ahead of them (at 1000 units/s), at most maxPollMs', async () => {
    const scheduler = new Scheduler({ pollMs: 2, eagerWaiters: 2, maxPollMs: 25, costPerSecond: 1000 });
    const hold = deferred();
    const running = scheduler.run(10, () => hold.promise);
    await flush();
    const waiters: Promise<unknown>[] = [];
    // each run() queues and then sets its first poll timer synchronously-after-await: one delay per waiter
    const delays = await pollDelays(async () => {
      for (let i = 0; i < 6; i++) waiters.push(scheduler.run(10, () => i));
      await flush();
    });
    // ahead of waiter k: the running 10 + 10 per waiter before it = 10 (k + 1) units = 10 (k + 1) ms; half of it, capped at 25
    expect(delays).toEqual([2, 2, 15, 20, 25, 25]);
    hold.resolve();
    await advance(200);
    expect(await Promise.all(waiters)).toEqual([0, 1, 2, 3, 4, 5]);
    await running;
  });

  it('never sleeps longer than half of claimMs, so a live waiter is not evicted as dead', async () => {
    const scheduler = new Scheduler({ pollMs: 2, eagerWaiters: 0, maxPollMs: 1000, claimMs: 40 });
    const hold = deferred();
    const running = scheduler.run(500, () => hold.promise);
    await flush();
    let waiter!: Promise<unknown>;
    const delays = await pollDelays(async () => {
      waiter = scheduler.run(1, () => 'ran');
      await flush();
    });
    expect(delays).toEqual([20]);
    hold.resolve();
    await advance(30);
    expect(await waiter).toBe('ran');
    await running;
  });

  /** 16 jobs of 10 ms queued behind one of 200 ms: the poll timers set, and the gaps between one job's end and the next one's start. */
  async function queueBehindLongJob(options: Partial<typeof DEFAULT_SCHEDULER>): Promise<{ polls: number; gaps: number[] }> {
    const scheduler = new Scheduler(options);
    const starts: number[] = [];
    const ends: number[] = [];
    const job = (ms: number) => async () => {
      starts.push(Date.now());
      await new Promise((resolve) => setTimeout(resolve, ms));
      ends.push(Date.now());
    };
    const spy = vi.spyOn(globalThis, 'setTimeout');
    const all = [scheduler.run(200, job(200))];
    for (let i = 0; i < 16; i++) all.push(scheduler.run(10, job(10)));
    await advance(200 + 16 * 10 + 16 * 4);
    await Promise.all(all);
    // the jobs' own timers are 200 and 10 ms; the yields 0; the rest are polls
    const polls = spy.mock.calls.filter(([, ms]) => ![0, 10, 200].includes(Number(ms ?? 0))).length;
    spy.mockRestore();
    return { polls, gaps: starts.slice(1).map((start, i) => start - ends[i]) };
  }

  it('16 waiters behind a 200 ms job wake under a quarter as often as when every waiter polls every 2 ms, and still run without a gap', async () => {
    const everyWaiterEager = await queueBehindLongJob({ pollMs: 2, eagerWaiters: 16 });
    const now = await queueBehindLongJob({ pollMs: 2 });
    // every 2 ms each: waiter k waits 200 + 10 k ms, so sum (200 + 10 k) / 2 = 2,200 polls
    expect(everyWaiterEager.polls).toBeGreaterThan(2000);
    expect(now.polls).toBeLessThan(everyWaiterEager.polls / 4);
    // each next job starts within one poll (2 ms) and the yield (1 ms) of the previous one's end
    expect(now.gaps).toHaveLength(16);
    for (const gap of now.gaps) expect(gap).toBeLessThanOrEqual(3);
  });
});

describe('Scheduler: aborts', () => {
  it('a signal aborted before run() rejects with its reason; the job never runs and nothing is queued', async () => {
    const scheduler = new Scheduler();
    const controller = new AbortController();
    controller.abort(new Error('gone already'));
    const job = vi.fn(() => 'ran');
    await expect(scheduler.run(1, job, controller.signal)).rejects.toThrow('gone already');
    expect(job).not.toHaveBeenCalled();
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('an abort while queued rejects at once (not at the next poll), the job never runs, and the queue moves on', async () => {
    const scheduler = new Scheduler({ pollMs: 60_000 });
    const hold = deferred();
    const started: string[] = [];
    const controller = new AbortController();
    const first = scheduler.run(1, async () => {
      started.push('first');
      await hold.promise;
    });
    const aborted = scheduler.run(2, () => started.push('aborted'), controller.signal);
    const last = scheduler.run(4, () => started.push('last'));
    await flush();
    expect(scheduler.load).toEqual({ waiting: 2, running: true, queuedCost: 7 });
    controller.abort(new Error('client went away'));
    expect(await state(aborted)).toBe('rejected'); // the clock has not moved: the abort itself woke it
    await expect(aborted).rejects.toThrow('client went away');
    expect(scheduler.load).toEqual({ waiting: 1, running: true, queuedCost: 5 });
    hold.resolve();
    await advance(130_000);
    await Promise.all([first, last]);
    expect(started).toEqual(['first', 'last']);
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('an abort during the yield before the job starts still stops the job', async () => {
    const scheduler = new Scheduler();
    const controller = new AbortController();
    const job = vi.fn(() => 'ran');
    const run = scheduler.run(1, job, controller.signal);
    // run() is at the head with the slot free and now waits on its zero-delay yield
    controller.abort(new Error('left during the yield'));
    const rejected = expect(run).rejects.toThrow('left during the yield');
    await flush();
    await rejected;
    expect(job).not.toHaveBeenCalled();
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('removes each poll\'s abort listener: none is left on the signal once the job has run', async () => {
    const scheduler = new Scheduler({ pollMs: 5 });
    const hold = deferred();
    const first = scheduler.run(1, () => hold.promise);
    const signal = new AbortController().signal;
    const added = vi.spyOn(signal, 'addEventListener');
    const removed = vi.spyOn(signal, 'removeEventListener');
    const second = scheduler.run(1, () => 'second', signal);
    await advance(50); // ~10 polls while the first job holds the slot
    hold.resolve();
    await advance(10);
    await first;
    expect(await second).toBe('second');
    expect(added.mock.calls.length).toBeGreaterThanOrEqual(10);
    expect(removed.mock.calls.length).toBe(added.mock.calls.length);
    expect(removed.mock.calls.map((c) => c[1])).toEqual(added.mock.calls.map((c) => c[1]));
    expect(removed.mock.calls.every((c) => c[0] === 'abort')).toBe(true);
  });
});

describe('Scheduler: dead jobs and dead waiters', () => {
  it('a job that never finishes loses its slot once it has run longer than leaseMs (not at exactly leaseMs)', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {});
    const scheduler = new Scheduler({ leaseMs: 100, pollMs: 10 });
    void scheduler.run(3, () => new Promise(() => {})); // never settles, like a continuation workerd dropped
    await flush(); // the hung job starts at t0
    const next = scheduler.run(1, () => 'next');
    await advance(100); // polls at t0+10 .. t0+100: 100 ms is not over the lease
    expect(await state(next)).toBe('pending');
    expect(scheduler.load).toEqual({ waiting: 1, running: true, queuedCost: 4 });
    await advance(10); // the poll at t0+110 reclaims it
    expect(await next).toBe('next');
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
    expect(error).toHaveBeenCalledWith('scheduler: a job ran for over 100 ms; presuming its request gone');
  });

  it('a reclaimed job that ends late frees neither the slot nor the cost of the job running now', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const scheduler = new Scheduler({ leaseMs: 100, pollMs: 10 });
    const late = deferred();
    const dead = scheduler.run(3, () => late.promise);
    await flush();
    const current = deferred();
    const started: string[] = [];
    const second = scheduler.run(5, async () => {
      started.push('second');
      await current.promise;
    });
    const third = scheduler.run(7, () => started.push('third'));
    await advance(120); // the lease ran out: second runs
    expect(started).toEqual(['second']);
    late.resolve(); // the "dead" job's request comes back after all
    await dead;
    await advance(50);
    expect(started).toEqual(['second']); // third still waits for second
    expect(scheduler.load).toEqual({ waiting: 1, running: true, queuedCost: 12 });
    current.resolve();
    await advance(20);
    await Promise.all([second, third]);
    expect(started).toEqual(['second', 'third']);
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('a dead waiter at the head is evicted once the slot has been free and unclaimed for more than claimMs', async () => {
    const scheduler = new Scheduler({ claimMs: 250, pollMs: 2 });
    const t0 = Date.now();
    const deadJob = vi.fn(() => 'dead');
    withFrozenTimer(() => scheduler.run(3, deadJob)); // head of the queue, never looks again
    let startedAt = 0;
    const live = scheduler.run(1, () => (startedAt = Date.now()));
    await advance(250);
    expect(startedAt).toBe(0); // exactly claimMs is not over it
    expect(scheduler.load).toEqual({ waiting: 2, running: false, queuedCost: 4 });
    await advance(10);
    await live;
    expect(startedAt - t0).toBeGreaterThan(250);
    expect(startedAt - t0).toBeLessThanOrEqual(254);
    expect(deadJob).not.toHaveBeenCalled();
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('a reclaimed job that ends when the slot is free still returns its value to its own caller', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const scheduler = new Scheduler({ leaseMs: 100, pollMs: 10 });
    const late = deferred<string>();
    const dead = scheduler.run(3, () => late.promise);
    await flush();
    const next = scheduler.run(1, () => 'next');
    await advance(120);
    expect(await next).toBe('next');
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
    late.resolve('late after all');
    expect(await dead).toBe('late after all');
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('a dead head is not evicted while a job runs, nor until the slot has been free for claimMs after it ends', async () => {
    const scheduler = new Scheduler({ claimMs: 250, pollMs: 2 });
    const hold = deferred();
    const first = scheduler.run(1, () => hold.promise);
    await flush();
    withFrozenTimer(() => scheduler.run(2, () => 'dead'));
    let startedAt = 0;
    const live = scheduler.run(4, () => (startedAt = Date.now()));
    await advance(1000); // the running job holds the slot far past claimMs: nobody is evicted meanwhile
    expect(scheduler.load).toEqual({ waiting: 2, running: true, queuedCost: 7 });
    hold.resolve();
    await first;
    const freedAt = Date.now();
    await advance(240);
    expect(scheduler.load).toEqual({ waiting: 2, running: false, queuedCost: 6 });
    await advance(20);
    await live;
    expect(startedAt - freedAt).toBeGreaterThan(250);
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('a dead job\'s cost stops counting against the bound once its lease is over', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const scheduler = new Scheduler({ maxQueuedCost: 10, leaseMs: 100 });
    void scheduler.run(10, () => new Promise(() => {}));
    await flush();
    await expect(scheduler.run(5, () => 'refused')).rejects.toBeInstanceOf(OverloadedError);
    await advance(101);
    const accepted = scheduler.run(5, () => 'accepted');
    await advance(0);
    expect(await accepted).toBe('accepted');
  });

  it('each eviction opens a fresh claim window: two dead waiters cost two windows', async () => {
    const scheduler = new Scheduler({ claimMs: 250, pollMs: 2 });
    const t0 = Date.now();
    withFrozenTimer(() => scheduler.run(1, () => 'dead 1'));
    withFrozenTimer(() => scheduler.run(1, () => 'dead 2'));
    let startedAt = 0;
    const live = scheduler.run(1, () => (startedAt = Date.now()));
    await advance(500);
    expect(startedAt).toBe(0);
    expect(scheduler.load.waiting).toBe(2);
    await advance(20);
    await live;
    expect(startedAt - t0).toBeGreaterThan(500);
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('a head that arrived just now is not evicted though the slot has been free for long', async () => {
    const scheduler = new Scheduler({ claimMs: 250, pollMs: 2 });
    await advance(1000); // free since construction, nobody waiting
    const hold = deferred();
    const log: string[] = [];
    const first = scheduler.run(1, async () => {
      log.push('first');
      await hold.promise;
    });
    const second = scheduler.run(1, () => log.push('second'));
    await flush();
    expect(log).toEqual(['first']);
    expect(scheduler.load).toEqual({ waiting: 1, running: true, queuedCost: 2 });
    hold.resolve();
    await advance(10);
    await Promise.all([first, second]);
    expect(log).toEqual(['first', 'second']);
  });

  it('a live waiter evicted while its timer was late goes back to the front of the queue, with its cost', async () => {
    const scheduler = new Scheduler({ claimMs: 250, pollMs: 2 });
    const log: string[] = [];
    const job = (name: string, hold?: Promise<void>) => async () => {
      log.push(name);
      await hold;
    };
    const hold1 = deferred();
    const first = scheduler.run(1, job('first', hold1.promise));
    await flush();
    // 'late' queues behind 'first'; its poll timer then fires only when we say (the isolate was busy)
    const late = withFrozenTimer(() => scheduler.run(2, job('late')));
    const hold2 = deferred();
    const second = scheduler.run(4, job('second', hold2.promise));
    const third = scheduler.run(8, job('third'));
    hold1.resolve();
    await first;
    await advance(260); // 'late' has not looked for over claimMs: 'second' evicts it and runs
    expect(log).toEqual(['first', 'second']);
    expect(scheduler.load).toEqual({ waiting: 1, running: true, queuedCost: 4 + 8 });
    late.wake(); // 'late' looks again, finds itself evicted and re-queues at the front with its cost
    await flush();
    expect(scheduler.load).toEqual({ waiting: 2, running: true, queuedCost: 4 + 2 + 8 });
    hold2.resolve();
    await advance(20);
    await Promise.all([late.promise, second, third]);
    expect(log).toEqual(['first', 'second', 'late', 'third']);
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('an evicted waiter that then aborts takes nothing more off the queue', async () => {
    const scheduler = new Scheduler({ claimMs: 250, pollMs: 2 });
    const log: string[] = [];
    const hold1 = deferred();
    const first = scheduler.run(1, async () => {
      log.push('first');
      await hold1.promise;
    });
    await flush();
    const controller = new AbortController();
    const late = withFrozenTimer(() => scheduler.run(2, () => log.push('late'), controller.signal));
    const hold2 = deferred();
    const second = scheduler.run(4, async () => {
      log.push('second');
      await hold2.promise;
    });
    const third = scheduler.run(8, () => log.push('third'));
    hold1.resolve();
    await first;
    await advance(260);
    expect(scheduler.load).toEqual({ waiting: 1, running: true, queuedCost: 12 });
    controller.abort(new Error('gone'));
    await expect(late.promise).rejects.toThrow('gone');
    expect(scheduler.load).toEqual({ waiting: 1, running: true, queuedCost: 12 });
    hold2.resolve();
    await advance(20);
    await Promise.all([second, third]);
    expect(log).toEqual(['first', 'second', 'third']);
    expect(scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });
});
