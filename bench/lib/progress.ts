/** One status line on stderr, rewritten in place on a terminal, with elapsed time and an ETA for the whole run. */
export class Progress {
  private readonly started = performance.now();
  private lastPrint = 0;
  private stage = '';

  constructor(private readonly stageWeights: Record<string, number>, private readonly tty = process.stderr.isTTY) {}

  /** Starts a stage (its weight is its expected share of the run's time). */
  begin(stage: string): void {
    this.stage = stage;
    this.done = this.doneWeight();
    this.print(`${stage} ...`, true);
  }

  private done = 0;
  private finished = new Set<string>();

  end(): void {
    this.finished.add(this.stage);
  }

  private doneWeight(): number {
    return [...this.finished].reduce((sum, s) => sum + (this.stageWeights[s] ?? 0), 0);
  }

  tick(message: string): void {
    if (performance.now() - this.lastPrint < (this.tty ? 200 : 5000)) return;
    this.print(message, false);
  }

  log(message: string): void {
    this.print(message, true);
  }

  private print(message: string, force: boolean): void {
    this.lastPrint = performance.now();
    const elapsed = (performance.now() - this.started) / 1000;
    const total = Object.values(this.stageWeights).reduce((a, b) => a + b, 0);
    const fraction = Math.max(0.01, this.done / total);
    const eta = this.done > 0 ? `, ETA ${Math.max(0, Math.round(elapsed / fraction - elapsed))} s` : '';
    const line = `[${Math.round(elapsed)} s${eta}] ${message}`;
    if (this.tty && !force) process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    else process.stderr.write(`${this.tty ? '\r\x1b[2K' : ''}${line}\n`);
  }
}
