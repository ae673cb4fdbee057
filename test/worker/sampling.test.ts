/**
 * edge/inference/sampling.ts keeps ORT's output arrays without copying them (onnxruntime-web copies
 * outputs out of its wasm heap). Guard: a result kept from one run is unchanged after later runs that
 * reuse the same sessions and heap, inside workerd with the bundled models.
 */
import { describe, expect, it } from 'vitest';
import { BUNDLED_MODELS } from '../../edge/bundle';
import { ModelStore } from '../../edge/inference/model-store';
import { decodeLatents, generateImages } from '../../edge/inference/sampling';

describe('model outputs are not aliased by later runs', () => {
  it('a kept result survives later runs of every session', async () => {
    const store = new ModelStore(BUNDLED_MODELS);
    const models = await store.load();
    const kept = await generateImages(models, 1, 16);
    const snapshot = Float32Array.from(kept.pixels);
    for (let seed = 2; seed < 10; seed++) await generateImages(models, seed, 64);
    await decodeLatents(models, new Float32Array(16 * 64).fill(3), 64);
    expect(kept.pixels.every((v, i) => Object.is(v, snapshot[i]))).toBe(true);
    // and it is the same as running seed 1 again
    const again = await generateImages(models, 1, 16);
    expect(again.pixels.every((v, i) => Object.is(v, snapshot[i]))).toBe(true);
  });
});
