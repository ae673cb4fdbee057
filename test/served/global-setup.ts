/**
 * Starts the worker once for the `served` test project the way a user does (`npm start`: the registry seeded
 * from the committed sets, then `wrangler dev`, local mode, on a free loopback port), waits until /health
 * answers, hands the URL to the tests, and stops it after. The local R2 state is a fresh temporary directory
 * (`--persist-to`), so tests that publish and promote versions never touch the developer's .wrangler/state.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { missingModelsMessage } from '../../edge/cli/check-models';

declare module 'vitest' {
  export interface ProvidedContext {
    /** e.g. http://127.0.0.1:41234, no trailing slash */
    workerUrl: string;
    /** the worker's local state (R2), for `npm run publish-models -- --persist-to` */
    persistTo: string;
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
  const persistTo = await mkdtemp(join(tmpdir(), 'served-state-'));
  const seeded = Date.now();
  await promisify(execFile)(process.execPath, ['--import', 'tsx', resolve(ROOT, 'training/publish-cli.ts'), '--seed', '--persist-to', persistTo], { cwd: ROOT });
  console.log(`[served] registry seeded in ${((Date.now() - seeded) / 1000).toFixed(1)} s`);
  const child = spawn(
    process.execPath,
    [
      resolve(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
      'dev',
      ...['--port', String(port), '--ip', '127.0.0.1', '--inspector-port', String(inspectorPort)],
      '--show-interactive-dev-session=false',
      // the suite sends more than one client's per-minute limit from one address (edge/routes/rate-limit.ts)
      ...['--var', 'RATE_LIMIT:off'],
      // a promote is seen by the next request (the default trusts a read channel for 5 s)
      ...['--var', 'CHANNEL_TTL_MS:0'],
      ...['--persist-to', persistTo],
    ],
    {
      cwd: ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', CI: 'true' },
    },
  );
  let output = '';
  // SERVED_WRANGLER_LOG=<file>: also keep all of wrangler dev's output there (for diagnosing a served test)
  const logFile = process.env.SERVED_WRANGLER_LOG;
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
    if (logFile) appendFileSync(logFile, chunk);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const started = Date.now();
  try {
    await waitUntilHealthy(url, child, () => output);
  } catch (err) {
    await stop(child);
    await rm(persistTo, { recursive: true, force: true });
    throw err;
  }
  console.log(`[served] wrangler dev ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  project.provide('workerUrl', url);
  project.provide('persistTo', persistTo);
  return async () => {
    await stop(child);
    await rm(persistTo, { recursive: true, force: true });
  };
}
