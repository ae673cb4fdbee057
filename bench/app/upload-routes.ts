/**
 * Measurement route for uploads, mounted under /__bench by the benchmark's worker only (like
 * bench-routes.ts): the work of one POST /v1/classify or /v1/encode request, minus HTTP, repeated.
 *
 * POST /upload-work?iterations=N with an image body: N x (decode + normalise + encode + classify), the
 * same functions the routes call. The clock is read around all iterations and around the decode +
 * normalise part of the first pass only, so the split is indicative; `elapsedMs / iterations` is the figure.
 */
import { Hono } from 'hono';
import { decodeImage } from '../../edge/encoding/image-input';
import { decodeJpegWasm } from '../../edge/encoding/jpeg';
import { normaliseDigit } from '../../edge/encoding/normalise';
import type { ModelStore } from '../../edge/inference/model-store';
import { recogniseImages } from '../../edge/inference/recognition';

export interface UploadWorkTiming {
  iterations: number;
  bytes: number;
  /** total ms over all iterations */
  elapsedMs: number;
  /** ms of decode + normalise summed over all iterations (no model work) */
  imageMs: number;
  digit: number;
}

export function uploadBenchRoutes(store: ModelStore) {
  const app = new Hono();
  app.onError((err) => Response.json({ error: { code: 'bench', message: err.message } }, { status: 400 }));

  app.post('/upload-work', async (c) => {
    const iterations = Number(c.req.query('iterations') ?? '1');
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000) throw new RangeError('iterations must be an integer 1..10000');
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    const timing = await store.use(async (models) => {
      let digit = -1;
      let imageMs = 0;
      const start = performance.now();
      for (let i = 0; i < iterations; i++) {
        const t0 = performance.now();
        const { raster } = await decodeImage(bytes, decodeJpegWasm);
        const { pixels } = normaliseDigit(raster);
        imageMs += performance.now() - t0;
        digit = (await recogniseImages(models, pixels, 1)).digits[0];
      }
      return { elapsedMs: performance.now() - start, imageMs, digit };
    });
    return c.json({ iterations, bytes: bytes.length, ...timing } satisfies UploadWorkTiming);
  });

  return app;
}
