/**
 * An R2 read that never answers does not hold the request: the registry gives each read (the object, then
 * its body) a deadline on the request's own timer and answers 503 `models_unavailable` naming the object,
 * with Retry-After. The app runs in Node (test/edge/harness.ts); the bucket is a plain object whose reads of
 * one key never settle (the fault injected), every other key answered from a Map.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../edge/app';
import { BUNDLED_MANIFEST, BUNDLED_MODELS } from '../../edge/bundle';
import type { ModelStore } from '../../edge/inference/model-store';
import { ORIGIN, loadedStore } from './harness';

let store: ModelStore;
beforeAll(async () => {
  ({ store } = await loadedStore());
});

const never = <T>() => new Promise<T>(() => {});

/** Reads of `stalled` never answer (`where`: the get itself, or the body after it); other keys are absent. */
function stallingBucket(stalled: string, where: 'get' | 'body') {
  return {
    get: (key: string) => {
      if (key !== stalled) return Promise.resolve(null);
      if (where === 'get') return never();
      return Promise.resolve({ text: () => never<string>(), arrayBuffer: () => never<ArrayBuffer>() });
    },
    list: () => never<{ delimitedPrefixes: string[] }>(),
  };
}

const READ_TIMEOUT_MS = 200;
const app = () => createApp({ store, files: BUNDLED_MODELS, manifest: BUNDLED_MANIFEST, readTimeoutMs: READ_TIMEOUT_MS });

async function timed(path: string, env: object) {
  const started = performance.now();
  const res = await app().request(ORIGIN + path, undefined, env);
  return { res, ms: performance.now() - started, body: (await res.json()) as { error: { code: string; message: string } } };
}

describe('an R2 read that never answers', () => {
  for (const where of ['get', 'body'] as const) {
    it(`(${where === 'get' ? 'the object' : 'its body'}) is a 503 naming the object after the read deadline, not a hung request`, async () => {
      const { res, ms, body } = await timed('/v1/generate?seed=1', { MODELS: stallingBucket('channels/mnist.json', where) });
      expect(res.status).toBe(503);
      expect(res.headers.get('Retry-After')).toBe('5');
      expect(body.error).toEqual({
        code: 'models_unavailable',
        message: `models are unavailable: the model registry did not answer reading channels/mnist.json within ${READ_TIMEOUT_MS / 1000} s`,
      });
      expect(ms).toBeGreaterThanOrEqual(READ_TIMEOUT_MS - 5);
      expect(ms).toBeLessThan(READ_TIMEOUT_MS + 2_000);
    });
  }

  it('a stalled listing of versions: /v1/models is a 503 too', async () => {
    const { res, body } = await timed('/v1/models', { MODELS: stallingBucket('none', 'get') });
    expect(res.status).toBe(503);
    expect(body.error.message).toBe(`models are unavailable: the model registry did not answer reading the list of sets/mnist/ within ${READ_TIMEOUT_MS / 1000} s`);
  });

  it('a read that answers in time is served as before', async () => {
    // no channel object: the MNIST channel is the embedded set
    const res = await app().request(`${ORIGIN}/v1/generate?seed=1`, undefined, { MODELS: stallingBucket('none', 'get') });
    expect(res.status).toBe(200);
  });
});
