/**
 * edge/inference/model-store.ts in Node with the real onnxruntime-web and the worker's model files: one load
 * per isolate however many requests ask at once, the tensor-name check against core/contract.ts, the retry
 * backoff after a failed load (on a fake clock), the sessions released when a load fails, warm(), and use()
 * running its work through the scheduler. workerd runs the same store in test/worker/*; Stryker sees only these.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHash } from 'node:crypto';
import { EDGE_MODEL_IDS, LOAD_STALL_MS, ModelsUnavailableError, ModelStore, type EdgeModelId, type ModelFile } from '../../edge/inference/model-store';
import { ort } from '../../edge/inference/ort';
import { OverloadedError, Scheduler } from '../../edge/inference/scheduler';
import onnxProto from 'onnx-proto';
import { edgeModelFiles, modelBytes } from './edge-models';

/** A clock the test moves by hand. */
function fakeClock(start = 1_000_000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

/** Bytes no ONNX runtime accepts. */
const garbage = () => new TextEncoder().encode('not an onnx model').buffer as ArrayBuffer;

/** The edge files with one slot's bytes replaced by another model's (or anything). */
function filesWith(slot: EdgeModelId, bytes: ArrayBuffer): Record<EdgeModelId, ModelFile> {
  const files = edgeModelFiles();
  files[slot] = { file: files[slot].file, bytes };
  return files;
}

async function rejection(promise: Promise<unknown>): Promise<ModelsUnavailableError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(ModelsUnavailableError);
    return err as ModelsUnavailableError;
  }
  throw new Error('expected the load to fail');
}

/** Typed as a factory by onnxruntime-common; at run time a class whose sessions share one release(). */
const sessionPrototype = (ort.InferenceSession as unknown as { prototype: { release(): Promise<void> } }).prototype;

const quiet = () => vi.spyOn(console, 'error').mockImplementation(() => {});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ModelsUnavailableError', () => {
  it('is an Error named ModelsUnavailableError; Retry-After defaults to 1 s', () => {
    const err = new ModelsUnavailableError('cannot load x');
    expect(err).toBeInstanceOf(Error);
    expect([err.name, err.message, err.retryAfterSeconds]).toEqual(['ModelsUnavailableError', 'cannot load x', 1]);
    expect(new ModelsUnavailableError('m', 7).retryAfterSeconds).toBe(7);
  });
});

describe('ModelStore.load', () => {
  it('opens every edge model once for concurrent callers, with the contract\'s tensor names, and caches the result', async () => {
    const create = vi.spyOn(ort.InferenceSession, 'create');
    const store = new ModelStore(edgeModelFiles());
    expect(store.failure).toBeNull();
    const [a, b, c] = await Promise.all([store.load(), store.load(), store.load()]);
    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(await store.load()).toBe(a);
    expect(create).toHaveBeenCalledTimes(EDGE_MODEL_IDS.length);
    const names = Object.fromEntries(Object.entries(a.sessions).map(([id, s]) => [id, [s.inputNames, s.outputNames]]));
    expect(names).toEqual({
      generator: [['noise'], ['latent']],
      decoder: [['latent'], ['image']],
      'cgan-generator': [['noise', 'digit_onehot'], ['latent']],
      encoder: [['image'], ['latent']],
      classifier: [['latent'], ['probabilities']],
      recognizer: [['image'], ['probabilities']],
    });
    expect(a.version).toMatch(/^[0-9a-f]{12}$/);
    expect(store.failure).toBeNull();
  });

  it('hands ORT a copy of the bytes: the files stay intact for a retry', async () => {
    const files = edgeModelFiles();
    const before = Buffer.from(files.decoder.bytes.slice(0));
    const create = vi.spyOn(ort.InferenceSession, 'create');
    await new ModelStore(files).load();
    expect(Buffer.from(files.decoder.bytes).equals(before)).toBe(true);
    expect(create).toHaveBeenCalledTimes(EDGE_MODEL_IDS.length);
    for (const [arg] of create.mock.calls) {
      expect(arg).toBeInstanceOf(Uint8Array);
      expect(Object.values(files).some((f) => (arg as Uint8Array).buffer === f.bytes)).toBe(false);
    }
    for (const [, options] of create.mock.calls) expect(options).toMatchObject({ graphOptimizationLevel: 'all' });
  });

  it('a file the runtime rejects: 503-style error naming the file, nothing of the runtime\'s message', async () => {
    const error = quiet();
    const store = new ModelStore(filesWith('generator', garbage()));
    const err = await rejection(store.load());
    expect(err.message).toBe('cannot load generator.f16.onnx: the runtime rejected the file');
    expect(err.retryAfterSeconds).toBe(1);
    expect(store.failure).toBe('cannot load generator.f16.onnx: the runtime rejected the file');
    expect(error).toHaveBeenCalledWith('cannot load generator.f16.onnx:', expect.anything());
    expect(error).toHaveBeenCalledTimes(1); // the runtime's reason, once; not again as an unexpected failure
  });

  it.each([
    ['generator', 'encoder', 'generator.f16.onnx: expected inputs [noise], got [image]'],
    ['generator', 'cgan-generator', 'generator.f16.onnx: expected inputs [noise], got [noise, digit_onehot]'],
    ['decoder', 'classifier', 'decoder.f16.onnx: expected outputs [image], got [probabilities]'],
    ['cgan-generator', 'generator', 'cgan-generator.f16.onnx: expected inputs [noise, digit_onehot], got [noise]'],
  ] as const)('the %s slot holding the %s model is refused: %s', async (slot, other, message) => {
    const store = new ModelStore(filesWith(slot, modelBytes(`${other}.f16.onnx`)));
    expect((await rejection(store.load())).message).toBe(message);
  });

  it('a load that fails releases every session it had opened', async () => {
    const release = vi.spyOn(sessionPrototype, 'release');
    const store = new ModelStore(filesWith('classifier', modelBytes('decoder.f16.onnx')));
    await rejection(store.load());
    expect(release).toHaveBeenCalledTimes(4); // generator, decoder, cgan-generator, encoder opened before it
  });

  it('a set may lack a model: the others open and `models` names what the set has', async () => {
    const { encoder: _, ...files } = edgeModelFiles();
    const loaded = await new ModelStore(files).load();
    expect(loaded.models).toEqual(['generator', 'decoder', 'cgan-generator', 'classifier', 'recognizer']);
    expect(Object.keys(loaded.sessions).sort()).toEqual(['cgan-generator', 'classifier', 'decoder', 'generator', 'recognizer']);
  });

  it('a file that does not match its sha256 fails the load naming the file, before the runtime parses it', async () => {
    const error = quiet();
    const files = edgeModelFiles();
    const sha = (b: ArrayBuffer) => createHash('sha256').update(new Uint8Array(b)).digest('hex');
    for (const f of Object.values(files)) f.sha256 = sha(f.bytes);
    const create = vi.spyOn(ort.InferenceSession, 'create');
    const flipped = new Uint8Array(files.decoder.bytes);
    flipped[flipped.length - 7] ^= 1;
    const err = await rejection(new ModelStore(files).load());
    expect(err.message).toBe('decoder.f16.onnx is corrupt (its sha256 does not match the manifest)');
    expect(create).not.toHaveBeenCalled();
    expect(error).toHaveBeenCalled();
  });

  it('concurrent callers of a load that fails all get its error', async () => {
    quiet();
    const store = new ModelStore(filesWith('generator', garbage()));
    const errors = await Promise.all([rejection(store.load()), rejection(store.load()), rejection(store.load())]);
    expect(errors.map((e) => e.message)).toEqual(Array(3).fill('cannot load generator.f16.onnx: the runtime rejected the file'));
  });

  it('a load that never settles (its request cancelled in workerd) is given up after LOAD_STALL_MS: the next caller loads again', async () => {
    const error = quiet();
    const clock = fakeClock();
    const real = ort.InferenceSession.create.bind(ort.InferenceSession);
    let release: () => void = () => {};
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const create = vi
      .spyOn(ort.InferenceSession, 'create')
      .mockImplementationOnce(async (...args: Parameters<typeof real>) => {
        await stuck; // the first attempt's first session hangs until the test lets it go
        return real(...args);
      });
    const store = new ModelStore(edgeModelFiles(), { now: clock.now });
    const first = store.load();
    let waiterDone = false;
    const waiter = store.load().finally(() => (waiterDone = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(waiterDone).toBe(false); // still waiting on the first attempt
    clock.t += LOAD_STALL_MS - 1;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(waiterDone).toBe(false);
    clock.t += 1; // the first attempt is now LOAD_STALL_MS old
    const models = await waiter;
    expect(Object.keys(models.sessions).sort()).toEqual([...EDGE_MODEL_IDS].sort());
    expect(create).toHaveBeenCalledTimes(1 + EDGE_MODEL_IDS.length);
    expect(error.mock.calls.flat().join(' ')).toContain('gave no answer in 10 s');
    expect(await store.load()).toBe(models);

    // the stalled attempt finishing late keeps the store's models and releases its own sessions
    const releases = vi.spyOn(sessionPrototype, 'release');
    release();
    expect(await first).toBe(models);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(releases).toHaveBeenCalledTimes(EDGE_MODEL_IDS.length);
    expect(await store.load()).toBe(models);
    expect(store.inUse).toBe(false);
  });
});

describe('ModelStore.load after a failure: backoff 1 s, 2, 4, ... 60 s', () => {
  it('refuses at once until the backoff has passed, with the seconds left rounded up, then retries', async () => {
    quiet();
    const clock = fakeClock();
    const create = vi.spyOn(ort.InferenceSession, 'create');
    const store = new ModelStore(filesWith('generator', garbage()), { now: clock.now });
    expect((await rejection(store.load())).retryAfterSeconds).toBe(1);
    expect(create).toHaveBeenCalledTimes(1);
    clock.t += 999; // 1 ms left
    const early = await rejection(store.load());
    expect([early.message, early.retryAfterSeconds]).toEqual(['cannot load generator.f16.onnx: the runtime rejected the file', 1]);
    expect(create).toHaveBeenCalledTimes(1); // no attempt inside the backoff
    clock.t += 1; // exactly at retryAt: tries again
    expect((await rejection(store.load())).retryAfterSeconds).toBe(2);
    expect(create).toHaveBeenCalledTimes(2);
    clock.t += 100; // 1900 ms left -> 2 s
    expect((await rejection(store.load())).retryAfterSeconds).toBe(2);
    clock.t += 1500; // 400 ms left -> 1 s
    expect((await rejection(store.load())).retryAfterSeconds).toBe(1);
    expect(create).toHaveBeenCalledTimes(2);
  });

  it('doubles the delay after each failed attempt up to 60 s', async () => {
    quiet();
    const clock = fakeClock();
    const store = new ModelStore(filesWith('generator', garbage()), { now: clock.now });
    const delays: number[] = [];
    for (let attempt = 0; attempt < 9; attempt++) {
      const err = await rejection(store.load());
      delays.push(err.retryAfterSeconds);
      clock.t += err.retryAfterSeconds * 1000;
    }
    expect(delays).toEqual([1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it('a retry that succeeds clears the failure and the backoff', async () => {
    quiet();
    const clock = fakeClock();
    const files = filesWith('generator', garbage());
    const store = new ModelStore(files, { now: clock.now });
    await rejection(store.load());
    await rejection((clock.t += 1000, store.load())); // second failure: next delay 2 s
    files.generator = { file: 'generator.f16.onnx', bytes: modelBytes('generator.f16.onnx') }; // the fix is deployed
    clock.t += 2000;
    const models = await store.load();
    expect(store.failure).toBeNull();
    expect(Object.keys(models.sessions).sort()).toEqual(['cgan-generator', 'classifier', 'decoder', 'encoder', 'generator', 'recognizer']);
  });

  it('uses Date.now when no clock is given: an immediate second load is refused without an attempt', async () => {
    quiet();
    const create = vi.spyOn(ort.InferenceSession, 'create');
    const store = new ModelStore(filesWith('generator', garbage()));
    await rejection(store.load());
    expect((await rejection(store.load())).retryAfterSeconds).toBe(1);
    expect(create).toHaveBeenCalledTimes(1);
  });
});

describe('ModelStore.warm', () => {
  it('opens the sessions once; the first load() takes them and adds the version', async () => {
    const create = vi.spyOn(ort.InferenceSession, 'create');
    const store = new ModelStore(edgeModelFiles());
    await store.warm();
    await store.warm();
    expect(create).toHaveBeenCalledTimes(EDGE_MODEL_IDS.length);
    const models = await store.load();
    expect(create).toHaveBeenCalledTimes(EDGE_MODEL_IDS.length);
    expect(models.version).toMatch(/^[0-9a-f]{12}$/);
    await store.warm();
    expect(create).toHaveBeenCalledTimes(EDGE_MODEL_IDS.length);
  });

  it('a failed warm() throws nothing, releases what it opened, and leaves the error to load()', async () => {
    quiet();
    const release = vi.spyOn(sessionPrototype, 'release');
    const create = vi.spyOn(ort.InferenceSession, 'create');
    const store = new ModelStore(filesWith('encoder', garbage()));
    await store.warm();
    expect(release).toHaveBeenCalledTimes(3);
    expect(store.failure).toBeNull();
    expect((await rejection(store.load())).message).toBe('cannot load encoder.f16.onnx: the runtime rejected the file');
    expect(create).toHaveBeenCalledTimes(8); // 4 by warm(), 4 again by load()
  });
});

describe('ModelStore.use', () => {
  it('runs work with the loaded models through its scheduler: one job at a time, the overflow refused', async () => {
    const scheduler = new Scheduler({ maxQueuedCost: 10 });
    const store = new ModelStore(edgeModelFiles(), { scheduler });
    expect(store.scheduler).toBe(scheduler);
    const models = await store.load();
    let running = 0;
    let overlapped = false;
    const work = (name: string) => async (m: typeof models) => {
      expect(m).toBe(models);
      if (++running > 1) overlapped = true;
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return name;
    };
    const a = store.use(5, work('a'));
    const b = store.use(5, work('b'));
    await expect(store.use(1, work('c'))).rejects.toBeInstanceOf(OverloadedError);
    expect(await Promise.all([a, b])).toEqual(['a', 'b']);
    expect(overlapped).toBe(false);
  });

  it('passes the request\'s signal: an aborted request\'s work never runs', async () => {
    const store = new ModelStore(edgeModelFiles());
    const controller = new AbortController();
    controller.abort(new Error('client left'));
    const work = vi.fn(async () => 'ran');
    await expect(store.use(1, work, controller.signal)).rejects.toThrow('client left');
    expect(work).not.toHaveBeenCalled();
  });

  it('rejects with the load\'s error when the models cannot load, without running the work', async () => {
    quiet();
    const store = new ModelStore(filesWith('generator', garbage()));
    const work = vi.fn(async () => 'ran');
    await expect(store.use(1, work)).rejects.toThrow('cannot load generator.f16.onnx: the runtime rejected the file');
    expect(work).not.toHaveBeenCalled();
    expect(store.scheduler.load).toEqual({ waiting: 0, running: false, queuedCost: 0 });
  });

  it('has a scheduler of its own with the default bound when none is given', async () => {
    const store = new ModelStore(edgeModelFiles());
    expect(store.scheduler).toBeInstanceOf(Scheduler);
    expect(new ModelStore(edgeModelFiles()).scheduler).not.toBe(store.scheduler);
  });
});

/**
 * A one-MatMul ONNX graph `input` [N, inWidth] -> `output` [N, outWidth] (weights 0), written with onnx-proto:
 * the smallest model that declares a latent width other than the committed set's.
 */
function matMulModel(input: string, inWidth: number, output: string, outWidth: number): ArrayBuffer {
  const { onnx } = onnxProto;
  const valueInfo = (name: string, width: number) =>
    onnx.ValueInfoProto.create({
      name,
      type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: width }] } } },
    });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'width',
      input: [valueInfo(input, inWidth)],
      output: [valueInfo(output, outWidth)],
      initializer: [onnx.TensorProto.create({ name: 'w', dims: [inWidth, outWidth], dataType: onnx.TensorProto.DataType.FLOAT, floatData: new Array(inWidth * outWidth).fill(0) })],
      node: [{ opType: 'MatMul', input: [input, 'w'], output: [output] }],
    },
  });
  const bytes = onnx.ModelProto.encode(model).finish();
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

describe('latent code width per set', () => {
  it("is read from the set's graphs: 16 for the committed set, 32 for one whose decoder and encoder take 32", async () => {
    const committed = new ModelStore(edgeModelFiles());
    expect((await committed.load()).latentDim).toBe(16);
    await committed.release();
    const wide = new ModelStore({
      decoder: { file: 'decoder.f16.onnx', bytes: matMulModel('latent', 32, 'image', 784) },
      encoder: { file: 'encoder.f16.onnx', bytes: matMulModel('image', 784, 'latent', 32) },
    });
    expect((await wide.load()).latentDim).toBe(32);
    await wide.release();
  });

  it('a set whose graphs disagree on the width cannot load, naming the widths', async () => {
    const files = edgeModelFiles();
    files.encoder = { file: 'encoder.f16.onnx', bytes: matMulModel('image', 784, 'latent', 32) };
    expect((await rejection(new ModelStore(files).load())).message).toMatch(/latent code widths disagree \(16, 32, 16/);
  });
});
