/**
 * Publishing into the registry (training/registry-ops.ts) against wrangler's real local R2 (a fresh
 * --persist-to directory), with real crashes and real concurrency:
 * - a publish SIGKILLed after the last file before the manifest, and after the manifest before the history record, leaves the earlier versions and the channel intact and no visible
 *   partial version: without its manifest the version is not there, and promoting it is refused with the reason;
 *   publishing again completes it (the dead publisher's lock is taken over);
 * - two publishes at once are serialised by the lock: both versions complete, both recorded in the history;
 * - promote refuses a version that misses the quality gate unless forced, and records the force;
 * - rollback returns the channel to the version before, and says when there is none.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REGISTRY, setVersion, servedHashes } from '../../core/manifest';
import { openBucket, type OpenedBucket } from '../../training/registry-bucket';
import { EDGE_IDS, promote, publishSet, readChannel, rollback, withLock, type WritableBucket } from '../../training/registry-ops';
import { variantSet } from './registry-sets';

const ROOT = resolve(import.meta.dirname, '../..');
const MODELS = join(ROOT, 'models');
let root: string;
let persistTo: string;
let opened: OpenedBucket;
let v1: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'registry-publish-'));
  persistTo = join(root, 'state');
  opened = await openBucket({ persistTo });
  ({ version: v1 } = await publishSet({ bucket: opened.bucket, dir: MODELS }));
  await promote(opened.bucket, 'mnist', v1);
}, 180_000);
afterAll(async () => {
  await opened?.close();
  await rm(root, { recursive: true, force: true });
});

/**
 * The child runs in a process group of its own: SIGKILLed, it cannot stop the workerd that wrangler's proxy
 * started for it, so the test ends the whole group once the child is gone.
 */
async function publishChild(dir: string, dieAt: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/training/fixtures/registry-publish-then-die.ts', dir, persistTo, String(dieAt)], {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const closed = new Promise<void>((done) => child.once('close', () => done()));
  const signal = await new Promise<NodeJS.Signals | null>((done) => child.once('exit', (_code, sig) => done(sig)));
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // the group is already empty
  }
  await closed; // every byte it printed has been read (a surviving workerd held the pipes until now)
  return { signal, stdout, stderr };
}

async function newSet(name: string, swap: string[]) {
  const dir = join(root, name);
  await (await import('node:fs/promises')).mkdir(dir);
  const manifest = await variantSet(dir, swap, name);
  return { dir, manifest, version: await setVersion(servedHashes(manifest, EDGE_IDS)) };
}

describe('a publish killed at any point', () => {
  it('leaves the old versions and the channel intact, and no visible partial version; re-publishing completes it', async () => {
    const set = await newSet('killed', ['generator', 'decoder']);
    // 6 uploads, the manifest, the history record
    // (killed after an earlier upload is the same state as after the last file: files without a manifest)
    for (const [dieAt, step] of [[6, 'upload recognizer.f16.onnx'], [7, 'upload manifest.json']] as const) {
      const child = await publishChild(set.dir, dieAt);
      expect(child.signal, `child killed at ${step}`).toBe('SIGKILL');
      expect(child.stdout.trim().split('\n').at(-1)).toBe(`step ${dieAt}: ${step}`);
      const channel = await readChannel(opened.bucket, 'mnist');
      expect(channel.current).toBe(v1);
      expect(await opened.bucket.get(REGISTRY.manifestKey('mnist', v1))).not.toBeNull();
      const visible = (await opened.bucket.get(REGISTRY.manifestKey('mnist', set.version))) !== null;
      expect(visible, `after ${step}`).toBe(dieAt === 7); // complete only once its manifest is up
      if (!visible) {
        await expect(promote(opened.bucket, 'mnist', set.version)).rejects.toThrow(
          `not promoting: mnist version ${set.version} is not in the registry or not fully uploaded (its manifest.json, uploaded last, is missing)`,
        );
        expect(channel.history.some((h) => h.version === set.version)).toBe(false);
      }
    }
    const done = await publishChild(set.dir, 0);
    expect(done.stdout).toContain(`published ${set.version}`);
  }, 400_000);
});

describe('concurrent publishes', () => {
  it('are serialised by the lock: both versions complete and both recorded', async () => {
    const a = await newSet('concurrent-a', ['cgan-generator']);
    const b = await newSet('concurrent-b', ['encoder']);
    const [ra, rb] = await Promise.all([publishChild(a.dir, 0), publishChild(b.dir, 0)]);
    expect(ra.stdout, String(ra.stderr)).toContain(`published ${a.version}`);
    expect(rb.stdout, String(rb.stderr)).toContain(`published ${b.version}`);
    const history = (await readChannel(opened.bucket, 'mnist')).history.filter((h) => h.action === 'publish').map((h) => h.version);
    expect(history).toContain(a.version);
    expect(history).toContain(b.version);
    expect(await opened.bucket.get(REGISTRY.lockKey('mnist'))).toBeNull();
  }, 300_000);
});

describe('the lock under transient R2 errors', () => {
  // the local R2 underneath; only the errors are injected: the lock's first puts throw, before or after landing
  const failing = (failures: number, landFirst: boolean): WritableBucket => {
    let left = failures;
    const real = opened.bucket;
    return {
      get: (key) => real.get(key),
      head: (key) => real.head(key),
      delete: (key) => real.delete(key),
      put: async (key, value, options) => {
        if (key === REGISTRY.lockKey('mnist') && left > 0) {
          left -= 1;
          if (landFirst) await real.put(key, value, options);
          throw new Error('put: Unspecified error (0)');
        }
        return real.put(key, value, options);
      },
    };
  };
  for (const landFirst of [false, true]) {
    it(`retries the lock's put (${landFirst ? 'a put that landed, then failed, is taken as held' : 'failed puts'}), runs the work once and releases the lock`, async () => {
      let runs = 0;
      const started = Date.now();
      await withLock(failing(2, landFirst), 'mnist', 'test', async () => void (runs += 1), 5_000);
      expect(runs).toBe(1);
      expect(Date.now() - started).toBeLessThan(4_000); // not the wait for another holder
      expect(await opened.bucket.get(REGISTRY.lockKey('mnist'))).toBeNull();
    });
  }
  it('gives up after 5 failures in a row, with the error', async () => {
    await expect(withLock(failing(6, false), 'mnist', 'test', async () => undefined, 10_000)).rejects.toThrow('put: Unspecified error (0)');
    expect(await opened.bucket.get(REGISTRY.lockKey('mnist'))).toBeNull();
  });
});

describe('promote and rollback', () => {
  it('a version missing a floor is published but promoted only with --force, which the history records', async () => {
    const set = await newSet('below-floor', ['classifier']);
    set.manifest.metrics = { ...set.manifest.metrics, cgan: { ...(set.manifest.metrics.cgan as object), evaluator_accuracy: 0.5 } };
    const published = await publishSet({ bucket: opened.bucket, dir: set.dir, manifest: set.manifest });
    expect(published.gate.passed).toBe(false);
    await expect(promote(opened.bucket, 'mnist', published.version)).rejects.toThrow(
      /^not promoting mnist version [0-9a-f]{12}: it misses 1 quality floor\(s\) of core\/quality-floors.ts:\n {2}- metrics.cgan.evaluator_accuracy = 0.5 misses the floor >= 0.98 by 0.48/,
    );
    expect((await readChannel(opened.bucket, 'mnist')).current).toBe(v1);
    const forced = await promote(opened.bucket, 'mnist', published.version, { force: true });
    expect(forced.current).toBe(published.version);
    expect(forced.history.at(-1)).toMatchObject({ action: 'promote', version: published.version, forced: true });
    const back = await rollback(opened.bucket, 'mnist');
    expect(back.current).toBe(v1);
    expect(back.history.at(-1)).toMatchObject({ action: 'rollback', version: v1, note: `from ${published.version}` });
  }, 120_000);

  it('rollback with nothing earlier is refused, naming the history', async () => {
    await expect(rollback(opened.bucket, 'fashion-mnist')).rejects.toThrow('cannot roll back fashion-mnist: its channel has no earlier version (history: empty)');
  });
});
