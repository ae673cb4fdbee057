/**
 * Uploaded bytes -> decoded pixels, refusing what should not be decoded before decoding it: the format is
 * recognised from the signature (not trusted from Content-Type); the structure is walked first, the way
 * the decoder will read it (PNG: ./png-chunks.ts, one IHDR, bounded chunks, image data inflated under the
 * budget its header implies; JPEG: ./jpeg-markers.ts, the frame the decoder uses, bounded scans), and the
 * dimensions checked against MAX_SIDE before any pixel is decoded. Decoders: fast-png (PNG, any bit depth,
 * palette, interlaced; an animated PNG gives its default image; pure JavaScript) on a minimal PNG rebuilt
 * from the checked chunks, and, for JPEG (baseline and progressive), a decoder passed in: mozjpeg as
 * WebAssembly in the worker (./jpeg.ts), the same codec compiled from its file in Node tests.
 */
import { convertIndexedToRgb, decode as decodePngBytes } from 'fast-png';
import { decodeQuarterLuma, readsAtQuarter } from './jpeg-luma';
import { JpegStructureError, walkJpeg } from './jpeg-markers';
import { WORKING_SIDE, type Raster } from './normalise';
import { orientationOf } from './orientation';
import { decodeCommonPng, PngStructureError, rebuildPng, walkPng } from './png-chunks';

export const MAX_SIDE = 1024;
/**
 * JPEGs with a longer side of at least this are read at a quarter of their size from their DCT coefficients
 * (./jpeg-luma.ts: the luma's 4x4 means, at least 3/4 of WORKING_SIDE = 192 px, where the normaliser
 * would otherwise shrink the full decode by 3 or 4); smaller ones, and the ones it cannot read, are decoded whole.
 */
export const QUARTER_READ_SIDE = WORKING_SIDE * 3;
export const MAX_UPLOAD_BYTES = 2 * 1024 * 1024;
export const IMAGE_TYPES = ['image/png', 'image/jpeg'] as const;
export type ImageType = (typeof IMAGE_TYPES)[number];

/** Why an upload cannot be read; the routes turn it into a 4xx JSON error. */
export class ImageInputError extends Error {
  override readonly name = 'ImageInputError';
  constructor(
    readonly status: 400 | 413 | 415,
    readonly code: 'invalid_image' | 'image_too_large' | 'unsupported_media_type' | 'no_ink',
    message: string,
  ) {
    super(message);
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export function sniffType(bytes: Uint8Array): ImageType | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  return null;
}

export interface ImageHeader {
  type: ImageType;
  /** the stored picture's size (before any EXIF orientation) */
  width: number;
  height: number;
  /** EXIF orientation 1..8 (JPEG APP1 Exif, PNG eXIf); 1 when absent */
  orientation: number;
  animated?: boolean;
  /** JPEG: colour components of the frame and its number of scans */
  components?: number;
  scans?: number;
  /** 4 when the picture will be read at a quarter of its size from its DCT coefficients (QUARTER_READ_SIDE) */
  readScale?: number;
}

const invalid = (message: string) => new ImageInputError(400, 'invalid_image', message);

function checkSides(width: number, height: number): void {
  if (width === 0 || height === 0) throw invalid(`image is ${width}x${height}; expected at least 1x1`);
  if (width > MAX_SIDE || height > MAX_SIDE) {
    throw new ImageInputError(
      400,
      'image_too_large',
      `image is ${width}x${height}; expected at most ${MAX_SIDE}x${MAX_SIDE} (checked from the header, nothing was decoded)`,
    );
  }
}

/** An upload whose structure was walked and bounded; `decode` spends the CPU. */
export interface InspectedImage {
  header: ImageHeader;
  decode(decodeJpeg: JpegDecoder): Promise<Raster>;
}

/** Structure errors of the walks -> invalid_image (sync or async); the ImageInputErrors of checkSides pass through. */
function structural<T>(walk: () => T): T {
  const rename = (err: unknown): never => {
    if (err instanceof PngStructureError || err instanceof JpegStructureError) throw invalid(err.message);
    throw err;
  };
  try {
    const result = walk();
    return result instanceof Promise ? (result.catch(rename) as T) : result;
  } catch (err) {
    return rename(err);
  }
}

function inspectPng(bytes: Uint8Array): InspectedImage {
  const walked = structural(() => walkPng(bytes, checkSides));
  const { width, height } = walked.header;
  return {
    header: { type: 'image/png', width, height, orientation: orientationOf(walked.exif), animated: walked.animated },
    decode: async () => {
      const common = structural(() => decodeCommonPng(walked));
      if (common) return { ...common, maxValue: 255 };
      return decodePng(structural(() => rebuildPng(walked)));
    },
  };
}

function inspectJpeg(bytes: Uint8Array): InspectedImage {
  const frame = structural(() => walkJpeg(bytes, checkSides));
  if (frame.components === 4) {
    // mozjpeg (as @jsquash/jpeg builds it) decodes to RGBA only from grey, YCbCr or RGB; libjpeg has no
    // CMYK -> RGB conversion. jpeg-js has one but takes ~360 ms of CPU for a 1024x1024 picture, past the
    // upload's CPU budget, so these are refused by name instead.
    throw new ImageInputError(
      415,
      'unsupported_media_type',
      `the JPEG is ${frame.adobeTransform === 2 ? 'YCCK' : 'CMYK'} (4 colour components, as print software saves it); expected a grey, RGB or YCbCr JPEG (save it as RGB)`,
    );
  }
  const { width, height, components, scans } = frame;
  const quarter = Math.max(width, height) >= QUARTER_READ_SIDE && readsAtQuarter(frame);
  return {
    header: { type: 'image/jpeg', width, height, orientation: orientationOf(frame.exif), components, scans, ...(quarter ? { readScale: 4 } : {}) },
    decode: async (decodeJpeg) => {
      const luma = quarter ? decodeQuarterLuma(frame) : null;
      if (luma) return { width: luma.width, height: luma.height, channels: 1, data: luma.grey, maxValue: 255, scale: 4 };
      return decodeJpeg(bytes);
    },
  };
}

/**
 * The format, dimensions and orientation of an upload, from a walk of its structure that bounds every
 * resource decoding it will take (see png-chunks.ts and jpeg-markers.ts); nothing is inflated or decoded.
 */
export function inspectImage(bytes: Uint8Array, declared?: ImageType): InspectedImage {
  const type = sniffType(bytes);
  if (!type) {
    throw invalid(
      bytes.length === 0 ? 'the body is empty; expected a PNG or JPEG image' : 'the body is not a PNG or JPEG image (unrecognised signature)',
    );
  }
  if (declared && declared !== type) throw invalid(`the body is a ${type.slice(6).toUpperCase()} image but Content-Type says ${declared}`);
  return type === 'image/png' ? inspectPng(bytes) : inspectJpeg(bytes);
}

/** The format and dimensions from the first bytes, without decoding pixels. */
export function readHeader(bytes: Uint8Array): ImageHeader {
  return inspectImage(bytes).header;
}

/** The rebuilt (checked, stored-uncompressed) PNG -> pixels; anything fast-png throws is invalid_image. */
function decodePng(rebuilt: Uint8Array): Raster {
  try {
    const png = decodePngBytes(rebuilt);
    if (png.palette) {
      // throws on an index past the palette
      const rgb = convertIndexedToRgb(png);
      const channels = rgb.length === png.width * png.height * 4 ? 4 : 3;
      return { width: png.width, height: png.height, channels, data: rgb, maxValue: 255 };
    }
    let data = png.data;
    const maxValue = 2 ** png.depth - 1;
    if (png.depth < 8) {
      // fast-png leaves sub-byte samples packed: unpack to one sample per byte
      const count = png.width * png.height * png.channels;
      const unpacked = new Uint8Array(count);
      const rowSamples = png.width * png.channels;
      const rowBytes = Math.ceil((rowSamples * png.depth) / 8);
      for (let y = 0; y < png.height; y++) {
        for (let s = 0; s < rowSamples; s++) {
          const bit = s * png.depth;
          const byte = data[y * rowBytes + (bit >> 3)];
          unpacked[y * rowSamples + s] = (byte >> (8 - png.depth - (bit & 7))) & maxValue;
        }
      }
      data = unpacked;
    }
    if (data.length < png.width * png.height * png.channels) throw invalid('truncated PNG image data');
    return { width: png.width, height: png.height, channels: png.channels as Raster['channels'], data, maxValue };
  } catch (err) {
    if (err instanceof ImageInputError) throw err;
    throw invalid(`corrupt PNG: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** JPEG bytes -> RGBA pixels; throws on data it cannot decode. */
export type JpegDecoder = (bytes: Uint8Array) => Promise<Raster>;

/**
 * A JpegDecoder over a codec with @jsquash/jpeg's shape: `ready()` once, then `decode(ArrayBuffer)` ->
 * {width, height, data: RGBA}. The codec throws plain objects on corrupt data; they become invalid_image.
 */
export function jpegDecoderOf(
  ready: () => Promise<void>,
  decode: (buffer: ArrayBuffer) => Promise<{ width: number; height: number; data: Uint8ClampedArray }>,
): JpegDecoder {
  return async (bytes) => {
    await ready();
    let image: { width: number; height: number; data: Uint8ClampedArray };
    try {
      image = await decode(bytes.slice().buffer);
    } catch (err) {
      throw invalid(`corrupt JPEG: ${err instanceof Error ? err.message : typeof err === 'string' ? err : 'the decoder rejected the data'}`);
    }
    if (!image || image.width * image.height * 4 !== image.data.length) throw invalid('corrupt JPEG: the decoder returned no image');
    return { width: image.width, height: image.height, channels: 4, data: image.data, maxValue: 255 };
  };
}

/**
 * Decodes an uploaded PNG or JPEG. `declared` is the request's Content-Type; it must name the same format
 * as the bytes.
 */
export async function decodeImage(
  bytes: Uint8Array,
  decodeJpeg: JpegDecoder,
  declared?: ImageType,
): Promise<{ raster: Raster; header: ImageHeader }> {
  const image = inspectImage(bytes, declared);
  return { raster: await image.decode(decodeJpeg), header: image.header };
}
