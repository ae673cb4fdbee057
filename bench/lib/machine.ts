/** The machine and software a benchmark ran on, for the results file. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  ramGiB: number;
  loadAverage: string;
  node: string;
  versions: Record<string, string>;
  commit: string;
}

function version(root: string, pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(root, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'missing';
  }
}

export function describeMachine(root: string): Machine {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    if (execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).trim()) commit += ' (with uncommitted changes)';
  } catch {
    // not a git checkout
  }
  return {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    ramGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage: loadavg().map((l) => l.toFixed(2)).join(' '),
    node: process.version,
    versions: Object.fromEntries(
      ['wrangler', 'workerd', 'onnxruntime-web', 'onnxruntime-node', 'hono', '@hono/node-server', 'autocannon'].map((p) => [p, version(root, p)]),
    ),
    commit,
  };
}

export function currentLoad(): string {
  return loadavg().map((l) => l.toFixed(2)).join(' ');
}
