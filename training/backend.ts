/**
 * Picks the TensorFlow.js backend: tfjs-node (native) where it installed, else the wasm backend with the
 * MatMul fix below, else the pure-JS cpu backend. Every stage runs the same code on whichever is chosen.
 */
import * as tf from '@tensorflow/tfjs';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface BackendInfo {
  name: BackendName;
  /** why this backend was chosen (and what was unavailable) */
  reason: string;
}

async function tryTfjsNode(): Promise<string | null> {
  try {
    // A module name in a variable keeps bundlers and type-checkers from requiring the optional package.
    const name = '@tensorflow/tfjs-node';
    await import(name);
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

async function tryWasm(): Promise<string | null> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) return 'tf.setBackend("wasm") returned false';
    patchWasmMatMul();
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

export async function selectBackend(choice: BackendChoice = 'auto'): Promise<BackendInfo> {
  const skipped: string[] = [];
  if (choice === 'auto' || choice === 'tensorflow') {
    const failure = await tryTfjsNode();
    if (failure === null && (await tf.setBackend('tensorflow'))) {
      await tf.ready();
      return { name: 'tensorflow', reason: '@tensorflow/tfjs-node is installed' };
    }
    if (choice === 'tensorflow') throw new Error(`backend "tensorflow" requested but @tensorflow/tfjs-node is unavailable: ${failure}`);
    skipped.push(`tfjs-node unavailable (${failure})`);
  }
  if (choice === 'auto' || choice === 'wasm') {
    const failure = await tryWasm();
    if (failure === null) {
      await tf.ready();
      return { name: 'wasm', reason: [...skipped, 'wasm backend with transposed-MatMul fast path'].join('; ') };
    }
    if (choice === 'wasm') throw new Error(`backend "wasm" requested but it failed to start: ${failure}`);
    skipped.push(`wasm unavailable (${failure})`);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', reason: [...skipped, 'pure-JS cpu backend'].join('; ') };
}

let patched = false;

/**
 * tfjs-backend-wasm@4.22 sends MatMul to XNNPACK only when neither operand is transposed; the transposed
 * products of dense-layer backprop fall to a loop about 20x slower. Re-register BatchMatMul and
 * _FusedMatMul so they transpose explicitly (a cheap copy) and then take the fast path.
 */
export function patchWasmMatMul(): void {
  if (patched) return;
  for (const kernelName of ['BatchMatMul', '_FusedMatMul']) {
    const original = tf.getKernel(kernelName, 'wasm');
    if (!original) throw new Error(`wasm backend has no ${kernelName} kernel to patch`);
    const transposeKernel = tf.getKernel('Transpose', 'wasm');
    if (!transposeKernel) throw new Error('wasm backend has no Transpose kernel');
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({
      ...original,
      kernelFunc: ({ inputs, attrs, backend }) => {
        const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
        if (!transposeA && !transposeB) return original.kernelFunc({ inputs, attrs, backend });
        const transposed: tf.TensorInfo[] = [];
        const transpose = (t: tf.TensorInfo): tf.TensorInfo => {
          const rank = t.shape.length;
          const perm = [...Array(rank).keys()];
          [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
          const out = transposeKernel.kernelFunc({ inputs: { x: t }, attrs: { perm }, backend }) as tf.TensorInfo;
          transposed.push(out);
          return out;
        };
        const { a: a0, b: b0 } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        const a = transposeA ? transpose(a0) : a0;
        const b = transposeB ? transpose(b0) : b0;
        const result = original.kernelFunc({
          inputs: { ...inputs, a, b },
          attrs: { ...attrs, transposeA: false, transposeB: false },
          backend,
        });
        for (const t of transposed) (backend as { disposeData(id: object): void }).disposeData(t.dataId);
        return result;
      },
    });
  }
  patched = true;
}
