/**
 * training/export/fused.ts: the fused generator+decoder graph computes decoder(generator(noise)) (checked in
 * onnxruntime-node against values worked out by hand) with the decoder's internal names prefixed, and
 * measureFusedSpeed averages its timings as documented (checked with a fake clock).
 */
import * as ort from 'onnxruntime-node';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { NOISE_DIM, TENSOR } from '../../core/contract';
import { fuseGeneratorDecoder, measureFusedSpeed } from '../../training/export/fused';
import { GraphBuilder } from '../../training/export/onnx-graph';
import { decodeView } from './onnx-view';

const { onnx } = onnxProto;

/** noise [N, 32] -> latent = noise[:, 0:16] + 0.5 */
function tinyGenerator(): Uint8Array {
  const g = new GraphBuilder('gen', 'float32');
  g.addInput({ name: TENSOR.noise, featureShape: [NOISE_DIM] });
  const w = new Float32Array(NOISE_DIM * 16);
  for (let i = 0; i < 16; i++) w[i * 16 + i] = 1;
  g.addNode('MatMul', [TENSOR.noise, g.addWeight('w', w, [NOISE_DIM, 16])], ['xw']);
  g.addNode('Add', ['xw', g.addWeight('b', new Float32Array(16).fill(0.5), [16])], [TENSOR.latent]);
  g.addOutput({ name: TENSOR.latent, featureShape: [16] });
  return g.encode({ model_id: 'generator' });
}

/** latent [N, 16] -> image [N, 2] = [sum(latent), latent[0] + 1]; its internal names collide with the generator's */
function tinyDecoder(): Uint8Array {
  const g = new GraphBuilder('dec', 'float32');
  g.addInput({ name: TENSOR.latent, featureShape: [16] });
  const w = new Float32Array(16 * 2);
  for (let i = 0; i < 16; i++) w[i * 2] = 1;
  w[1] = 1;
  g.addNode('MatMul', [TENSOR.latent, g.addWeight('w', w, [16, 2])], ['xw']);
  g.addNode('Add', ['xw', g.addWeight('b', Float32Array.from([0, 1]), [2])], [TENSOR.image]);
  g.addOutput({ name: TENSOR.image, featureShape: [2] });
  return g.encode({ model_id: 'decoder' });
}

describe('fuseGeneratorDecoder', () => {
  it('noise -> image computes decoder(generator(noise)) in onnxruntime-node', async () => {
    const fused = fuseGeneratorDecoder(tinyGenerator(), tinyDecoder());
    const session = await ort.InferenceSession.create(fused);
    expect(session.inputNames).toEqual([TENSOR.noise]);
    expect(session.outputNames).toEqual([TENSOR.image]);
    const noise = new Float32Array(2 * NOISE_DIM);
    for (let i = 0; i < NOISE_DIM; i++) noise[i] = i; // row 0: 0..31, row 1: zeros
    noise[NOISE_DIM] = -3;
    const out = await session.run({ [TENSOR.noise]: new ort.Tensor('float32', noise, [2, NOISE_DIM]) });
    // row 0: latent = 0.5..15.5 -> [sum = 128, 0.5 + 1]; row 1: latent = [-2.5, 0.5 x 15] -> [5, -1.5]
    expect(Array.from(out[TENSOR.image].data as Float32Array)).toEqual([128, 1.5, 5, -1.5]);
    await session.release();
  });

  it('keeps the generator graph, prefixes the decoder\'s internal names with dec/, and keeps latent and image', () => {
    const model = decodeView(fuseGeneratorDecoder(tinyGenerator(), tinyDecoder()));
    const { graph } = model;
    expect(graph.name).toBe('generator_decoder');
    expect(model.metadataProps.map((p) => [p.key, p.value])).toEqual([['model_id', 'generator']]);
    expect(graph.initializer.map((t) => t.name)).toEqual(['w', 'b', 'dec/w', 'dec/b']);
    expect(graph.node.map((n) => [n.name, n.input, n.output])).toEqual([
      ['xw', [TENSOR.noise, 'w'], ['xw']],
      [TENSOR.latent, ['xw', 'b'], [TENSOR.latent]],
      ['dec/xw', [TENSOR.latent, 'dec/w'], ['dec/xw']],
      [TENSOR.image, ['dec/xw', 'dec/b'], [TENSOR.image]],
    ]);
    expect(graph.input.map((t) => t.name)).toEqual([TENSOR.noise]);
    expect(graph.output.map((t) => t.name)).toEqual([TENSOR.image]);
  });

  it('leaves an unnamed decoder node unnamed', () => {
    const dec = onnx.ModelProto.decode(tinyDecoder());
    (dec.graph as unknown as { node: { name: string }[] }).node[0].name = '';
    const model = decodeView(fuseGeneratorDecoder(tinyGenerator(), onnx.ModelProto.encode(dec).finish()));
    expect(model.graph.node.map((n) => n.name)).toEqual(['xw', TENSOR.latent, '', TENSOR.image]);
  });
});

describe('measureFusedSpeed', () => {
  /** a clock whose k-th reading is k^2 ms: the pair (2m, 2m+1) of readings spans 4m + 1 ms */
  const squaresClock = () => {
    let k = 0;
    return () => k * k++;
  };

  it('reports the mean ms per request over 3 alternating rounds, separate and fused, per batch size', async () => {
    const gen = tinyGenerator();
    const dec = tinyDecoder();
    const report = await measureFusedSpeed(gen, dec, { runtime: 'onnxruntime-node', batchSizes: [1, 3], iterations: 4, now: squaresClock() });
    // readings in order: n1 separate (0,1) fused (2,3) separate (4,5) ... then n3 from reading 12
    // n1 separate spans 1 + 9 + 17 = 27 ms over 4 iterations, 3 rounds: 2.25; fused 5 + 13 + 21 = 39: 3.25
    // n3 separate 25 + 33 + 41 = 99: 8.25; fused 29 + 37 + 45 = 111: 9.25
    expect(report).toEqual({
      runtime: 'onnxruntime-node',
      separate_ms: { n1: 2.25, n3: 8.25 },
      fused_ms: { n1: 3.25, n3: 9.25 },
      fused_bytes: fuseGeneratorDecoder(gen, dec).length,
    });
  });

  it('times 300 requests per round unless told otherwise', async () => {
    const report = await measureFusedSpeed(tinyGenerator(), tinyDecoder(), { runtime: 'onnxruntime-node', batchSizes: [2], now: squaresClock() });
    expect(report.separate_ms).toEqual({ n2: 27 / 300 / 3 });
    expect(report.fused_ms).toEqual({ n2: 39 / 300 / 3 });
  });

  it('defaults to onnxruntime-web, batch sizes 1 and 16, and the real clock', async () => {
    const report = await measureFusedSpeed(tinyGenerator(), tinyDecoder(), { iterations: 1 });
    expect(report.runtime).toBe('onnxruntime-web');
    expect(Object.keys(report.separate_ms)).toEqual(['n1', 'n16']);
    expect(Object.keys(report.fused_ms)).toEqual(['n1', 'n16']);
    for (const ms of [...Object.values(report.separate_ms), ...Object.values(report.fused_ms)]) {
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThan(5_000);
    }
  });
});
