/**
 * The JS heap of the worker inside workerd, which the worker itself cannot see: workerd's own V8 inspector
 * (the process that runs the worker listens on a port of its own) answers `Runtime.getHeapUsage` with the
 * heap's used and total size and the bytes of ArrayBuffer backing stores (outside the heap, e.g. pixels
 * and PNG buffers). With the ORT wasm heap and RSS that accounts for where the process's memory is.
 */
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface HeapUsage {
  usedSize: number;
  totalSize: number;
  /** bytes of ArrayBuffer backing stores (off the V8 heap) */
  backingStorageSize: number;
}

/** TCP ports `pid` listens on, from its socket fds and /proc/net/tcp. */
export function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // fd closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const line of readFileSync(`/proc/${pid}/net/tcp`, 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    // f[1] local address hex ip:port, f[3] state (0A = LISTEN), f[9] inode
    if (f.length > 9 && f[3] === '0A' && inodes.has(f[9])) ports.push(parseInt(f[1].split(':')[1], 16));
  }
  return ports;
}

/** ws:// URL of the user worker's inspector target in the workerd process `pid`, or null. */
export async function findWorkerInspector(pid: number): Promise<string | null> {
  for (const port of listeningPorts(pid)) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/json`, { signal: AbortSignal.timeout(2000) });
      const targets = (await res.json()) as { id: string; webSocketDebuggerUrl: string }[];
      const user = targets.find((t) => t.id.startsWith('core:user:'));
      if (user) return user.webSocketDebuggerUrl;
    } catch {
      // not the inspector
    }
  }
  return null;
}

export async function heapUsage(url: string): Promise<HeapUsage | null> {
  try {
    const { stdout } = await run(process.execPath, ['--experimental-websocket', join(import.meta.dirname, 'heap-usage.mjs'), url], { timeout: 20_000 });
    const r = JSON.parse(stdout) as Partial<HeapUsage> & { error?: string };
    return r.usedSize === undefined ? null : { usedSize: r.usedSize, totalSize: r.totalSize!, backingStorageSize: r.backingStorageSize ?? 0 };
  } catch {
    return null;
  }
}
