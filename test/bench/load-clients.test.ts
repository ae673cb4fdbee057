import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnLoadClients } from '../../bench/stages/load-clients';

/** nice and scheduling policy of a process, from /proc/<pid>/stat (fields 19 and 41, counted after the name) */
function schedulingOf(pid: number): { nice: number; policy: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // fields[0] is field 3 (state)
  return { nice: Number(fields[19 - 3]), policy: Number(fields[41 - 3]) };
}

describe('the health stage load clients (a process below the server and the probe)', () => {
  let server: Server;
  let origin = '';
  const seen = { health: 0, other: 0 };

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/health') seen.health++;
      else seen.other++;
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"status":"ok"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('runs at SCHED_OTHER nice 19, and tallies exactly the requests the server answered', async () => {
    const clients = spawnLoadClients(origin, 'light', { clients: 2, seconds: 1.5 });
    await clients.ready;
    // SCHED_OTHER is policy 0; the bench itself may run under chrt -r 1, the clients never do
    expect(schedulingOf(clients.pid!)).toEqual({ nice: 19, policy: 0 });
    const tally = await clients.tally;
    expect(tally.ok).toBeGreaterThan(10);
    expect(tally.ok).toBe(seen.health);
    expect(tally.times).toHaveLength(tally.ok);
    expect(seen.other).toBe(0);
    expect(tally.overloaded + tally.other).toBe(0);
  }, 30_000);

  it('fails with the usage message when the load is unknown, instead of waiting', async () => {
    const clients = spawnLoadClients(origin, 'bogus' as 'light', { clients: 1, seconds: 1 });
    await expect(clients.ready).rejects.toThrow(/exited 2 without a tally: usage: load-clients\.ts .*generate\|hostile\|light.*bogus/);
  }, 30_000);
});
