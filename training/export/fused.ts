/**
 * Measures whether serving generator and decoder as one fused ONNX graph beats two sessions in
 * onnxruntime-web. The fused graph is built here only to be timed: it would duplicate the decoder's
 * weights in the worker bundle, so it ships only if the gain is large.
 */
import onnxProto from 'onnx-proto';
import { NOISE_DIM, TENSOR } from '../../core/contract';
import { noiseForSeed } from '../../core/rng';
import { createSession, type OnnxSession, type RuntimeName } from './runtimes';

const { onnx } = onnxProto;

/** generator (noise -> latent) then decoder (latent -> image) as one graph: noise -> image. */
export function fuseGeneratorDecoder(generator: Uint8Array, decoder: Uint8Array): Uint8Array {
  const gen = onnx.ModelProto.decode(generator);
  const dec = onnx.ModelProto.decode(decoder);
  const g = onnx.GraphProto.fromObject(gen.graph ?? {});
  const d = onnx.GraphProto.fromObject(dec.graph ?? {});
  // Prefix the decoder's internal names; its input is the generator's latent output.
  const rename = (name: string) => (name === TENSOR.latent || name === TENSOR.image ? name : `dec/${name}`);
  for (const node of d.node) {
    node.input = (node.input ?? []).map(rename);
    node.output = (node.output ?? []).map(rename);
    if (node.name) node.name = rename(node.name);
  }
  for (const init of d.initializer) init.name = rename(init.name ?? '');
  gen.graph = onnx.GraphProto.create({
    name: 'generator_decoder',
    node: [...g.node, ...d.node],
    initializer: [...g.initializer, ...d.initializer],
    input: g.input,
    output: d.output,
  });
  const fused = gen;
  return onnx.ModelProto.encode(fused).finish();
}

export interface SpeedReport {
  runtime: RuntimeName;
  /** mean ms per request at each batch size */
  separate_ms: Record<string, number>;
  fused_ms: Record<string, number>;
  fused_bytes: number;
}

async function timeIt(iterations: number, fn: () => Promise<unknown>, now: () => number): Promise<number> {
  for (let i = 0; i < Math.min(20, iterations); i++) await fn(); // warm-up
  const start = now();
  for (let i = 0; i < iterations; i++) await fn();
  return (now() - start) / iterations;
}

export async function measureFusedSpeed(
  generator: Uint8Array,
  decoder: Uint8Array,
  // `now` is the clock (ms); a test passes a fake one to check the averaging without timing real runs
  opts: { runtime?: RuntimeName; batchSizes?: number[]; iterations?: number; now?: () => number } = {},
): Promise<SpeedReport> {
  const runtime = opts.runtime ?? 'onnxruntime-web';
  const now = opts.now ?? (() => performance.now());
  const fusedBytes = fuseGeneratorDecoder(generator, decoder);
  const sessions: OnnxSession[] = await Promise.all([generator, decoder, fusedBytes].map((b) => createSession(runtime, b)));
  const [gen, dec, fused] = sessions;
  const report: SpeedReport = { runtime, separate_ms: {}, fused_ms: {}, fused_bytes: fusedBytes.length };
  try {
    for (const n of opts.batchSizes ?? [1, 16]) {
      const noise = { data: noiseForSeed(7, n, NOISE_DIM), dims: [n, NOISE_DIM] };
      const iterations = opts.iterations ?? 300;
      // Alternate the two so drift on a shared machine hits both alike.
      let separate = 0;
      let together = 0;
      for (let round = 0; round < 3; round++) {
        separate += await timeIt(iterations, async () => {
          const { latent } = await gen.run({ [TENSOR.noise]: noise });
          return dec.run({ [TENSOR.latent]: { data: latent, dims: [n, latent.length / n] } });
        }, now);
        together += await timeIt(iterations, () => fused.run({ [TENSOR.noise]: noise }), now);
      }
      report.separate_ms[`n${n}`] = separate / 3;
      report.fused_ms[`n${n}`] = together / 3;
    }
  } finally {
    for (const s of sessions) await s.release();
  }
  return report;
}
