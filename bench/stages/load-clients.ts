/**
 * The health stage's load clients, as a process of their own that runs below the server and the probe:
 * `chrt -o 0 nice -n 19` (`spawnLoadClients` below starts it so). On a deployment the clients are other machines; here
 * they share the two cores with the server, and at the server's priority (the bench runs under
 * `chrt -r 1`, whose round-robin slices are 100 ms) 16 of them pushing 2 MB bodies took CPU from the
 * isolate and from the probe: /health's tail then measured the load generator as much as the worker.
 *
 * Protocol: prints `ready` once its clients have started, then one JSON line (`LoadTally`) when
 * `seconds` have passed and every client's last request has been answered.
 *
 * Usage: node --import tsx bench/stages/load-clients.ts <origin> <generate|hostile|light> <clients> <seconds>
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { heavyRequest, LOADS, type HealthLoad } from './health-loads';

export interface LoadTally {
  ok: number;
  overloaded: number;
  other: number;
  /** latency of every answered request, ms */
  times: number[];
}

export async function runClients(origin: string, load: HealthLoad, clients: number, seconds: number, onStart?: () => void): Promise<LoadTally> {
  const end = performance.now() + seconds * 1000;
  const tally: LoadTally = { ok: 0, overloaded: 0, other: 0, times: [] };
  let next = 0;
  const loops = Array.from({ length: clients }, async () => {
    while (performance.now() < end) {
      let r: { ms: number; status: number };
      try {
        r = await heavyRequest(origin, load, next++);
      } catch {
        tally.other++; // connection refused or reset: counted, and the load goes on
        await sleep(50);
        continue;
      }
      // a hostile upload's answer is its JSON 4xx (or 200 for the valid-but-odd ones): answered, not failed
      if (r.status === 200 || (load === 'hostile' && r.status >= 400 && r.status < 500)) {
        tally.ok++;
        tally.times.push(r.ms);
      } else if (r.status === 503) {
        tally.overloaded++;
        await sleep(50); // a client that honours Retry-After would wait longer; keep the pressure on
      } else tally.other++;
    }
  });
  onStart?.();
  await Promise.all(loops);
  return tally;
}

/**
 * Starts this file as a process demoted to SCHED_OTHER at nice 19 (lowering a process's priority
 * needs no privilege). `ready` resolves when its clients have started, `tally` with what they got.
 */
export function spawnLoadClients(origin: string, load: HealthLoad, settings: { clients: number; seconds: number }) {
  const script = fileURLToPath(import.meta.url);
  const args = ['-o', '0', 'nice', '-n', '19', process.execPath, '--import', 'tsx', script, origin, load, String(settings.clients), String(settings.seconds)];
  const child = spawn('chrt', args, { cwd: resolve(dirname(script), '../..'), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout! });
  let onReady: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const tally = new Promise<LoadTally>((resolveTally, reject) => {
    let result: LoadTally | null = null;
    lines.on('line', (line) => {
      if (line === 'ready') onReady();
      else if (line.startsWith('{')) result = JSON.parse(line) as LoadTally;
    });
    child.on('error', (err) => reject(new Error(`load clients: could not start chrt (util-linux): ${err.message}`)));
    child.on('close', (code) => {
      if (result) resolveTally(result);
      else reject(new Error(`load clients exited ${code} without a tally: ${stderr.trim().slice(-500)}`));
    });
  });
  // a child that dies before `ready` must not leave the stage waiting forever
  return { pid: child.pid, ready: Promise.race([ready, tally.then(() => undefined)]), tally };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [origin, load, clients, seconds] = process.argv.slice(2);
  if (!origin || !LOADS.includes(load as HealthLoad) || !(Number(clients) > 0) || !(Number(seconds) > 0)) {
    console.error(`usage: load-clients.ts <origin> <${LOADS.join('|')}> <clients> <seconds>; got ${JSON.stringify(process.argv.slice(2))}`);
    process.exit(2);
  }
  const tally = await runClients(origin, load as HealthLoad, Number(clients), Number(seconds), () => console.log('ready'));
  console.log(JSON.stringify(tally));
}
