/**
 * Deskewing, the classic MNIST preprocessing (LeCun et al.'s results table lists it for kNN and SVMs):
 * each image is sheared along x so that its ink's x and y no longer covary. With cx, cy the ink's centre
 * and a = cov(x, y) / var(y), output pixel (x, y) reads the input at (x + a (y - cy), y), interpolated
 * linearly along the row. It uses no labels. Written out: a per-image shear of 28 x 28 pixels is a few
 * lines, and the image libraries in the tree work on whole images, not on batches of float rows.
 */
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../core/contract';

/** images [N, 784] in [0, 1] -> deskewed copies [N, 784]; an image without ink (or one row of it) is copied. */
export function deskew(images: Float32Array): Float32Array {
  const size = IMAGE_SIDE;
  const out = new Float32Array(images.length);
  for (let start = 0; start < images.length; start += IMAGE_PIXELS) {
    const image = images.subarray(start, start + IMAGE_PIXELS);
    const a = skew(image, size);
    if (a === null) {
      out.set(image, start);
      continue;
    }
    for (let y = 0; y < size; y++) {
      const shift = a.slope * (y - a.cy);
      for (let x = 0; x < size; x++) {
        const source = x + shift;
        const left = Math.floor(source);
        const t = source - left;
        const at = (c: number) => (c >= 0 && c < size ? image[y * size + c] : 0);
        out[start + y * size + x] = at(left) * (1 - t) + at(left + 1) * t;
      }
    }
  }
  return out;
}

/** cov(x, y) / var(y) of one image's ink and its centre row; null when the ink has no vertical extent. */
export function skew(image: ArrayLike<number>, size = IMAGE_SIDE): { slope: number; cy: number } | null {
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const v = image[y * size + x];
      mass += v;
      mx += v * x;
      my += v * y;
    }
  if (!(mass > 0)) return null;
  mx /= mass;
  my /= mass;
  let cxy = 0;
  let cyy = 0;
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const v = image[y * size + x];
      cxy += v * (x - mx) * (y - my);
      cyy += v * (y - my) ** 2;
    }
  return cyy > 0 ? { slope: cxy / cyy, cy: my } : null;
}
