/**
 * How late this runtime's timers fire: a request-scoped loop sleeps `everyMs` again and again for `forMs`
 * and records, per sleep, how much longer than `everyMs` it took. While the isolate runs other JavaScript
 * (a job, a parse, a garbage collection pause) no timer fires, so the lateness is the longest stretch a
 * light request such as /health would wait inside the isolate, separate from what the network, the proxy
 * or the client add. workerd's clock moves across I/O, and a timer firing is I/O, so it reads true here.
 */
import { sleep } from '../../edge/inference/scheduler';
import { quantile } from '../lib/stats';

export interface TimerLag {
  /** sleeps measured */
  count: number;
  /** lateness of a sleep in ms: median, 99th percentile, longest */
  p50: number;
  p99: number;
  max: number;
}

export async function measureTimerLag(
  forMs: number,
  everyMs: number,
  clock: { now(): number; sleep(ms: number): Promise<void> } = { now: () => performance.now(), sleep },
): Promise<TimerLag> {
  const late: number[] = [];
  const end = clock.now() + forMs;
  let last = clock.now();
  while (last < end) {
    await clock.sleep(everyMs);
    const now = clock.now();
    late.push(Math.max(0, now - last - everyMs));
    last = now;
  }
  // the same interpolated quantiles as every other latency in the bench's tables
  return { count: late.length, p50: quantile(late, 0.5), p99: quantile(late, 0.99), max: late.length ? Math.max(...late) : NaN };
}
