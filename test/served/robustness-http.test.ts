/**
 * The robustness stream of test/robustness (bench/robustness/bad-requests.ts) over HTTP against
 * `wrangler dev`: the same rules (no 5xx, JSON errors, required headers on every response, 2xx included),
 * and every response of a documented operation validated against /openapi.json (contract.ts).
 */
import { describe, expect, inject, it } from 'vitest';
import { CANARY_PATH, badRequest, checkHeaders, checkResponse } from '../../bench/robustness/bad-requests';
import { Contract } from './contract';

const base = inject('workerUrl');
// Under the rate limit (600/min per client) together with the other served suites.
const COUNT = 250;
const SEED = 11;

describe('bad input over HTTP', () => {
  it(`${COUNT} generated requests: no 5xx, JSON errors, required headers, the document's shapes`, { timeout: 180_000 }, async () => {
    const contract = new Contract((await (await fetch(`${base}/openapi.json`)).json()) as Record<string, any>);
    const canary = new Uint8Array(await (await fetch(base + CANARY_PATH)).arrayBuffer());
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < COUNT; i++) {
      const req = badRequest(SEED, i);
      let res: Response;
      try {
        res = await fetch(base + req.path, { method: req.method, headers: req.headers, body: req.body, redirect: 'manual' });
      } catch (err) {
        failures.push(`${req.method} ${req.path.slice(0, 100)}: no response (${(err as Error).message})`);
        continue;
      }
      const bytes = new Uint8Array(await res.arrayBuffer());
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const text = res.headers.get('Content-Type')?.startsWith('image/') ? '' : new TextDecoder().decode(bytes);
      for (const check of [
        checkResponse(req.method, res.status, res.headers.get('Content-Type'), text),
        checkHeaders(req.method, req.path, res.status, res.headers, req.method === 'HEAD' ? null : bytes.length),
      ]) {
        if (!check.ok) {
          const sent = Object.keys(req.headers).join(',') || 'no headers';
          const got = [...res.headers.keys()].join(',');
          failures.push(`${req.method} ${req.path.slice(0, 100)} [${req.kind}; sent ${sent}; got ${got}]: ${check.problem}`);
        }
      }
      // 404/405 come from paths and methods outside the document; the rest must match it
      if (res.status !== 404 && res.status !== 405) failures.push(...contract.check(req.method, req.path, res, bytes));
    }
    expect(failures.slice(0, 10)).toEqual([]);
    expect(statuses.get(200)).toBeGreaterThan(0);
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect(new Uint8Array(await (await fetch(base + CANARY_PATH)).arrayBuffer())).toEqual(canary);
  });
});
