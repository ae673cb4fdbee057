/**
 * Runs a training stage in a child process, so independent stages use both cores of a 2-core machine
 * (TensorFlow.js's wasm backend runs one thread per process). A stage module calls `serveChildStage` at
 * its top level; the parent calls `runStageInChild` with that module's URL and a JSON job. The child runs
 * the module with tsx, does the work, writes its results to files named in the job, and reports log lines
 * and progress bars over the IPC channel; the parent draws them with its own logger.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger, ProgressBar } from './progress';

type ChildMessage = { type: 'log'; line: string } | { type: 'bar'; label: string; total: number } | { type: 'tick'; n: number; info: string };

/** Runs the stage module at `moduleUrl` on `job` in a child process; rejects with the child's last output if it fails. */
export async function runStageInChild(moduleUrl: string, name: string, job: unknown, logger: Logger): Promise<void> {
  const child = fork(fileURLToPath(moduleUrl), [JSON.stringify(job)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const progress: { bar: ProgressBar | null } = { bar: null };
  child.on('message', (m: ChildMessage) => {
    if (m.type === 'log') logger.log(m.line);
    else if (m.type === 'bar') progress.bar = logger.bar(m.label, m.total);
    else progress.bar?.tick(m.n, m.info);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  progress.bar?.stop();
  if (code !== 0) throw new Error(`${name} failed in its child process (exit ${code}): ${stderr.trim() || 'no output'}`);
}

/** In the child (when `moduleUrl` is the process's entry): runs `work` on the job from argv, then exits. */
export function serveChildStage<J>(moduleUrl: string, work: (job: J, logger: Logger) => Promise<void>): void {
  if (!process.send || process.argv[1] !== fileURLToPath(moduleUrl)) return;
  const send = (m: ChildMessage) => process.send!(m);
  const logger: Logger = {
    log: (line) => send({ type: 'log', line }),
    bar: (label, total) => {
      send({ type: 'bar', label, total });
      return { tick: (n = 1, info = '') => send({ type: 'tick', n, info }), stop: () => {} };
    },
  };
  work(JSON.parse(process.argv[2]) as J, logger).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
