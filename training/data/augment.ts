/**
 * Random distortions of normalised 28x28 digits (white ink on black, [count, 784]) for the recognizer:
 * what separates a person's digit, or a printed one, from MNIST's after the worker's normalisation
 * (edge/encoding/normalise.ts) has fitted it to 20 px and centred its mass. A random stroke-width change
 * (greyscale dilation or erosion with a 3x3 cross, blended in part) and a random affine warp about the
 * centre of mass (14, 14): rotation, scale, aspect, shear, translation, sampled bilinearly.
 *
 * Hand-written: tfjs has no image warp for arbitrary per-image affines on the wasm backend
 * (tf.image.transform is a cpu/webgl kernel), and a 784-pixel loop in JS costs ~1 s per 60k images.
 */
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../core/contract';
import type { Rng } from '../../core/rng';

export interface AugmentOptions {
  /** max rotation either way, degrees */
  rotationDegrees: number;
  /** isotropic scale drawn from [min, max] */
  scale: [number, number];
  /** max relative change of width against height (0.1 = up to 10% wider or narrower) */
  aspect: number;
  /** max horizontal shear (x += shear * y) either way */
  shear: number;
  /** max shift either way, pixels */
  translate: number;
  /** probability of thickening the strokes, and separately of thinning them */
  strokeChange: number;
}

const CENTRE = 14;
const side = IMAGE_SIDE;

/** 3x3-cross greyscale dilation (max) or erosion (min) of one image; outside the field is background. */
function morph(src: Float32Array, dst: Float32Array, dilate: boolean): void {
  const pick = dilate ? Math.max : Math.min;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = y * side + x;
      const up = y > 0 ? src[i - side] : 0;
      const down = y < side - 1 ? src[i + side] : 0;
      const left = x > 0 ? src[i - 1] : 0;
      const right = x < side - 1 ? src[i + 1] : 0;
      dst[i] = pick(src[i], up, down, left, right);
    }
  }
}

/** Bilinear sample of `src` at (x, y), 0 outside. */
function sample(src: Float32Array, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= side || yy >= side ? 0 : src[yy * side + xx]);
  return (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
}

/** One random distortion of `src` into `dst` (both [784]); `tmp` is scratch of the same size. */
export function augmentOne(src: Float32Array, dst: Float32Array, tmp: Float32Array, rng: Rng, o: AugmentOptions): void {
  let image = src;
  const stroke = rng.uniform();
  if (stroke < 2 * o.strokeChange) {
    morph(src, tmp, stroke < o.strokeChange);
    // a part-way change too: a 1-px step is a large one at 20 px per digit
    const w = 0.5 + 0.5 * rng.uniform();
    let peak = 0;
    for (let i = 0; i < IMAGE_PIXELS; i++) {
      tmp[i] = src[i] + w * (tmp[i] - src[i]);
      peak = Math.max(peak, tmp[i]);
    }
    // the worker stretches the strongest ink to 1 (normalise.ts, levels); thinning must not leave it fainter
    if (peak > 0) for (let i = 0; i < IMAGE_PIXELS; i++) tmp[i] /= peak;
    image = tmp;
  }
  const between = (lo: number, hi: number) => lo + (hi - lo) * rng.uniform();
  const angle = (between(-1, 1) * o.rotationDegrees * Math.PI) / 180;
  const s = between(o.scale[0], o.scale[1]);
  const a = 1 + between(-o.aspect, o.aspect);
  const sx = s * a;
  const sy = s / a;
  const k = between(-o.shear, o.shear);
  const tx = between(-o.translate, o.translate);
  const ty = between(-o.translate, o.translate);
  // forward map M = R * Shear * Scale: [[cos, -sin], [sin, cos]] * [[1, k], [0, 1]] * diag(sx, sy)
  const c = Math.cos(angle);
  const n = Math.sin(angle);
  const m00 = c * sx;
  const m01 = (c * k - n) * sy;
  const m10 = n * sx;
  const m11 = (n * k + c) * sy;
  const det = m00 * m11 - m01 * m10;
  // inverse map: each output pixel reads the source point it came from
  const i00 = m11 / det;
  const i01 = -m01 / det;
  const i10 = -m10 / det;
  const i11 = m00 / det;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const u = x - CENTRE - tx;
      const v = y - CENTRE - ty;
      dst[y * side + x] = sample(image, i00 * u + i01 * v + CENTRE, i10 * u + i11 * v + CENTRE);
    }
  }
}

/** Random distortions of rows `rows` of `images` ([count, 784]) -> [rows.length, 784]. */
export function augmentRows(images: Float32Array, rows: ArrayLike<number>, rng: Rng, options: AugmentOptions): Float32Array {
  const out = new Float32Array(rows.length * IMAGE_PIXELS);
  const tmp = new Float32Array(IMAGE_PIXELS);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    augmentOne(images.subarray(r * IMAGE_PIXELS, (r + 1) * IMAGE_PIXELS), out.subarray(i * IMAGE_PIXELS, (i + 1) * IMAGE_PIXELS), tmp, rng, options);
  }
  return out;
}
