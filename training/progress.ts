/**
 * Progress output for long steps (bars with ETA from cli-progress; on a non-TTY a line every few seconds)
 * and stage timing, so every run prints how long each stage took.
 */
import cliProgress from 'cli-progress';

export interface Logger {
  log(line: string): void;
  /** A progress bar over `total` units; returns a handle to advance it. */
  bar(label: string, total: number): ProgressBar;
}

export interface ProgressBar {
  tick(n?: number, info?: string): void;
  stop(): void;
}

export function consoleLogger({ quiet = false }: { quiet?: boolean } = {}): Logger {
  return {
    log: (line) => {
      if (!quiet) process.stderr.write(`${line}\n`);
    },
    bar: (label, total) => {
      if (quiet) return { tick: () => {}, stop: () => {} };
      const bar = new cliProgress.SingleBar(
        {
          format: `  ${label.padEnd(28)} {bar} {percentage}% | {value}/{total} | ETA {eta_formatted} | {info}`,
          stream: process.stderr,
          noTTYOutput: true,
          notTTYSchedule: 5000,
          etaBuffer: 50,
          hideCursor: false,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total, 0, { info: '' });
      return {
        tick: (n = 1, info = '') => bar.increment(n, { info }),
        stop: () => bar.stop(),
      };
    },
  };
}

export interface StageTiming {
  stage: string;
  seconds: number;
}

/** Runs stages in order, printing each one's duration and keeping them for the report. */
export class StageClock {
  readonly timings: StageTiming[] = [];
  private readonly started = performance.now();

  constructor(private readonly logger: Logger) {}

  async run<T>(stage: string, work: () => Promise<T>): Promise<T> {
    this.logger.log(`\n== ${stage}`);
    const t0 = performance.now();
    const result = await work();
    const seconds = (performance.now() - t0) / 1000;
    this.timings.push({ stage, seconds: round(seconds, 1) });
    this.logger.log(`   ${stage} took ${formatSeconds(seconds)}`);
    return result;
  }

  totalSeconds(): number {
    return round((performance.now() - this.started) / 1000, 1);
  }
}

export function formatSeconds(seconds: number): string {
  return seconds >= 60 ? `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s` : `${seconds.toFixed(1)} s`;
}

export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
