/**
 * A control for the load stage's RSS target: how workerd's resident memory moves under a request flood when
 * the worker does nothing at all. workerd runs directly (no wrangler, no proxy, no inspector) with a
 * one-line worker that answers "0", and 8 keep-alive clients send `--requests` GETs while RSS is sampled
 * every 5 s. Whatever this shows grows in every workerd process, before any of our code runs.
 *
 *   npx tsx bench/robustness/bare-workerd-rss.ts [--requests 400000] [--port 8897]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { rssBytes } from '../lib/processes';

// the workerd that wrangler runs: its package (a dependency of wrangler's) exports the binary's path
const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler/package.json'));
const workerd = fromWrangler('workerd') as { default: string; version: string };

const { values } = parseArgs({ options: { requests: { type: 'string', default: '400000' }, port: { type: 'string', default: '8897' } } });
const total = Number(values.requests);
const port = Number(values.port);
for (const [name, value] of [['requests', total], ['port', port]] as const) {
  if (!Number.isInteger(value) || value < 1) {
    console.error(`--${name}: expected a positive integer, got "${values[name]}"`);
    process.exit(2);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'bare-workerd-'));
writeFileSync(join(dir, 'worker.js'), 'export default { async fetch() { return new Response("0"); } };\n');
writeFileSync(
  join(dir, 'config.capnp'),
  `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [ (name = "main", worker = .w) ],
  sockets = [ (name = "http", address = "127.0.0.1:${port}", http = (), service = "main") ],
);
const w :Workerd.Worker = ( modules = [ (name = "worker", esModule = embed "worker.js") ], compatibilityDate = "2025-04-01" );
`,
);
const child = spawn(workerd.default, ['serve', join(dir, 'config.capnp')], { stdio: 'inherit' });
const origin = `http://127.0.0.1:${port}/`;
try {
  for (let i = 0; ; i++) {
    if (i === 100) throw new Error(`workerd did not answer on ${origin} within 10 s`);
    if (await fetch(origin).then((r) => r.text(), () => null)) break;
    await sleep(100);
  }
  const mib = () => ((rssBytes(child.pid!) ?? NaN) / 2 ** 20).toFixed(1);
  console.log(`workerd ${workerd.version}, pid ${child.pid}: RSS ${mib()} MiB before the flood`);
  const started = performance.now();
  let sent = 0;
  const client = async () => {
    while (sent < total) {
      sent++;
      await (await fetch(origin)).text();
    }
  };
  const sampler = setInterval(() => console.log(`${sent} requests: RSS ${mib()} MiB`), 5000);
  await Promise.all(Array.from({ length: 8 }, client));
  clearInterval(sampler);
  console.log(`${sent} requests in ${((performance.now() - started) / 1000).toFixed(0)} s: RSS ${mib()} MiB`);
} finally {
  child.kill();
  rmSync(dir, { recursive: true, force: true });
}
