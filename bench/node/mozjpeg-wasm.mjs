// For the Node baseline: what wrangler's CompiledWasm rule gives the worker for the JPEG codec
// (edge/encoding/jpeg.ts imports mozjpeg_dec.wasm as a compiled WebAssembly.Module).
import { readFileSync } from 'node:fs';

export default new WebAssembly.Module(readFileSync(new URL('../../node_modules/@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm', import.meta.url)));
