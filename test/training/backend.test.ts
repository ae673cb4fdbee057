import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../training/backend';

async function tfjsNodeInstalled(): Promise<boolean> {
  const name = '@tensorflow/tfjs-node';
  return import(name).then(
    () => true,
    () => false,
  );
}

describe('TensorFlow.js backend selection', () => {
  it('auto picks tfjs-node where installed, else wasm, and says why', async () => {
    const info = await selectBackend('auto');
    expect(tf.getBackend()).toBe(info.name);
    if (await tfjsNodeInstalled()) {
      expect(info.name).toBe('tensorflow');
    } else {
      expect(info.name).toBe('wasm');
      expect(info.reason).toMatch(/tfjs-node unavailable/);
    }
  });

  it('fails clearly when tfjs-node is requested but absent', async () => {
    if (await tfjsNodeInstalled()) return;
    await expect(selectBackend('tensorflow')).rejects.toThrow(/backend "tensorflow" requested but @tensorflow\/tfjs-node is unavailable/);
  });

  it('the patched wasm MatMul agrees with the cpu backend for every transpose combination', async () => {
    const a = tf.randomNormal([3, 37, 29], 0, 1, 'float32', 1).arraySync() as number[][][];
    const b = tf.randomNormal([3, 29, 41], 0, 1, 'float32', 2).arraySync() as number[][][];
    const results: Record<string, number[][]> = {};
    for (const backend of ['cpu', 'wasm'] as const) {
      await selectBackend(backend);
      const at = tf.tensor3d(a);
      const bt = tf.tensor3d(b);
      const outs: number[][] = [];
      for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]] as const) {
        const x = ta ? at.transpose([0, 2, 1]) : at;
        const y = tb ? bt.transpose([0, 2, 1]) : bt;
        outs.push(Array.from(tf.matMul(x, y, ta, tb).dataSync()));
        // the fused kernel (dense layers): 2-D operands, bias and relu
        const a2 = at.slice([0, 0, 0], [1, 8, -1]).squeeze([0]) as tf.Tensor2D; // [8, 29]
        const b2 = bt.slice([0, 0, 0], [1, -1, -1]).squeeze([0]) as tf.Tensor2D; // [29, 41]
        const bias = tf.linspace(-1, 1, 41);
        outs.push(Array.from(tf.fused.matMul({ a: ta ? a2.transpose() : a2, b: tb ? b2.transpose() : b2, transposeA: ta, transposeB: tb, bias, activation: 'relu' }).dataSync()));
      }
      results[backend] = outs;
    }
    results.cpu.forEach((expected, i) => {
      const actual = results.wasm[i];
      expect(actual.length).toBe(expected.length);
      const maxDiff = Math.max(...expected.map((v, j) => Math.abs(v - actual[j])));
      expect(maxDiff).toBeLessThan(1e-4);
    });
    expect(tf.getBackend()).toBe('wasm');
  });
});
