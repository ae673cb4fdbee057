import { describe, expect, it } from 'vitest';
import { measureTimerLag } from '../../bench/app/timer-lag';

/** A clock whose sleeps take what the test says: the i-th sleep of `every` ms lasts every + extra[i]. */
function scriptedClock(extra: number[]) {
  let t = 1000;
  let i = 0;
  return {
    now: () => t,
    sleep: async (ms: number) => {
      t += ms + (extra[i++] ?? 0);
    },
  };
}

describe('measureTimerLag', () => {
  it('reports how much later than asked each sleep ended (hand-worked: 10 sleeps of 5 ms, one 40 ms late)', async () => {
    // 50 ms at 5 ms a sleep; the fourth sleep is held 40 ms (a blocked isolate), one other 2 ms
    const lag = await measureTimerLag(50, 5, scriptedClock([0, 0, 0, 40, 2, 0, 0, 0, 0, 0]));
    // the 40 ms stall eats 8 sleeps' worth of the 50 ms: sleeps end at 5, 10, 15, 60 (past the end: stop)
    expect(lag.count).toBe(4);
    expect(lag.max).toBe(40);
    expect(lag.p50).toBe(0);
  });

  it('counts every sleep of an idle loop, none late', async () => {
    const lag = await measureTimerLag(50, 5, scriptedClock([]));
    expect(lag).toEqual({ count: 10, p50: 0, p99: 0, max: 0 });
  });

  it('a median of the lateness, not of the sleeps (half of 10 sleeps 3 ms late: 5 x 8 + 5 x 5 = 65 ms)', async () => {
    const lag = await measureTimerLag(65, 5, scriptedClock([3, 0, 3, 0, 3, 0, 3, 0, 3, 0]));
    expect(lag.count).toBe(10);
    // interpolated, like the bench's other quantiles: halfway between the 5th (0) and the 6th (3) smallest
    expect(lag.p50).toBe(1.5);
    expect(lag.max).toBe(3);
  });
});
