/**
 * The model registry under `wrangler dev` with its local R2, driven the way an operator drives it: a second
 * MNIST version is published with `npm run publish-models`, promoted with `npm run promote`, and the channel
 * rolled back with `npm run rollback`. Throughout, a pinned URL of the first version returns the same bytes
 * (byte for byte: before the promote, after it, after the rollback) and unpinned URLs follow the channel.
 * Then the faults: a corrupt object (bytes not matching the manifest's sha256) and a missing one make only
 * their version 503 while the others keep serving; a deleted version is 410 (also while it is still open in
 * the isolate); an unknown version 404, an unknown dataset 404 listing the datasets.
 *
 * The second version is real and different: the committed MNIST set with the float32-weight generator and
 * decoder served in place of their float16 variants (other bytes, other pixels), published from a temporary
 * directory with its own manifest entries.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { REGISTRY } from '../../core/manifest';
import { openBucket } from '../../training/registry-bucket';
import { deleteVersion, publishSet } from '../../training/registry-ops';
import { variantSet } from '../training/registry-sets';

const ROOT = resolve(import.meta.dirname, '../..');
const url = inject('workerUrl');
const persistTo = inject('persistTo');
const run = promisify(execFile);

/** A step that must finish within `ms`: a hang fails naming the step and how long it ran, not the whole test's timeout. */
async function within<T>(label: string, ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const started = performance.now();
  const signal = AbortSignal.timeout(ms);
  try {
    return await work(signal);
  } catch (err) {
    const took = ((performance.now() - started) / 1000).toFixed(1);
    throw new Error(`${label}: failed after ${took} s${signal.aborted ? ` (limit ${ms / 1000} s)` : ''}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** A CLI run as the operator runs it; killed (and the test failed with its output so far) after 60 s. */
async function cli(script: string, ...args: string[]): Promise<string> {
  const argv = ['--import', 'tsx', resolve(ROOT, script), ...args, '--persist-to', persistTo];
  return within(`${script} ${args.join(' ')}`, 60_000, async (signal) => {
    try {
      return (await run(process.execPath, argv, { cwd: ROOT, signal })).stdout;
    } catch (err) {
      const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
      throw new Error(`stdout:\n${stdout}\nstderr:\n${stderr}`, { cause: err });
    }
  });
}
const npmPublish = (...args: string[]) => cli('training/publish-cli.ts', ...args);
const npmRegistry = (...args: string[]) => cli('training/registry-cli.ts', ...args);

/**
 * GET `path`, retried once if the worker says the registry did not answer (its 503 after a stalled R2 read,
 * edge/registry/ DEFAULT_READ_TIMEOUT_MS). Seen here twice in about 28 runs (and once in CI) before that deadline existed:
 * a request to `wrangler dev` never answered right after another process (the CLIs, or this file's own
 * `openBucket`) had written or deleted objects in the same --persist-to state, inside the registry's R2 reads
 * as far as it was traced (root cause not found: two `getPlatformProxy` instances over one directory did not
 * stall in 200 rounds). A request that gets no answer at all within 30 s is retried once too. The retry is
 * printed, and a second stall fails the test.
 */
async function getServed(path: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  for (let attempt = 1; ; attempt++) {
    let answer: { status: number; headers: Headers; body: Buffer };
    try {
      answer = await within(`GET ${path}`, 30_000, async (signal) => {
        const res = await fetch(url + path, { signal });
        return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
      });
    } catch (err) {
      // the same stall outside the registry's guarded reads: fresh-clone CI once saw a pinned GET right after
      // a publish get no answer at all in 30 s (2026-12-02); a second one fails the test
      if (attempt === 2 || !(err instanceof Error && (err.cause as Error | undefined)?.name === 'TimeoutError')) throw err;
      console.log(`[registry] GET ${path}: no answer in 30 s (wrangler dev stalled); retrying once`);
      continue;
    }
    const stalled = answer.status === 503 && answer.body.toString().includes('did not answer reading');
    if (!stalled || attempt === 2) return answer;
    console.log(`[registry] GET ${path}: ${answer.body.toString()} (local R2 stalled); retrying once`);
  }
}

async function bytesOf(path: string): Promise<{ status: number; version: string | null; dataset: string | null; body: Buffer }> {
  const { status, headers, body } = await getServed(path);
  return { status, version: headers.get('X-Model-Version'), dataset: headers.get('X-Dataset'), body };
}

const jsonOf = async (path: string) => JSON.parse((await getServed(path)).body.toString()) as unknown;

const versionIn = (stdout: string) => /version ([0-9a-f]{12})/.exec(stdout)?.[1] ?? null;

describe('versions, channels and pins', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'registry-set-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a pinned URL of the first version keeps its bytes through publish, promote and rollback; unpinned URLs follow the channel', async () => {
    const models = (await jsonOf('/v1/models')) as { datasets: Array<{ id: string; channel: string; versions: { version: string }[] }> };
    const v1 = models.datasets.find((d) => d.id === 'mnist')!.channel;
    expect(v1).toMatch(/^[0-9a-f]{12}$/);
    const paths = ['/v1/generate?seed=7&n=16', '/v1/digits/4?seed=3&n=8', '/v1/interpolate?from=1&to=2&steps=6&format=json'];
    const pinned = (v: string) => paths.map((p) => `${p}&v=${v}`);

    const first = await Promise.all(pinned(v1).map(bytesOf));
    for (const r of first) expect([r.status, r.version, r.dataset]).toEqual([200, v1, 'mnist']);
    const unpinnedBefore = await Promise.all(paths.map(bytesOf));
    unpinnedBefore.forEach((r, i) => expect(r.body.equals(first[i].body), paths[i]).toBe(true));

    await within('writing the variant set', 30_000, () => variantSet(dir, ['generator', 'decoder'], 'float32-variant-for-registry-test'));
    const out = await npmPublish(dir);
    const v2 = versionIn(out);
    expect(v2, out).toMatch(/^[0-9a-f]{12}$/);
    expect(v2).not.toBe(v1);

    // published, not promoted: pinnable, but unpinned requests still get v1
    const second = await Promise.all(pinned(v2!).map(bytesOf));
    for (const r of second) expect([r.status, r.version]).toEqual([200, v2]);
    second.forEach((r, i) => expect(r.body.equals(first[i].body), `${paths[i]}: v2 must be other bytes`).toBe(false));
    const stillV1 = await Promise.all(paths.map(bytesOf));
    stillV1.forEach((r, i) => expect([r.version, r.body.equals(first[i].body)]).toEqual([v1, true]));

    await npmRegistry('promote', 'mnist', v2!);
    const afterPromote = await Promise.all(paths.map(bytesOf));
    afterPromote.forEach((r, i) => expect([r.version, r.body.equals(second[i].body)], paths[i]).toEqual([v2, true]));
    const pinnedAfterPromote = await Promise.all(pinned(v1).map(bytesOf));
    pinnedAfterPromote.forEach((r, i) => expect([r.status, r.version, r.body.equals(first[i].body)]).toEqual([200, v1, true]));

    await npmRegistry('rollback', 'mnist');
    const afterRollback = await Promise.all(paths.map(bytesOf));
    afterRollback.forEach((r, i) => expect([r.version, r.body.equals(first[i].body)], paths[i]).toEqual([v1, true]));
    const pinnedAfterRollback = await Promise.all(pinned(v1).map(bytesOf));
    pinnedAfterRollback.forEach((r, i) => expect([r.status, r.body.equals(first[i].body)]).toEqual([200, true]));
    const v2AfterRollback = await Promise.all(pinned(v2!).map(bytesOf));
    v2AfterRollback.forEach((r, i) => expect([r.status, r.body.equals(second[i].body)]).toEqual([200, true]));

    // the history lists all of it, in order
    const listed = (await jsonOf('/v1/models')) as {
      datasets: Array<{ id: string; channel: string; versions: { version: string }[]; history: { action: string; version: string }[] }>;
    };
    const mnist = listed.datasets.find((d) => d.id === 'mnist')!;
    expect(mnist.channel).toBe(v1);
    expect(mnist.versions.map((v) => v.version).sort()).toEqual([v1, v2].sort());
    expect(mnist.history.slice(-3).map((h) => `${h.action} ${h.version}`)).toEqual([`publish ${v2}`, `promote ${v2}`, `rollback ${v1}`]);
  });
});

describe('faults stay with their version', () => {
  let dirs: string[] = [];
  let opened: Awaited<ReturnType<typeof openBucket>>;
  beforeAll(async () => {
    opened = await openBucket({ persistTo });
  });
  afterAll(async () => {
    await opened?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const publishVariant = async (swap: string[], runId: string) => {
    const dir = await mkdtemp(join(tmpdir(), 'registry-fault-'));
    dirs.push(dir);
    const manifest = await variantSet(dir, swap, runId);
    const { version } = await publishSet({ bucket: opened.bucket, dir });
    return { version, manifest };
  };

  it('a corrupt object is 503 models_unavailable for its version only; a missing one too', async () => {
    const corrupt = await publishVariant(['cgan-generator'], 'corrupt-object-test');
    const missing = await publishVariant(['classifier', 'decoder'], 'missing-object-test');
    const decoder = corrupt.manifest.models['decoder.f16'];
    const bytes = new Uint8Array(await readFile(join(ROOT, 'models', decoder.file)));
    bytes[bytes.length - 100] ^= 0x40; // one bit: same size, other sha256
    await opened.bucket.put(REGISTRY.fileKey('mnist', corrupt.version, decoder.file), bytes);
    await opened.bucket.delete(REGISTRY.fileKey('mnist', missing.version, missing.manifest.models['decoder.f16'].file));

    const bad = await getServed(`/v1/digits/1?seed=1&v=${corrupt.version}`);
    expect(bad.status).toBe(503);
    expect((JSON.parse(bad.body.toString()) as { error: { code: string; message: string } }).error).toEqual({
      code: 'models_unavailable',
      message: 'models are unavailable: decoder.f16.onnx is corrupt (its sha256 does not match the manifest)',
    });
    const gone = await getServed(`/v1/digits/1?seed=1&v=${missing.version}`);
    expect(gone.status).toBe(503);
    expect((JSON.parse(gone.body.toString()) as { error: { message: string } }).error.message).toContain(`decoder.f16.onnx of mnist version ${missing.version} is missing`);
    // every other version keeps serving
    expect((await getServed('/v1/digits/1?seed=1')).status).toBe(200);
    const health = (await jsonOf('/health')) as { status: string };
    expect(health.status).toBe('ok');
  });

  it('a deleted version is 410, an unknown one 404 naming the served version, a malformed one 400', async () => {
    const doomed = await publishVariant(['generator'], 'deleted-version-test');
    expect((await getServed(`/v1/generate?seed=1&v=${doomed.version}`)).status).toBe(200);
    await deleteVersion(opened.bucket, 'mnist', doomed.version); // as `npm run registry -- delete` does
    expect(await opened.bucket.get(REGISTRY.manifestKey('mnist', doomed.version))).toBeNull();
    const deleted = await getServed(`/v1/generate?seed=2&v=${doomed.version}`);
    expect(deleted.status).toBe(410);
    expect((JSON.parse(deleted.body.toString()) as { error: { code: string } }).error.code).toBe('version_deleted');
    const unknown = await getServed('/v1/generate?seed=2&v=0123456789ab');
    expect(unknown.status).toBe(404);
    expect((JSON.parse(unknown.body.toString()) as { error: { code: string; message: string } }).error.message).toMatch(/^v=0123456789ab is not a version of mnist; the served version is [0-9a-f]{12}/);
    expect((await getServed('/v1/generate?seed=2&v=xyz')).status).toBe(400);
    const dataset = await getServed('/v1/generate?seed=2&dataset=cifar');
    expect(dataset.status).toBe(404);
    expect(JSON.parse(dataset.body.toString())).toEqual({
      error: { code: 'unknown_dataset', parameter: 'dataset', message: 'dataset "cifar" is not served; datasets: mnist, fashion-mnist' },
    });
  });
});
