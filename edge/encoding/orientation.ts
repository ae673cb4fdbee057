/**
 * EXIF orientation: phones store a photo the way the sensor read it and tag how to turn it upright
 * (TIFF tag 0x0112 in IFD0, from a JPEG's APP1 "Exif" segment or a PNG's eXIf chunk); every viewer shows
 * it turned, so the digit must be turned the same way before normalisation. Only that one tag is read
 * (a dozen lines, bounds-checked), which is why no EXIF library is pulled into the worker.
 */

/** 1 (as stored) .. 8, from TIFF bytes ("II*\0" or "MM\0*" header); 1 when absent or unreadable. */
export function orientationOf(tiff: Uint8Array | undefined): number {
  if (!tiff || tiff.length < 8) return 1;
  const little = tiff[0] === 0x49 && tiff[1] === 0x49;
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return 1;
  const u16 = (at: number) => (little ? tiff[at] | (tiff[at + 1] << 8) : (tiff[at] << 8) | tiff[at + 1]);
  const u32 = (at: number) => (little ? u16(at) + u16(at + 2) * 65536 : u16(at) * 65536 + u16(at + 2));
  if (u16(2) !== 42) return 1;
  const ifd = u32(4);
  if (ifd + 2 > tiff.length) return 1;
  const count = u16(ifd);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return 1;
    // type 3 = SHORT, one value, stored in the first two bytes of the value field
    if (u16(entry) === 0x0112 && u16(entry + 2) === 3) {
      const value = u16(entry + 8);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

/**
 * A grey picture (row-major, `width` x `height`) turned upright for EXIF orientation 1..8: the picture a
 * viewer shows. Orientations 5-8 swap the sides.
 */
export function orientGrey(grey: Float32Array, width: number, height: number, orientation: number): { grey: Float32Array; width: number; height: number } {
  if (orientation <= 1 || orientation > 8) return { grey, width, height };
  const swap = orientation >= 5;
  const w = swap ? height : width;
  const h = swap ? width : height;
  const out = new Float32Array(grey.length);
  // shown pixel (x, y) comes from stored (sx, sy) = (sx0 + x sxX + y sxY, sy0 + x syX + y syY)
  const [sx0, sxX, sxY, sy0, syX, syY] = STORED_OF_SHOWN[orientation](width - 1, height - 1);
  const origin = sy0 * width + sx0;
  const stepX = syX * width + sxX;
  const stepY = syY * width + sxY;
  for (let y = 0; y < h; y++) {
    let from = origin + y * stepY;
    for (let x = 0; x < w; x++, from += stepX) out[y * w + x] = grey[from];
  }
  return { grey: out, width: w, height: h };
}

/** Per orientation, given the last column and row (W, H) of the stored picture: [sx0, sxX, sxY, sy0, syX, syY]. */
const STORED_OF_SHOWN: Record<number, (W: number, H: number) => number[]> = {
  2: (W) => [W, -1, 0, 0, 0, 1], // mirrored left-right
  3: (W, H) => [W, -1, 0, H, 0, -1], // turned 180
  4: (_, H) => [0, 1, 0, H, 0, -1], // mirrored top-bottom
  5: () => [0, 0, 1, 0, 1, 0], // transposed
  6: (_, H) => [0, 0, 1, H, -1, 0], // stored turned 90 anticlockwise: shown turned 90 clockwise
  7: (W, H) => [W, 0, -1, H, -1, 0], // transversed
  8: (W) => [W, 0, -1, 0, 1, 0], // shown turned 90 anticlockwise
};
