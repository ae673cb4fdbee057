/** The worker's JPEG codec (mozjpeg as WebAssembly, @jsquash/jpeg) for Node tests, compiled from its file. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import decodeMozjpeg, { init } from '@jsquash/jpeg/decode.js';
import { jpegDecoderOf, type JpegDecoder } from '../../edge/encoding/image-input';

const WASM = resolve(import.meta.dirname, '../../node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm');
let ready: Promise<void> | null = null;

export const decodeJpegNode: JpegDecoder = jpegDecoderOf(() => {
  ready ??= (init as unknown as (module: WebAssembly.Module) => Promise<void>)(new WebAssembly.Module(readFileSync(WASM)));
  return ready;
}, decodeMozjpeg);
