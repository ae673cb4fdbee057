/**
 * One contract model through training/export/export-model.ts on a tiny hand-weighted decoder
 * (test/export/tiny-models.ts): the staged file and its manifest entry, the float32 parity gate in both
 * runtimes (runtimes.ts), the contract check; and the real check-model (python3-onnx) on a good and a
 * broken file (check-model.ts).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_PIXELS, LATENT_DIM, MODEL_SPECS, NOISE_DIM, NUM_CLASSES, TENSOR } from '../../core/contract';
import { CHECK_MODEL, CHECK_MODEL_INSTALL_HINT, checkModel, checkModelAvailable } from '../../training/export/check-model';
import { convertLayersModel } from '../../training/export/convert';
import {
  assertMatchesContract,
  FLOAT32_TOLERANCE,
  manifestKey,
  PARITY_ROWS,
  PARITY_SEED,
  specTensors,
  stageModelFile,
  verifyFloat32Parity,
} from '../../training/export/export-model';
import { GraphBuilder } from '../../training/export/onnx-graph';
import { createSession, RUNTIMES } from '../../training/export/runtimes';
import { decodeView } from './onnx-view';
import { denseLayer, sequentialModel, tinyConditionalGenerator, tinyDecoder } from './tiny-models';

let dir = '';
beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  dir = await mkdtemp(join(tmpdir(), 'stage-model-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** latent [N, 16] -> image [N, 784], every pixel = sum(latent) * w + b */
function constantDecoderOnnx(w: number, b: number): Uint8Array {
  const g = new GraphBuilder('d', 'float32');
  g.addInput({ name: TENSOR.latent, featureShape: [LATENT_DIM] });
  g.addNode('MatMul', [TENSOR.latent, g.addWeight('w', new Float32Array(LATENT_DIM * IMAGE_PIXELS).fill(w), [LATENT_DIM, IMAGE_PIXELS])], ['xw']);
  g.addNode('Add', ['xw', g.addWeight('b', new Float32Array(IMAGE_PIXELS).fill(b), [IMAGE_PIXELS])], [TENSOR.image]);
  g.addOutput({ name: TENSOR.image, featureShape: [IMAGE_PIXELS] });
  return g.encode({});
}

describe('ONNX runtimes', () => {
  // first in the file: nothing has loaded onnxruntime-web's settings yet
  it('onnxruntime-node runs a session without touching onnxruntime-web; its outputs are Float32Arrays by name', async () => {
    const web = await import('onnxruntime-web/wasm');
    const before = web.env.wasm.numThreads;
    const session = await createSession('onnxruntime-node', constantDecoderOnnx(0.5, 1));
    expect(web.env.wasm.numThreads).toBe(before);
    expect(session.inputNames).toEqual([TENSOR.latent]);
    expect(session.outputNames).toEqual([TENSOR.image]);
    const latent = new Float32Array(2 * LATENT_DIM).fill(1); // sums 16 -> 0.5 * 16 + 1 = 9
    latent.fill(-1, LATENT_DIM); // sums -16 -> -7
    const out = await session.run({ [TENSOR.latent]: { data: latent, dims: [2, LATENT_DIM] } });
    expect(Object.keys(out)).toEqual([TENSOR.image]);
    expect(out[TENSOR.image]).toBeInstanceOf(Float32Array);
    expect(Array.from(out[TENSOR.image])).toEqual([...new Array(IMAGE_PIXELS).fill(9), ...new Array(IMAGE_PIXELS).fill(-7)]);
    await session.release();
    await expect(session.run({ [TENSOR.latent]: { data: latent, dims: [2, LATENT_DIM] } })).rejects.toThrow();
  });

  it('onnxruntime-web runs single-threaded wasm with the same results, and release() ends the session', async () => {
    const session = await createSession('onnxruntime-web', constantDecoderOnnx(0.5, 1));
    expect((await import('onnxruntime-web/wasm')).env.wasm.numThreads).toBe(1);
    const out = await session.run({ [TENSOR.latent]: { data: new Float32Array(LATENT_DIM).fill(2), dims: [1, LATENT_DIM] } });
    expect(Array.from(out[TENSOR.image])).toEqual(new Array(IMAGE_PIXELS).fill(17));
    await session.release();
    await expect(session.run({ [TENSOR.latent]: { data: new Float32Array(LATENT_DIM), dims: [1, LATENT_DIM] } })).rejects.toThrow();
    expect(RUNTIMES).toEqual(['onnxruntime-node', 'onnxruntime-web']);
  });
});

describe('export-model helpers', () => {
  it('manifestKey drops a trailing .onnx only', () => {
    expect(manifestKey('decoder.onnx')).toBe('decoder');
    expect(manifestKey('decoder.f16.onnx')).toBe('decoder.f16');
    expect(manifestKey('onnx.decoder')).toBe('onnx.decoder');
    expect(manifestKey('x.onnx.f16.onnx')).toBe('x.onnx.f16');
    expect(manifestKey('a.onnxb')).toBe('a.onnxb');
    expect(manifestKey('bonnx')).toBe('bonnx');
  });

  it('specTensors: contract names with feature shapes (no batch axis), inputs in order', () => {
    expect(specTensors(MODEL_SPECS['cgan-generator'])).toEqual({
      inputs: [
        { name: 'noise', featureShape: [NOISE_DIM] },
        { name: 'digit_onehot', featureShape: [NUM_CLASSES] },
      ],
      outputs: ['latent'],
    });
  });

  it('assertMatchesContract accepts the contract shapes and names the model, the kind and both shapes otherwise', () => {
    expect(() => assertMatchesContract(tinyDecoder(), MODEL_SPECS.decoder)).not.toThrow();
    expect(() => assertMatchesContract(tinyConditionalGenerator(), MODEL_SPECS['cgan-generator'])).not.toThrow(); // two inputs
    const wideInput = sequentialModel(LATENT_DIM + 1, [denseLayer(LATENT_DIM + 1, IMAGE_PIXELS, () => 0)]);
    expect(() => assertMatchesContract(wideInput, MODEL_SPECS.decoder)).toThrow(
      'tfjs model "decoder" has input feature shapes [17]; core/contract.ts expects [16] (latent)',
    );
    const shortOutput = sequentialModel(LATENT_DIM, [denseLayer(LATENT_DIM, 10, () => 0)]);
    expect(() => assertMatchesContract(shortOutput, MODEL_SPECS.decoder)).toThrow(
      'tfjs model "decoder" has output feature shapes [10]; core/contract.ts expects [784] (image)',
    );
    const oneInput = sequentialModel(NOISE_DIM, [denseLayer(NOISE_DIM, LATENT_DIM, () => 0)]);
    expect(() => assertMatchesContract(oneInput, MODEL_SPECS['cgan-generator'])).toThrow(
      'tfjs model "cgan-generator" has input feature shapes [32]; core/contract.ts expects [32], [10] (noise, digit_onehot)',
    );
  });
});

describe('stageModelFile', () => {
  it('float32: writes <file>.onnx with contract names, metadata and doc string, runs check-model, and describes it', async () => {
    const model = tinyDecoder();
    const spec = MODEL_SPECS.decoder;
    const staged = await stageModelFile(model, spec, 'float32', { outDir: dir, runId: 'run-7' });
    const onDisk = await readFile(join(dir, 'decoder.onnx'));
    expect(staged.path).toBe(join(dir, 'decoder.onnx'));
    expect(Buffer.from(staged.bytes).equals(onDisk)).toBe(true);
    expect(staged.checkModel).toEqual({ status: 'passed' });
    expect(staged.entry).toEqual({
      file: 'decoder.onnx',
      role: spec.role,
      sha256: createHash('sha256').update(onDisk).digest('hex'),
      bytes: onDisk.length,
      inputs: [{ name: 'latent', shape: [-1, 16], dtype: 'float32' }],
      outputs: [{ name: 'image', shape: [-1, 784], dtype: 'float32' }],
      opset: 17,
      ir_version: 8,
      weights: 'float32',
    });
    const view = decodeView(onDisk);
    expect(view.docString).toBe(spec.role);
    expect(Object.fromEntries(view.metadataProps.map((p) => [p.key, p.value]))).toEqual({
      model_id: 'decoder',
      role: spec.role,
      run_id: 'run-7',
      latent_size: '16',
      noise_size: '32',
      weights: 'float32',
      source: 'tfjs-layers 4.22.0',
    });
    expect(view.graph.input.map((t) => t.name)).toEqual(['latent']);
    expect(view.graph.output.map((t) => t.name)).toEqual(['image']);
    expect(view.graph.initializer.every((t) => t.dataType === 1)).toBe(true);
  });

  it('float16: writes <file>.f16.onnx with its large kernel stored as float16', async () => {
    const staged = await stageModelFile(tinyDecoder(), MODEL_SPECS.decoder, 'float16', { outDir: dir, runId: 'r' });
    expect(staged.path).toBe(join(dir, 'decoder.f16.onnx'));
    expect(staged.entry.file).toBe('decoder.f16.onnx');
    expect(staged.entry.weights).toBe('float16');
    const view = decodeView(await readFile(staged.path));
    expect(view.graph.initializer.map((t) => t.dataType).sort()).toEqual([1, 10]); // bias float32, kernel float16
    expect(Object.fromEntries(view.metadataProps.map((p) => [p.key, p.value])).weights).toBe('float16');
  });
});

describe('verifyFloat32Parity', () => {
  it(`passes a faithful export with max |tfjs - ONNX| <= ${FLOAT32_TOLERANCE} in both runtimes, on ${PARITY_ROWS} seeded rows`, async () => {
    expect([FLOAT32_TOLERANCE, PARITY_ROWS, PARITY_SEED]).toEqual([1e-5, 256, 20240917]);
    const model = tinyDecoder();
    const bytes = convertLayersModel(model, { inputNames: ['latent'], outputNames: ['image'], weights: 'float32', metadata: {} });
    const result = await verifyFloat32Parity(model, MODEL_SPECS.decoder, bytes);
    expect(Object.keys(result)).toEqual(['onnxruntime-node', 'onnxruntime-web']);
    for (const d of Object.values(result)) {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(1e-5);
    }
  });

  it('throws naming the file, the runtime and the difference when the ONNX file computes something else', async () => {
    // a linear decoder with all weights 0: tfjs outputs 0; the ONNX file adds 0.001 to every pixel
    const zero = sequentialModel(LATENT_DIM, [denseLayer(LATENT_DIM, IMAGE_PIXELS, () => 0)]);
    await expect(verifyFloat32Parity(zero, MODEL_SPECS.decoder, constantDecoderOnnx(0, 0.001))).rejects.toThrow(
      /^decoder\.onnx disagrees with tfjs in onnxruntime-node: max abs diff 0\.001\d* > 0\.00001 \(\{"image":0\.001\d*\}\)$/,
    );
    // 2e-5 off: just over the tolerance
    await expect(verifyFloat32Parity(zero, MODEL_SPECS.decoder, constantDecoderOnnx(0, 2e-5))).rejects.toThrow(/max abs diff 0\.0000199999\d* > 0\.00001/);
    // a NaN is never within tolerance
    await expect(verifyFloat32Parity(zero, MODEL_SPECS.decoder, constantDecoderOnnx(Number.NaN, 0))).rejects.toThrow(/max abs diff NaN > 0\.00001/);
  });
});

describe('check-model (python3-onnx)', () => {
  it('is installed here, and reports a valid file as passed', async () => {
    expect(CHECK_MODEL).toBe('/usr/bin/check-model');
    expect(await checkModelAvailable()).toBe(true);
    const file = join(dir, 'valid.onnx');
    await writeFile(file, constantDecoderOnnx(1, 0));
    expect(await checkModel(file)).toEqual({ status: 'passed' });
  });

  it('rejects a broken file naming it and quoting the last lines of the checker\'s message on one line', async () => {
    const file = join(dir, 'broken.onnx');
    // a Relu fed by a tensor nothing produces
    const g = new GraphBuilder('broken', 'float32');
    g.addInput({ name: 'x', featureShape: [2] });
    g.addNode('Relu', ['nowhere'], ['y']);
    g.addOutput({ name: 'y', featureShape: [2] });
    await writeFile(file, g.encode({}));
    // the checker's own verdict, run here: a Python traceback on stderr, exit status 1
    const own = await promisify(execFile)('/usr/bin/python3', [CHECK_MODEL, file]).then(
      () => '',
      (e: { stderr: string }) => e.stderr,
    );
    const lastLines = own.trim().split('\n');
    expect(lastLines.length).toBeGreaterThan(3);
    expect(own).toContain("input 'nowhere'");
    await expect(checkModel(file)).rejects.toThrow(new Error(`check-model rejected ${file}: ${lastLines.slice(lastLines.length - 3).join(' | ')}`));
    expect(CHECK_MODEL_INSTALL_HINT).toBe('install it with `apt-get install -y python3-onnx`');
  });
});
