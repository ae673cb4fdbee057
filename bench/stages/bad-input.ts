/**
 * The long bad-input run over HTTP: generated hostile requests (bench/robustness/bad-requests.ts) against
 * a running server, a few at a time, with the seed's bytes re-checked every 250 requests and at the end.
 */
import { CANARY_PATH, badRequest, checkResponse } from '../robustness/bad-requests';
import type { Progress } from '../lib/progress';

export interface BadInputResult {
  server: string;
  requests: number;
  byStatus: Record<string, number>;
  fiveHundreds: number;
  /** responses that broke a rule (5xx, or a 4xx that is not the JSON error shape) */
  failures: string[];
  /** 4xx answered by the HTTP layer in front of the app (e.g. 431, 414), which cannot carry the app's JSON */
  transportRejections: number;
  canaryChecks: number;
  canaryMismatches: number;
  seconds: number;
}

async function bytes(origin: string, path: string): Promise<Uint8Array> {
  const res = await fetch(origin + path);
  return new Uint8Array(await res.arrayBuffer());
}

const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

export async function runBadInput(server: string, origin: string, count: number, seed: number, progress: Progress): Promise<BadInputResult> {
  const started = performance.now();
  const reference = await bytes(origin, CANARY_PATH);
  const result: BadInputResult = {
    server, requests: 0, byStatus: {}, fiveHundreds: 0, failures: [], transportRejections: 0, canaryChecks: 0, canaryMismatches: 0, seconds: 0,
  };
  const CONCURRENCY = 4;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) {
      const req = badRequest(seed, i);
      let status: number;
      let contentType: string | null;
      let body: string;
      try {
        const res = await fetch(origin + req.path, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(30_000) });
        const raw = new Uint8Array(await res.arrayBuffer());
        status = res.status;
        contentType = res.headers.get('Content-Type');
        body = contentType?.startsWith('image/') ? '' : new TextDecoder().decode(raw);
      } catch (err) {
        result.failures.push(`${req.method} ${req.path.slice(0, 100)}: no response (${(err as Error).message})`);
        continue;
      }
      result.requests++;
      result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
      if (status >= 500) result.fiveHundreds++;
      const check = checkResponse(req.method, status, contentType, body);
      // 431/414 with a non-JSON body come from the HTTP server in front of the app, not from the app
      if (!check.ok && (status === 431 || status === 414) && !contentType?.startsWith('application/json')) {
        result.transportRejections++;
      } else if (!check.ok) {
        result.failures.push(`${req.method} ${req.path.slice(0, 100)} [${req.kind}]: ${check.problem}`);
      }
      if (i % 250 === 249) {
        result.canaryChecks++;
        if (!same(await bytes(origin, CANARY_PATH), reference)) result.canaryMismatches++;
      }
      progress.tick(`${server}: ${result.requests}/${count} bad requests, ${result.failures.length} failures`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  result.canaryChecks++;
  if (!same(await bytes(origin, CANARY_PATH), reference)) result.canaryMismatches++;
  result.seconds = (performance.now() - started) / 1000;
  return result;
}
