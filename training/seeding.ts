/**
 * Repeatable runs. tfjs draws weight initialisations and fit()'s shuffles from Math.random, so each stage
 * replaces Math.random with the project's seeded RNG (core/rng.ts) derived from the run seed and the
 * stage name: a stage's result then depends only on the seed, not on which stages ran before it.
 */
import { Rng } from '../core/rng';

function hashString(s: string): number {
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function stageSeed(runSeed: number, stage: string): number {
  return (hashString(stage) ^ Math.imul(runSeed, 0x9e3779b1)) >>> 0;
}

/** Seeds Math.random (and so tfjs) for a stage; returns that stage's own Rng for data draws. */
export function seedStage(runSeed: number, stage: string): Rng {
  const seed = stageSeed(runSeed, stage);
  const mathRng = new Rng((seed ^ 0x5eed) >>> 0);
  Math.random = () => mathRng.uniform();
  return new Rng(seed);
}
