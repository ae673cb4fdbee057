/** What the health stage's clients loop (bench/stages/health-under-load.ts), one request at a time. */
import { hostileCases } from '../../test/robustness/hostile-cases';

/**
 * - generate: the largest generate, distinct seeds so nothing is cached;
 * - hostile: issue 21's hostile uploads to POST /v1/classify, round robin;
 * - light: /health itself, as fast as it is answered: the control, what the runtime does to a light
 *   request under a flood of requests with no model work and no upload at all.
 */
export const LOADS = ['generate', 'hostile', 'light'] as const;
export type HealthLoad = (typeof LOADS)[number];

const HOSTILE = hostileCases();

export async function timed(url: string, init?: RequestInit): Promise<{ ms: number; status: number }> {
  const t = performance.now();
  const res = await fetch(url, init);
  await res.arrayBuffer();
  return { ms: performance.now() - t, status: res.status };
}

/** The i-th request of a load. */
export function heavyRequest(origin: string, load: HealthLoad, i: number): Promise<{ ms: number; status: number }> {
  if (load === 'generate') return timed(`${origin}/v1/generate?seed=${1000 + i}&n=64&scale=8`);
  if (load === 'light') return timed(`${origin}/health`);
  const c = HOSTILE[i % HOSTILE.length];
  return timed(`${origin}/v1/classify`, { method: 'POST', body: c.bytes as BodyInit, headers: { 'Content-Type': c.type } });
}
