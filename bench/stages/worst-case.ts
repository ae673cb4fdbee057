/**
 * Stage 5: the largest request each endpoint allows (n=64 / steps=32, scale=8; and the JSON form), its
 * compute inside each runtime (model work + encoding, via /__bench) and its end-to-end latency and size.
 */
import { median } from '../lib/stats';

export interface WorstRow {
  label: string;
  path: string;
  byServer: Record<string, { latencyMs: number; bytes: number; status: number }>;
}

export const WORST_REQUESTS = [
  { label: 'generate n=64 scale=8 (PNG)', path: '/v1/generate?seed=1&n=64&scale=8' },
  { label: 'generate n=64 (JSON)', path: '/v1/generate?seed=1&n=64&format=json' },
  { label: 'digits n=64 scale=8 (PNG)', path: '/v1/digits/9?seed=1&n=64&scale=8' },
  { label: 'interpolate steps=32 digits 3->8 scale=8 (PNG)', path: '/v1/interpolate?from=1&to=2&steps=32&digit_from=3&digit_to=8&scale=8' },
  { label: 'interpolate steps=32 space=latent (JSON)', path: '/v1/interpolate?from=1&to=2&steps=32&space=latent&format=json' },
];

export async function runWorstCase(servers: { name: string; origin: string }[], repeats: number): Promise<WorstRow[]> {
  const rows: WorstRow[] = [];
  for (const req of WORST_REQUESTS) {
    const byServer: WorstRow['byServer'] = {};
    for (const s of servers) {
      const times: number[] = [];
      let bytes = 0;
      let status = 0;
      for (let i = 0; i < repeats + 1; i++) {
        const t = performance.now();
        const res = await fetch(s.origin + req.path);
        bytes = (await res.arrayBuffer()).byteLength;
        status = res.status;
        if (i > 0) times.push(performance.now() - t); // the first one warms up
      }
      byServer[s.name] = { latencyMs: median(times), bytes, status };
    }
    rows.push({ label: req.label, path: req.path, byServer });
  }
  return rows;
}
