/**
 * JPEG decoding inside workerd: mozjpeg compiled to WebAssembly (@jsquash/jpeg, the Squoosh app's codec;
 * 63 KB gzip), 6-10x faster than pure-JavaScript jpeg-js on a 1024x1024 photo, which is what keeps an upload
 * within its CPU budget. workerd cannot compile WebAssembly at run time, so the module arrives compiled
 * through wrangler's CompiledWasm rule (as ORT's does) and is handed to the codec's `init`.
 */
import decodeMozjpeg, { init } from '@jsquash/jpeg/decode.js';
// A relative path for the same reason as ORT's wasm in ../inference/ort.ts: wrangler does not follow `exports`.
import mozjpegWasm from '../../node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm';
import { jpegDecoderOf, type JpegDecoder } from './image-input';

let ready: Promise<void> | null = null;

/** Decodes JPEG bytes to RGBA with the precompiled mozjpeg module. */
export const decodeJpegWasm: JpegDecoder = jpegDecoderOf(() => {
  // init's typings omit the (module, options) overload that @jsquash/jpeg 1.6 implements
  ready ??= (init as unknown as (module: WebAssembly.Module) => Promise<void>)(mozjpegWasm);
  return ready;
}, decodeMozjpeg);
