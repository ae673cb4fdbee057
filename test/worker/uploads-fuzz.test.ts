/**
 * A subset of the structure-aware upload fuzzer (test/robustness/upload-mutations.ts, the same seed and
 * mutants as test/edge/upload-fuzz.test.ts) through the worker itself inside workerd: its mozjpeg, its
 * fflate, its routes. Each mutant answers a JSON 200 or 4xx on POST /v1/classify, never a 500 or a
 * non-JSON body. (CPU and memory per mutant are measured in Node, where they can be read: workerd's clock
 * does not advance while a request computes.)
 */
import { describe, expect, it } from 'vitest';
import { seedJpegs, seedPngs } from '../robustness/fuzz-seeds';
import { mutant } from '../robustness/upload-mutations';
import { get } from './worker';

const SEED = 21;
const COUNT = 80;

describe('structure-aware upload fuzzing inside workerd', () => {
  it(`the first ${COUNT} mutants of seed ${SEED}: a JSON 200 or 4xx each, and the worker still answers after them`, { timeout: 120_000 }, async () => {
    const pngs = seedPngs();
    const jpegs = seedJpegs();
    const problems: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < COUNT; i++) {
      const m = mutant(SEED, i, pngs, jpegs);
      const label = `#${i} ${m.type} [${m.ops.join(', ')}] (${m.bytes.length} bytes)`;
      const res = await get('/v1/classify', { method: 'POST', body: m.bytes as BodyInit, headers: { 'Content-Type': m.type } });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const type = res.headers.get('Content-Type') ?? '';
      const text = await res.text();
      if (![200, 400, 413, 415].includes(res.status)) problems.push(`${label}: status ${res.status}: ${text.slice(0, 200)}`);
      else if (!type.startsWith('application/json')) problems.push(`${label}: Content-Type ${type}`);
      else {
        const body = JSON.parse(text) as { digit?: number; error?: { code: string; message: string } };
        if (res.status === 200 ? typeof body.digit !== 'number' : !body.error?.code || !body.error.message) problems.push(`${label}: body ${text.slice(0, 200)}`);
      }
    }
    expect(problems).toEqual([]);
    // both outcomes occur, or the subset tests nothing
    expect(statuses.get(200) ?? 0, JSON.stringify([...statuses])).toBeGreaterThan(0);
    expect(COUNT - (statuses.get(200) ?? 0), JSON.stringify([...statuses])).toBeGreaterThan(0);
    expect((await get('/health')).status).toBe(200);
  });
});
