/**
 * Servers the benchmark starts and stops: `wrangler dev` (workerd) and the plain Node baseline.
 * Every child is started in its own process group and stopped by that group's id, so nothing else on
 * the machine is touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { listeningPorts } from './inspector';

export interface Server {
  name: string;
  origin: string;
  child: ChildProcess;
  /** ms from spawn to the first 200 from `readyPath` */
  readyMs: number;
  /** latency of that first successful request (the first the server answered with 200) */
  firstRequestMs: number;
  /** everything the process printed, for error reports */
  output(): string;
  /**
   * pid of the process that runs the code (node itself for the baseline). `wrangler dev` starts two workerd
   * processes, a proxy on the public port and the one that runs the worker; this is the latter, found as
   * the one whose CPU time moves when `probePath` is requested (see `identifyRuntime`).
   */
  runtimePid(): number | null;
  /** finds the runtime process among several candidates by load; call once the server is ready */
  identifyRuntime(probePath: string): Promise<number | null>;
  stop(): Promise<void>;
}

export interface StartOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  port: number;
  readyPath: string;
  timeoutMs: number;
  env?: Record<string, string>;
  /** the executable name of the process that runs the code, looked up among the child's descendants */
  runtimeName?: string;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // field 4 (after the parenthesised name) is the parent pid
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function commName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** All descendants of `pid` (breadth first) whose executable is `name`. */
export function findDescendants(pid: number, name: string): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const next = queue.shift()!;
    if (commName(next) === name) out.push(next);
    queue.push(...childrenOf(next));
  }
  return out;
}

/**
 * CPU time a process has used so far, in ms: the sum over its threads of /proc/<pid>/task/<tid>/schedstat's
 * time on CPU (nanoseconds), falling back to utime+stime from /proc/<pid>/stat (10 ms ticks) where schedstat
 * is missing. null once the process is gone.
 */
export function cpuMs(pid: number): number | null {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended meanwhile
      }
    }
    if (ns > 0) return ns / 1e6;
  } catch {
    // no schedstat: fall back to the tick counts
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields 14 and 15 (utime, stime), counted after the parenthesised name, in clock ticks (100 per s on Linux)
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** USER_HZ: fixed at 100 by the Linux ABI for /proc's tick counts (getconf CLK_TCK). */
const CLOCK_TICKS = 100;

/** Resident set size of a process in bytes, from /proc. */
export function rssBytes(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export async function startServer(opts: StartOptions): Promise<Server> {
  const origin = `http://127.0.0.1:${opts.port}`;
  const started = performance.now();
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    detached: true, // own process group, stopped as a group
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  let exited = false;
  child.on('exit', () => (exited = true));

  const stop = async () => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 50 && !exited; i++) await sleep(100);
    if (!exited) {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };

  const deadline = started + opts.timeoutMs;
  let firstRequestMs = 0;
  for (;;) {
    if (exited) throw new Error(`${opts.name} exited before it was ready:\n${log.slice(-3000)}`);
    if (performance.now() > deadline) {
      await stop();
      throw new Error(`${opts.name} not ready after ${opts.timeoutMs} ms:\n${log.slice(-3000)}`);
    }
    try {
      const sent = performance.now();
      const res = await fetch(origin + opts.readyPath, { signal: AbortSignal.timeout(10_000) });
      await res.arrayBuffer();
      firstRequestMs = performance.now() - sent;
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  const readyMs = performance.now() - started;
  let runtime: number | null = null;
  const candidates = () => (opts.runtimeName && child.pid ? findDescendants(child.pid, opts.runtimeName) : child.pid ? [child.pid] : []);
  return {
    name: opts.name,
    origin,
    child,
    readyMs,
    firstRequestMs,
    output: () => log,
    runtimePid: () => runtime ?? candidates()[0] ?? null,
    identifyRuntime: async (probePath: string) => {
      const pids = candidates();
      if (pids.length <= 1) return (runtime = pids[0] ?? null);
      const before = pids.map((p) => cpuMs(p) ?? 0);
      for (let i = 0; i < 20; i++) await (await fetch(origin + probePath)).arrayBuffer();
      const used = pids.map((p, i) => (cpuMs(p) ?? 0) - before[i]);
      return (runtime = pids[used.indexOf(Math.max(...used))]);
    },
    stop,
  };
}

export const WRANGLER = (root: string) => join(root, 'node_modules', '.bin', 'wrangler');

/** `wrangler dev` of a config, local only, on 127.0.0.1:port. */
export function startWranglerDev(name: string, root: string, config: string, port: number, readyPath = '/health', timeoutMs = 180_000) {
  return startServer({
    name,
    command: WRANGLER(root),
    args: ['dev', '--config', config, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(port + 1000), '--log-level', 'warn', '--show-interactive-dev-session=false'],
    cwd: root,
    port,
    readyPath,
    timeoutMs,
    env: { WRANGLER_SEND_METRICS: 'false', CI: '1' },
    runtimeName: 'workerd',
  });
}

/** The plain-Node baseline (bench/node/server.ts) on 127.0.0.1:port. */
export function startNodeBaseline(root: string, modelsDir: string, port: number, readyPath = '/health') {
  return startServer({
    name: 'node baseline',
    command: process.execPath,
    args: ['--import', 'tsx', '--import', './bench/node/register.mjs', 'bench/node/server.ts', '--port', String(port), '--models', modelsDir],
    cwd: root,
    port,
    readyPath,
    timeoutMs: 60_000,
  });
}

/**
 * The origin of `pid`'s own HTTP listener, bypassing `wrangler dev`'s proxy: `wrangler dev` answers on a
 * proxy workerd that forwards every request (bodies included) to the workerd running the worker, which
 * listens on a loopback port of its own. Found among the process's listening sockets as the one whose
 * /health answers; null when none does.
 */
export async function directOrigin(pid: number, healthPath = '/health'): Promise<string | null> {
  for (const port of listeningPorts(pid)) {
    const origin = `http://127.0.0.1:${port}`;
    try {
      const res = await fetch(origin + healthPath, { signal: AbortSignal.timeout(2_000) });
      const body = await res.text();
      if (res.status === 200 && body.includes('"status"')) return origin;
    } catch {
      // not an HTTP listener (the inspector, the control socket)
    }
  }
  return null;
}
