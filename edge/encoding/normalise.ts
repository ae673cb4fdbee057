/**
 * Any picture of one digit -> a 28x28 image the way MNIST was made (LeCun et al.: "size normalized to
 * fit in a 20x20 pixel box while preserving their aspect ratio ... centered in a 28x28 image by computing
 * the center of mass of the pixels"), so the encoder sees what it was trained on:
 *
 * 1. grey: luminance 0.299 R + 0.587 G + 0.114 B (Rec. 601, as JPEG and PIL's "L" mode), in [0, 1];
 * 2. alpha: transparent pixels show a backdrop that contrasts with the ink. The ink colour is the
 *    alpha-weighted mean grey of the picture: dark ink (a pen stroke on a transparent canvas) goes over
 *    white, light ink (white chalk on a transparent canvas) over black. Compositing over one fixed colour
 *    would make one of the two invisible;
 * 3. invert when the background is light: the background is the median of the 1-pixel border; MNIST is
 *    white ink on black, so a median above 0.5 flips every pixel;
 * 4. levels: the background's noise floor becomes 0 and the strongest ink 1, so JPEG noise and grey paper
 *    drop out; a clean image (MNIST itself, a drawing on a flat background) is unchanged apart from the
 *    stretch to 1. The floor is the border's median plus NOISE_SIGMAS robust standard deviations of it
 *    (1.4826 x the median absolute deviation): noise of +-10 grey levels stays under it, while a high
 *    quantile of the border would put a fixed share of the noise above the floor, scattered over the whole
 *    picture, and the crop would take the whole picture. Less than MIN_CONTRAST between floor and peak is
 *    "no ink found";
 * 5. crop to the bounding box of the pixels with ink > 0 (pictures over 256 px are first box-averaged by a
 *    whole factor, to at least 256 px, which keeps a 1024x1024 photo's work small; never by more than the
 *    shorter side, so no side shrinks to 0);
 * 6. fit the longest side to 20 px with area averaging (each output pixel is the mean of the input area it
 *    covers, fractional pixels weighted by coverage), the other side round(side * 20 / longest), >= 1;
 * 7. centre of mass (in pixel-index coordinates) at (14, 14), the mean centre of MNIST's test digits
 *    (14.01, 13.99), by a whole-pixel shift, kept inside the 28x28 field.
 * Steps 6 and 7 are MNIST's framing. A Fashion-MNIST set's uploads are framed as that dataset was made
 * (`framing`, core/manifest.ts DATASETS): the longest side fitted to 28 px, the box centred. Framed the
 * MNIST way, the Fashion set's own test images are classified 0.27 correct instead of 0.71.
 *
 * An MNIST digit (longest ink side 20 in 9,997 of the 10,000 test images) comes back as itself up to the
 * 1-level stretch and a whole-pixel re-centring.
 */
import { IMAGE_PIXELS, IMAGE_SIDE } from '../../core/contract';
import { DATASETS, type Framing } from '../../core/manifest';
import { orientGrey } from './orientation';

/** Decoded pixels, row-major, interleaved channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. */
export interface Raster {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array | Uint8ClampedArray | Uint16Array;
  /** 255 for 8-bit samples, 65535 for 16-bit */
  maxValue: number;
  /** each pixel stands for `scale` x `scale` pixels of the uploaded picture (a reduced decode); 1 when absent */
  scale?: number;
}

/** MNIST's centre of mass (step 7) */
export const CENTRE = 14;

/** MNIST's framing (core/manifest.ts DATASETS); Fashion-MNIST's replaces steps 6 and 7 (`framing`). */
export const MNIST_FRAMING: Framing = DATASETS.mnist.framing;
/** below this spread between background floor and strongest ink the picture counts as blank */
export const MIN_CONTRAST = 0.1;
/** robust standard deviations of the border's noise between its median and the noise floor */
export const NOISE_SIGMAS = 5;

export class NoInkError extends Error {
  override readonly name = 'NoInkError';
}

/** The picture cannot be normalised (a side of 0, values that are not numbers): never guessed at. */
export class DegenerateImageError extends Error {
  override readonly name = 'DegenerateImageError';
}

export interface NormalisedDigit {
  /** [784] in [0, 1], white ink on black, row-major */
  pixels: Float32Array;
  /** the background was light and the picture was flipped */
  inverted: boolean;
  /** the ink's bounding box in the uploaded picture */
  box: { x: number; y: number; width: number; height: number };
}

/** The weighted sum of the colour at `data[j..j+2]` (ITU-R BT.601 luma), before scaling to [0, 1]. */
function luma(data: Uint8Array | Uint16Array, j: number): number {
  return 0.299 * data[j] + 0.587 * data[j + 1] + 0.114 * data[j + 2];
}

/**
 * 8-bit RGBA -> grey (toGrey's weighted sum), computed once per run of identical pixels: a pixel is
 * compared with the previous one as a 32-bit word, and a drawing (the demo pad's PNG) is long runs of
 * background and of ink, so this takes ~1/3 of the time of the sum per pixel. True when every pixel is
 * opaque (the alpha is read when the word changes: equal words have equal alphas).
 */
function rgbaGrey(data: Uint8Array, count: number, maxValue: number, grey: Float32Array): boolean {
  const scale = 1 / maxValue;
  const words = new Uint32Array(data.buffer, data.byteOffset, count);
  let opaque = true;
  let previous = -1;
  let value = 0;
  for (let i = 0; i < count; i++) {
    const word = words[i];
    if (word !== previous) {
      previous = word;
      value = luma(data, i * 4) * scale;
      if (data[i * 4 + 3] !== maxValue) opaque = false;
    }
    grey[i] = value;
  }
  return opaque;
}

/** Step 1 and 2: grey in [0, 1] with transparency resolved. */
export function toGrey(raster: Raster): Float32Array {
  const { width, height, channels, maxValue } = raster;
  const count = width * height;
  if (raster.data.length < count * channels) {
    throw new RangeError(`expected ${count * channels} samples for ${width}x${height}x${channels}, got ${raster.data.length}`);
  }
  // one element type in the loops below (a clamped array is the same bytes), so they stay monomorphic
  const data = raster.data instanceof Uint8ClampedArray ? new Uint8Array(raster.data.buffer, raster.data.byteOffset, raster.data.length) : raster.data;
  const grey = new Float32Array(count);
  const scale = 1 / maxValue;
  const hasAlpha = channels === 2 || channels === 4;
  const colour = channels >= 3;
  // whether every pixel is opaque, when the conversion already found out
  let opaque: boolean | undefined;
  if (channels === 4 && data instanceof Uint8Array && data.byteOffset % 4 === 0) {
    opaque = rgbaGrey(data, count, maxValue, grey);
  } else if (colour) {
    for (let i = 0, j = 0; i < count; i++, j += channels) grey[i] = luma(data, j) * scale;
  } else {
    for (let i = 0, j = 0; i < count; i++, j += channels) grey[i] = data[j] * scale;
  }
  if (!hasAlpha) return grey;

  const alphaAt = channels - 1;
  // an opaque picture (a canvas's PNG usually is) needs nothing more: found without the weighted sums
  if (opaque === undefined) {
    opaque = true;
    for (let j = alphaAt; j < count * channels; j += channels) {
      if (data[j] !== maxValue) {
        opaque = false;
        break;
      }
    }
  }
  if (opaque) return grey;
  let weight = 0;
  let weighted = 0;
  for (let i = 0, j = alphaAt; i < count; i++, j += channels) {
    const a = data[j] * scale;
    weight += a;
    weighted += a * grey[i];
  }
  const backdrop = weight > 0 && weighted / weight > 0.5 ? 0 : 1;
  for (let i = 0, j = alphaAt; i < count; i++, j += channels) {
    const a = data[j] * scale;
    grey[i] = a * grey[i] + (1 - a) * backdrop;
  }
  return grey;
}

function quantile(sorted: Float32Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function borderValues(grey: Float32Array, width: number, height: number): Float32Array {
  const values: number[] = [];
  for (let x = 0; x < width; x++) {
    values.push(grey[x]);
    if (height > 1) values.push(grey[(height - 1) * width + x]);
  }
  for (let y = 1; y < height - 1; y++) {
    values.push(grey[y * width]);
    if (width > 1) values.push(grey[y * width + width - 1]);
  }
  return Float32Array.from(values).sort();
}

/**
 * Weights of an area-averaging resize along one axis: output o covers input [o*r, (o+1)*r) with
 * r = from/to; its entries are `index[start[o]..start[o+1])` with weights `weight[...]` (coverage / r).
 * Flat typed arrays rather than an array of [index, weight] pairs per output: the resize's inner loops
 * then read two arrays instead of destructuring a pair per tap (1.5-2x faster in Node, same sums in the same order).
 */
function areaWeights(from: number, to: number): { start: Int32Array; index: Int32Array; weight: Float64Array } {
  const r = from / to;
  const start = new Int32Array(to + 1);
  const index: number[] = [];
  const weight: number[] = [];
  for (let o = 0; o < to; o++) {
    const begin = o * r;
    const end = (o + 1) * r;
    start[o] = index.length;
    for (let i = Math.floor(begin); i < Math.min(from, Math.ceil(end)); i++) {
      const cover = Math.min(end, i + 1) - Math.max(begin, i);
      if (cover > 1e-9) (index.push(i), weight.push(cover / r));
    }
  }
  start[to] = index.length;
  return { start, index: Int32Array.from(index), weight: Float64Array.from(weight) };
}

/** Area-averaging resize of a w x h float image (a window of `src` with row stride `stride`). */
export function resizeArea(
  src: Float32Array,
  stride: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
  outW: number,
  outH: number,
): Float32Array {
  const wx = areaWeights(w, outW);
  const wy = areaWeights(h, outH);
  // horizontal pass over the window's rows: [h, outW]
  const mid = new Float32Array(h * outW);
  for (let y = 0; y < h; y++) {
    const row = (y0 + y) * stride + x0;
    for (let o = 0; o < outW; o++) {
      let sum = 0;
      for (let k = wx.start[o]; k < wx.start[o + 1]; k++) sum += src[row + wx.index[k]] * wx.weight[k];
      mid[y * outW + o] = sum;
    }
  }
  const out = new Float32Array(outH * outW);
  for (let o = 0; o < outH; o++) {
    for (let k = wy.start[o]; k < wy.start[o + 1]; k++) {
      const from = wy.index[k] * outW;
      const wgt = wy.weight[k];
      for (let x = 0; x < outW; x++) out[o * outW + x] += mid[from + x] * wgt;
    }
  }
  return out;
}

/** Steps 3-7 on a grey image. Throws NoInkError for a blank picture. */
export function normaliseGrey(grey: Float32Array, width: number, height: number, framing: Framing = MNIST_FRAMING): NormalisedDigit {
  if (!(width >= 1 && height >= 1 && grey.length === width * height)) {
    throw new DegenerateImageError(`a ${width}x${height} picture of ${grey.length} pixels cannot be normalised; expected at least 1x1`);
  }
  const border = borderValues(grey, width, height);
  const inverted = quantile(border, 0.5) > 0.5;
  // the ink: the grey levels themselves, or on light paper their complement
  let src = grey;
  if (inverted) {
    src = new Float32Array(grey.length);
    for (let i = 0; i < grey.length; i++) src[i] = 1 - grey[i];
  }
  const median = quantile(border, 0.5);
  const deviations = border.map((v) => Math.abs(v - median)).sort();
  const floor = (inverted ? 1 - median : median) + NOISE_SIGMAS * 1.4826 * quantile(deviations, 0.5);
  // the ink box: pixels above the floor, each row scanned from both ends; the levels are then stretched
  // only inside it, the only pixels the resize reads
  let x0 = width;
  let x1 = -1;
  let y0 = height;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    let first = 0;
    while (first < width && !(src[row + first] > floor)) first++;
    if (first === width) continue;
    let last = width - 1;
    while (!(src[row + last] > floor)) last--;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
    if (y < y0) y0 = y;
    y1 = y;
  }
  // the strongest ink: inside the box when there is one (every pixel outside it is at or below the floor,
  // and some inside is above), else anywhere
  let peak = 0;
  if (x1 < 0) {
    for (let i = 0; i < src.length; i++) if (src[i] > peak) peak = src[i];
  } else {
    for (let y = y0; y <= y1; y++) for (let i = y * width + x0, end = y * width + x1; i <= end; i++) if (src[i] > peak) peak = src[i];
  }
  if (!Number.isFinite(floor) || !Number.isFinite(peak)) throw new DegenerateImageError(`the picture's grey levels are not numbers (floor ${floor}, peak ${peak})`);
  if (!(peak - floor >= MIN_CONTRAST)) {
    throw new NoInkError(
      `no ink found: the strongest ink is ${Math.round((peak - floor) * 255)} grey levels from the background, ` +
        `expected at least ${Math.round(MIN_CONTRAST * 255)}`,
    );
  }
  if (x1 < 0) throw new NoInkError('no ink found: no pixel is above the background');
  const gain = 1 / (peak - floor);
  const boxW = x1 - x0 + 1;
  const boxH = y1 - y0 + 1;
  const longest = Math.max(boxW, boxH);
  const fitW = Math.max(1, Math.round((boxW * framing.fitSide) / longest));
  const fitH = Math.max(1, Math.round((boxH * framing.fitSide) / longest));
  const ink = new Float32Array(boxW * boxH);
  for (let y = 0; y < boxH; y++) {
    for (let x = 0, i = (y0 + y) * width + x0; x < boxW; x++, i++) {
      const v = (src[i] - floor) * gain;
      ink[y * boxW + x] = v > 0 ? (v < 1 ? v : 1) : 0;
    }
  }
  const fitted = resizeArea(ink, boxW, 0, 0, boxW, boxH, fitW, fitH);

  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < fitH; y++) {
    for (let x = 0; x < fitW; x++) {
      const v = fitted[y * fitW + x];
      mass += v;
      mx += x * v;
      my += y * v;
    }
  }
  const clampShift = (shift: number, size: number) => Math.min(IMAGE_SIDE - size, Math.max(0, shift));
  const byMass = framing.centre === 'mass';
  const ox = clampShift(byMass ? Math.round(CENTRE - mx / mass) : Math.floor((IMAGE_SIDE - fitW) / 2), fitW);
  const oy = clampShift(byMass ? Math.round(CENTRE - my / mass) : Math.floor((IMAGE_SIDE - fitH) / 2), fitH);
  const pixels = new Float32Array(IMAGE_PIXELS);
  for (let y = 0; y < fitH; y++) pixels.set(fitted.subarray(y * fitW, (y + 1) * fitW), (oy + y) * IMAGE_SIDE + ox);
  if (!(mass > 0) || pixels.some((v) => !Number.isFinite(v))) throw new DegenerateImageError('the normalised digit is not a picture (no mass, or values that are not numbers)');
  return { pixels, inverted, box: { x: x0, y: y0, width: boxW, height: boxH } };
}

/** Pictures larger than this (longest side) are first box-averaged by a whole factor to at least this size. */
export const WORKING_SIDE = 256;

/**
 * Box average of k x k blocks (a trailing partial block is dropped): area averaging in two steps gives
 * the same 20 px result up to the crop's position, to within k pixels of the original picture.
 */
export function shrinkBy(grey: Float32Array, width: number, height: number, k: number): { grey: Float32Array; width: number; height: number } {
  const w = Math.floor(width / k);
  const h = Math.floor(height / k);
  const out = new Float32Array(w * h);
  const norm = 1 / (k * k);
  for (let y = 0; y < h; y++) {
    for (let dy = 0; dy < k; dy++) {
      const row = (y * k + dy) * width;
      for (let x = 0; x < w; x++) {
        let sum = 0;
        const from = row + x * k;
        for (let dx = 0; dx < k; dx++) sum += grey[from + dx];
        out[y * w + x] += sum;
      }
    }
  }
  for (let i = 0; i < out.length; i++) out[i] *= norm;
  return { grey: out, width: w, height: h };
}

/**
 * The whole normalisation, decoded pixels -> MNIST-style 28x28. Throws NoInkError for a blank picture.
 * `orientation` (EXIF, 1..8) turns the picture upright first, as viewers show it. Pictures over
 * WORKING_SIDE are shrunk by a whole factor first (a 1024x1024 photo by 4, never by more than the shorter
 * side), which keeps the work small; the ink box is then reported in the upright picture's pixels (and in
 * the upload's, for a raster decoded at a reduced `scale`).
 */
export function normaliseDigit(raster: Raster, orientation = 1, framing: Framing = MNIST_FRAMING): NormalisedDigit {
  const grey = toGrey(raster);
  const k = Math.max(1, Math.min(Math.floor(Math.max(raster.width, raster.height) / WORKING_SIDE), raster.width, raster.height));
  const small = k === 1 ? { grey, width: raster.width, height: raster.height } : shrinkBy(grey, raster.width, raster.height, k);
  const upright = orientGrey(small.grey, small.width, small.height, orientation);
  const digit = normaliseGrey(upright.grey, upright.width, upright.height, framing);
  const factor = k * (raster.scale ?? 1);
  if (factor === 1) return digit;
  const { x, y, width, height } = digit.box;
  return { ...digit, box: { x: x * factor, y: y * factor, width: width * factor, height: height * factor } };
}
