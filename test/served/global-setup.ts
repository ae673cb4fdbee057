/**
 * Starts the worker once for the `served` test project the way a user does (`wrangler dev`, local mode,
 * on a free loopback port), waits until /health answers, hands the URL to the tests, and stops it after.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { missingModelsMessage } from '../../edge/cli/check-models';

declare module 'vitest' {
  export interface ProvidedContext {
    /** e.g. http://127.0.0.1:41234, no trailing slash */
    workerUrl: string;
  }
}

const ROOT = resolve(import.meta.dirname, '../..');
const START_TIMEOUT_MS = 150_000;

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

async function waitUntilHealthy(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${log()}`);
    // a failed build leaves wrangler dev waiting for file changes: stop at the first error instead
    if (/\[ERROR\]/.test(log())) throw new Error(`wrangler dev failed:\n${log()}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return;
      if (res.status === 503) throw new Error(`worker started but models failed to load: ${await res.text()}`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('worker started')) throw err; // else: not up yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`wrangler dev did not become healthy within ${START_TIMEOUT_MS / 1000} s:\n${log()}`);
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((done) => {
    const force = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      done();
    });
    try {
      process.kill(-child.pid!, 'SIGTERM'); // its own process group: wrangler and the workerd it started
    } catch {
      clearTimeout(force);
      done();
    }
  });
}

export default async function setup(project: TestProject) {
  const missing = missingModelsMessage();
  if (missing) throw new Error(missing);
  const port = await freePort();
  // its own devtools port too, so a `npm start` already running elsewhere on this machine does not collide
  let inspectorPort = await freePort();
  while (inspectorPort === port) inspectorPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    process.execPath,
    [
      resolve(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
      'dev',
      ...['--port', String(port), '--ip', '127.0.0.1', '--inspector-port', String(inspectorPort)],
      '--show-interactive-dev-session=false',
      // the suite sends more than one client's per-minute limit from one address (edge/routes/rate-limit.ts)
      ...['--var', 'RATE_LIMIT:off'],
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: 'true' },
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const started = Date.now();
  try {
    await waitUntilHealthy(url, child, () => output);
  } catch (err) {
    await stop(child);
    throw err;
  }
  console.log(`[served] wrangler dev ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('workerUrl', url);
  return () => stop(child);
}
