/**
 * Per-isolate scheduling of model work: one job at a time (the single-threaded wasm runtime shares one
 * heap between sessions), first come first served, with a bound on the work waiting. Past the bound a
 * job is refused at once (`OverloadedError` -> 503 with Retry-After) instead of queueing for seconds.
 *
 * Why this is safe under workerd's cross-request rules. An isolate serves many requests, and a promise
 * created by one request and settled by another is a known way to hang Workers: if the request whose
 * code would settle it is cancelled (client gone, limits hit), its pending continuations never run, and
 * whoever awaits them waits forever ("The script will never generate a response"). A chain of promises
 * (`queue = queue.then(job)`) has exactly that shape: every job waits on the previous request's job. So:
 * - No request's progress depends on another request's continuation. Each waiting request drives its
 *   own wait with its own timer (every `pollMs` at the front of the queue, less often further back) and
 *   claims the slot itself when it is free and it is first.
 *   Nothing is handed from one request to another: measured in workerd (vitest-pool-workers 0.15.1,
 *   compatibility date 2025-04-01), a promise created by request A and resolved by request B continues
 *   in B's context, where touching A's AbortSignal throws "Cannot perform I/O on behalf of a different
 *   request", and if B ends first the continuation is dropped. So there is no wake-up call at all.
 * - The only shared things are plain data (the ticket list, the running ticket), never a promise.
 * - A waiter that died while queued (its timers no longer fire) is skipped: once the slot has been free
 *   for `claimMs` and the head has not looked since, the next waiter evicts it. A live waiter that was
 *   evicted because the isolate was busy notices and re-queues at the front.
 * - A job whose request died mid-run never reaches its `finally`; the slot is then reclaimed after
 *   `leaseMs` (far above any real job: Workers' CPU limit ends requests long before).
 * - A job that throws releases the slot in `finally` and the error goes to its own request only.
 * - Jobs yield to the event loop before starting (a timer in the starting request), so the response of
 *   the job that just finished is written out before the next job takes the CPU, and light requests
 *   (/health, 304s) in between run without waiting for the queue.
 */

export interface SchedulerOptions {
  /** most work (in cost units, ~ms of CPU, see `estimateCost`) waiting or running at once */
  maxQueuedCost: number;
  /** cost units this isolate gets through per second: turns the queued cost into a Retry-After */
  costPerSecond: number;
  /**
   * how often the first `eagerWaiters` waiting requests re-check the queue (each its own timer: the only
   * way it is woken); waiters further back sleep longer, see `maxPollMs`
   */
  pollMs: number;
  /** waiters at the front of the queue that poll every `pollMs` whatever the work ahead of them */
  eagerWaiters: number;
  /**
   * longest sleep between looks for a waiter further back: half its expected wait (the cost ahead of it at
   * `costPerSecond`), at least `pollMs`, at most this (and at most half of `claimMs`, so a live waiter is
   * never taken for a dead one). With 16 waiters polling every 2 ms the isolate woke 8,000 times a second
   * for nothing; now only the front ones do.
   */
  maxPollMs: number;
  /** a free slot not claimed by the head of the queue within this long means the head is gone */
  claimMs: number;
  /** a job running longer than this is presumed dead (its request was cancelled) and its slot reclaimed */
  leaseMs: number;
}

export const DEFAULT_SCHEDULER: SchedulerOptions = {
  maxQueuedCost: 1500,
  costPerSecond: 1000,
  pollMs: 2,
  eagerWaiters: 2,
  maxPollMs: 25,
  claimMs: 250,
  leaseMs: 10_000,
};

/**
 * CPU cost of a job in ms of workerd CPU: a request's base, rows through the models, the pixels it
 * encodes as PNG, the PNGs it encodes (JSON answers encode one per image) and the pixels it decodes (in
 * full, or from a JPEG's coefficients at a quarter size).
 * Fitted by least squares to the bench's workerd CPU per request (bench/RESULTS.md, cpu stage; relative errors weighted: 13 GET
 * cases within -25%..+11%; the POST uploads set the decode term), which reports each case's estimate next to
 * what it measured (the Server-Timing header's `cost`).
 */
export function estimateCost(work: {
  rows: number;
  outputPixels: number;
  images?: number;
  decodedPixels?: number;
  pngPixels?: number;
  coefficientPixels?: number;
  coefficientBytes?: number;
}): number {
  return (
    COST.base +
    work.rows * COST.perRow +
    work.outputPixels * COST.perOutputPixel +
    (work.images ?? 1) * COST.perImage +
    (work.decodedPixels ?? 0) * COST.perDecodedPixel +
    (work.pngPixels ?? 0) * COST.perPngPixel +
    (work.coefficientPixels ?? 0) * COST.perCoefficientPixel +
    (work.coefficientBytes ?? 0) * COST.perCoefficientByte
  );
}

/** The coefficients of estimateCost (ms). */
export const COST = {
  base: 1,
  perRow: 0.07,
  perOutputPixel: 2.6e-6,
  perImage: 0.06,
  /** a JPEG decoded whole by mozjpeg, then normalised: ~30 ms for 1024x1024 */
  perDecodedPixel: 3e-5,
  /**
   * a PNG inflated by native zlib (png-chunks.ts), unfiltered and normalised: 1.25 ms for the 280x280 pad.
   * Refitted to the bench's fifth round of issue 21 (3e-5 before native inflate): classify, encode and
   * two-pad interpolate measured 3.22, 3.85 and 6.34 ms, estimated 3.39, 3.58 and 6.00
   */
  perPngPixel: 1.6e-5,
  /**
   * a JPEG read at a quarter size from its DCT coefficients (encoding/jpeg-luma.ts) costs what its Huffman
   * data does, so per byte of the file, plus a little per pixel. Measured in Node for 1024x1024: 5.0 ms for
   * the bench's 228 KB photo (estimate 5.6), 16 ms for 690 KB of noise (14.8), 24 ms for 1.9 MB (38.6)
   */
  perCoefficientPixel: 1e-6,
  perCoefficientByte: 2e-5,
};

/** Too much work is already waiting: answer 503 with `retryAfterSeconds`. */
export class OverloadedError extends Error {
  override readonly name = 'OverloadedError';
  constructor(readonly retryAfterSeconds: number) {
    super(`the server is busy; retry in ${retryAfterSeconds} s`);
  }
}

interface Ticket {
  /** the job's cost in thousandths of a unit, an integer: sums and differences of them stay exact */
  cost: number;
  /** when this ticket's own request last looked at the queue */
  seenAt: number;
}

/** thousandths of a cost unit: the scheduler's internal, integer unit */
const MILLI = 1000;

/** A wait on the calling request's own timer (never on another request's promise). */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Lets other requests of the isolate run (on this request's own timer) in the middle of a long job,
 * e.g. between inference and encoding: the job keeps its slot, so no other model work starts, but
 * /health and 304s get answered.
 */
export const yieldToEventLoop = () => sleep(0);

export class Scheduler {
  private readonly options: SchedulerOptions;
  private readonly waiting: Ticket[] = [];
  private running: { ticket: Ticket; since: number } | null = null;
  private freeSince = Date.now();
  private queuedCost = 0;

  constructor(options: Partial<SchedulerOptions> = {}) {
    this.options = { ...DEFAULT_SCHEDULER, ...options };
  }

  /** Jobs waiting, whether one runs, and their total cost: for /health and tests. */
  get load(): { waiting: number; running: boolean; queuedCost: number } {
    return { waiting: this.waiting.length, running: this.running !== null, queuedCost: this.queuedCost / MILLI };
  }

  /**
   * Runs `job` when it is this request's turn. Throws `OverloadedError` at once when the queue is full,
   * and the signal's reason if `signal` aborts while the job waits (an aborted job never starts).
   * A single job costlier than the whole bound still runs when nothing else is queued.
   */
  async run<T>(estimate: number, job: () => Promise<T> | T, signal?: AbortSignal): Promise<T> {
    signal?.throwIfAborted();
    this.reclaimDeadJob();
    // integers: fractional estimates added and removed in any order would leave float residue behind
    const cost = Math.round(estimate * MILLI);
    if (this.queuedCost > 0 && this.queuedCost + cost > this.options.maxQueuedCost * MILLI) {
      throw new OverloadedError(Math.max(1, Math.ceil(this.queuedCost / MILLI / this.options.costPerSecond)));
    }
    const ticket: Ticket = { cost, seenAt: Date.now() };
    this.waiting.push(ticket);
    this.queuedCost += cost;
    let started = false;
    try {
      await this.waitForTurn(ticket, signal);
      started = true;
      return await job();
    } finally {
      if (started) this.finish(ticket);
      else this.leave(ticket);
    }
  }

  private async waitForTurn(ticket: Ticket, signal?: AbortSignal): Promise<void> {
    for (;;) {
      ticket.seenAt = Date.now();
      this.reclaimDeadJob();
      this.evictAbsentHead();
      if (!this.waiting.includes(ticket)) {
        // evicted as absent while alive (the isolate was busy): back to the front
        this.waiting.unshift(ticket);
        this.queuedCost += ticket.cost;
      }
      if (this.running === null && this.waiting[0] === ticket) {
        // Yield first so the response of the job that just finished goes out before this one takes the CPU.
        await sleep(0);
        signal?.throwIfAborted();
        if (this.running === null && this.waiting[0] === ticket) {
          this.waiting.shift();
          this.running = { ticket, since: Date.now() };
          return;
        }
        continue;
      }
      // Only this request's own timer and its own signal: nothing another request could settle.
      let timer: ReturnType<typeof setTimeout> | undefined;
      let onAbort: (() => void) | undefined;
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.pollDelay(ticket));
        onAbort = resolve;
        signal?.addEventListener('abort', onAbort, { once: true });
      });
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      signal?.throwIfAborted();
    }
  }

  /** How long `ticket` sleeps before its next look at the queue (see `maxPollMs`). */
  private pollDelay(ticket: Ticket): number {
    const { pollMs, eagerWaiters, maxPollMs, claimMs, costPerSecond } = this.options;
    const position = this.waiting.indexOf(ticket);
    if (position < eagerWaiters) return pollMs;
    let ahead = this.running ? this.running.ticket.cost : 0;
    for (let i = 0; i < position; i++) ahead += this.waiting[i].cost;
    const expectedWaitMs = (ahead / MILLI / costPerSecond) * 1000;
    return Math.max(pollMs, Math.min(expectedWaitMs / 2, maxPollMs, claimMs / 2));
  }

  /** A job ended (returned or threw): free the slot; the next waiter sees it on its next poll. */
  private finish(ticket: Ticket): void {
    if (this.running?.ticket === ticket) {
      this.running = null;
      this.freeSince = Date.now();
      this.queuedCost -= ticket.cost;
    }
    // else its slot was already reclaimed as dead and its cost removed then
  }

  /** A waiter gave up (aborted) before its job started. */
  private leave(ticket: Ticket): void {
    const index = this.waiting.indexOf(ticket);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      this.queuedCost -= ticket.cost;
    }
  }

  private reclaimDeadJob(): void {
    if (this.running && Date.now() - this.running.since > this.options.leaseMs) {
      console.error(`scheduler: a job ran for over ${this.options.leaseMs} ms; presuming its request gone`);
      this.queuedCost -= this.running.ticket.cost;
      this.running = null;
      this.freeSince = Date.now();
    }
  }

  private evictAbsentHead(): void {
    const head = this.waiting[0];
    if (!head || this.running) return;
    const now = Date.now();
    if (now - this.freeSince > this.options.claimMs && now - head.seenAt > this.options.claimMs) {
      this.waiting.shift();
      this.queuedCost -= head.cost;
      this.freeSince = now; // the next head gets a fresh claim window
    }
  }
}
