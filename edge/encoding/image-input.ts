/**
 * Uploaded bytes -> decoded pixels, refusing what should not be decoded before decoding it: the format is
 * recognised from the signature (not trusted from Content-Type), the dimensions are read from the header
 * (PNG IHDR, JPEG SOFn) and checked against MAX_SIDE first, and a PNG's compressed data is inflated once
 * with a byte budget before fast-png decodes it (a 2 MB deflate stream can expand ~1000x). Decoders:
 * fast-png (PNG, any bit depth, palette, interlaced; an animated PNG gives its default image; pure
 * JavaScript) and, for JPEG (baseline and progressive), a decoder passed in: mozjpeg as WebAssembly in the
 * worker (./jpeg.ts), the same codec compiled from its file in Node tests.
 */
import { convertIndexedToRgb, decode as decodePngBytes } from 'fast-png';
import { Unzlib } from 'fflate';
import type { Raster } from './normalise';

export const MAX_SIDE = 1024;
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
  width: number;
  height: number;
  /** PNG: bytes per row after inflating, filter byte included (for the inflate budget) */
  rawBytes?: number;
  animated?: boolean;
}

const invalid = (message: string) => new ImageInputError(400, 'invalid_image', message);

function u32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

interface PngChunk {
  type: string;
  start: number;
  length: number;
}

function pngChunks(bytes: Uint8Array): PngChunk[] {
  const chunks: PngChunk[] = [];
  let at = 8;
  while (at + 8 <= bytes.length) {
    const length = u32(bytes, at);
    const type = String.fromCharCode(bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]);
    if (at + 12 + length > bytes.length) throw invalid(`truncated PNG: chunk ${JSON.stringify(type)} runs past the end of the ${bytes.length} bytes`);
    chunks.push({ type, start: at + 8, length });
    at += 12 + length;
    if (type === 'IEND') break;
  }
  return chunks;
}

function pngHeader(bytes: Uint8Array): ImageHeader & { chunks: PngChunk[] } {
  if (bytes.length < 33 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
    throw invalid('truncated PNG: no IHDR header');
  }
  const width = u32(bytes, 16);
  const height = u32(bytes, 20);
  checkSides(width, height);
  const depth = bytes[24];
  const channels = PNG_CHANNELS[bytes[25]];
  if (!channels || ![1, 2, 4, 8, 16].includes(depth)) throw invalid(`PNG colour type ${bytes[25]} with bit depth ${depth} is not valid`);
  const chunks = pngChunks(bytes);
  if (!chunks.some((c) => c.type === 'IDAT')) throw invalid('truncated PNG: no image data (IDAT)');
  const rowBytes = Math.ceil((width * channels * depth) / 8) + 1;
  return {
    type: 'image/png',
    width,
    height,
    // interlaced images carry a few more filter bytes per pass; 2x covers them
    rawBytes: rowBytes * height * 2 + 1024,
    animated: chunks.some((c) => c.type === 'acTL'),
    chunks,
  };
}

// SOF markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

function jpegHeader(bytes: Uint8Array): ImageHeader {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw invalid(`corrupt JPEG: expected a marker at byte ${at}`);
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image, or scan data before any frame header
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (SOF.has(marker)) {
      if (at + 9 > bytes.length) break;
      const height = (bytes[at + 5] << 8) | bytes[at + 6];
      const width = (bytes[at + 7] << 8) | bytes[at + 8];
      checkSides(width, height);
      return { type: 'image/jpeg', width, height };
    }
    at += 2 + length;
  }
  throw invalid('truncated or corrupt JPEG: no frame header (SOF) before the image data');
}

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

/** The format and dimensions from the first bytes, without decoding pixels. */
export function readHeader(bytes: Uint8Array): ImageHeader {
  const type = sniffType(bytes);
  if (type === 'image/png') return pngHeader(bytes);
  if (type === 'image/jpeg') return jpegHeader(bytes);
  throw invalid(
    bytes.length === 0 ? 'the body is empty; expected a PNG or JPEG image' : 'the body is not a PNG or JPEG image (unrecognised signature)',
  );
}

/** Inflates the IDAT stream only to count its bytes, stopping as soon as it exceeds what the header allows. */
function checkInflatedSize(bytes: Uint8Array, chunks: PngChunk[], limit: number): void {
  let total = 0;
  const inflater = new Unzlib((chunk) => {
    total += chunk.length;
    if (total > limit) throw invalid(`PNG image data inflates past the ${limit} bytes its header allows`);
  });
  const data = chunks.filter((c) => c.type === 'IDAT');
  data.forEach((c, i) => inflater.push(bytes.subarray(c.start, c.start + c.length), i === data.length - 1));
}

/** Deflate cannot expand data more than ~1032x: compressed data this small cannot be a bomb worth checking for. */
const MAX_DEFLATE_RATIO = 1032;
const SAFE_INFLATE_BYTES = 16 * 1024 * 1024;

function decodePng(bytes: Uint8Array, header: ReturnType<typeof pngHeader>): Raster {
  const compressed = header.chunks.reduce((n, c) => n + (c.type === 'IDAT' ? c.length : 0), 0);
  try {
    if (compressed * MAX_DEFLATE_RATIO > Math.max(header.rawBytes!, SAFE_INFLATE_BYTES)) {
      checkInflatedSize(bytes, header.chunks, header.rawBytes!);
    }
  } catch (err) {
    if (err instanceof ImageInputError) throw err;
    throw invalid(`corrupt PNG image data: ${err instanceof Error ? err.message : String(err)}`);
  }
  let png: ReturnType<typeof decodePngBytes>;
  try {
    png = decodePngBytes(bytes);
  } catch (err) {
    throw invalid(`corrupt PNG: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (png.palette) {
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
  if (png.data.length < png.width * png.height * png.channels && png.depth >= 8) throw invalid('truncated PNG image data');
  return { width: png.width, height: png.height, channels: png.channels as Raster['channels'], data, maxValue };
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
  const header = readHeader(bytes);
  if (declared && declared !== header.type) {
    throw invalid(`the body is a ${header.type.slice(6).toUpperCase()} image but Content-Type says ${declared}`);
  }
  const raster = header.type === 'image/png' ? decodePng(bytes, header as ReturnType<typeof pngHeader>) : await decodeJpeg(bytes);
  return { raster, header };
}
