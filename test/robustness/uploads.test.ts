/**
 * Hostile uploads (bench/robustness/hostile-uploads.ts) against the deployed worker entry inside workerd:
 * no 5xx, every 4xx the JSON error shape, and the canary request's bytes unchanged afterwards. Like
 * bad-input.test.ts, requests go to the worker's fetch handler directly.
 */
import { describe, expect, it } from 'vitest';
import { CANARY_PATH, checkResponse } from '../../bench/robustness/bad-requests';
import { hostileUpload } from '../../bench/robustness/hostile-uploads';
import worker from '../../edge/index';

const ORIGIN = 'https://latent-digits.test';
const COUNT = 400;
const SEED = 9;

async function canaryBytes(): Promise<Uint8Array> {
  const res = await worker.fetch(new Request(ORIGIN + CANARY_PATH));
  expect(res.status).toBe(200);
  return new Uint8Array(await res.arrayBuffer());
}

describe('hostile uploads', () => {
  it('the generator is deterministic and covers every kind', () => {
    expect(hostileUpload(SEED, 5)).toEqual(hostileUpload(SEED, 5));
    const kinds = Array.from({ length: COUNT }, (_, i) => hostileUpload(SEED, i).kind).join(' ');
    for (const kind of ['flipped-bytes', 'truncated', 'forged-dimensions', 'inflate-bomb', 'random-bytes', 'forged-jpeg', 'empty', 'garbage-prefix', 'valid', 'multipart', 'json']) {
      expect(kinds, kind).toContain(kind);
    }
  });

  it(`${COUNT} hostile uploads: no 5xx, JSON errors, and the canary's bytes unchanged`, { timeout: 180_000 }, async () => {
    const before = await canaryBytes();
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < COUNT; i++) {
      const up = hostileUpload(SEED, i);
      const res = await worker.fetch(new Request(ORIGIN + up.path, { method: 'POST', headers: up.headers, body: up.body as BodyInit }));
      const text = res.headers.get('Content-Type')?.startsWith('image/') ? '' : await res.text();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const check = checkResponse('POST', res.status, res.headers.get('Content-Type'), text);
      if (!check.ok) failures.push(`#${i} ${up.path} [${up.kind}]: ${check.problem}`);
      if (i % 100 === 99) expect(await canaryBytes(), `after upload ${i}`).toEqual(before);
    }
    expect(failures.slice(0, 10)).toEqual([]);
    for (const status of [200, 400, 415]) expect(statuses.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
  });
});
