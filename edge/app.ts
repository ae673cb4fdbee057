/**
 * The HTTP surface of the worker: the image and service routes, /openapi.json generated from the same
 * schemas that validate requests, the upload routes, the demo page (public/, served as static assets), open CORS
 * for GET and POST, and JSON for every error.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { ModelsUnavailableError, type ModelFiles, type ModelStore } from './inference/model-store';
import { errorResponse } from './routes/errors';
import { imageRoutes } from './routes/images';
import { metaRoutes } from './routes/meta';
import { uploadRoutes } from './routes/uploads';

export interface AppDeps {
  store: ModelStore;
  files: ModelFiles;
  manifest: unknown;
}


/** '/v1/digits/:digit' -> a regex matching concrete paths of that route. */
function routePattern(path: string): RegExp {
  const escaped = path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

export function createApp({ store, files, manifest }: AppDeps) {
  const app = new OpenAPIHono();

  app.use(
    '*',
    cors({
      origin: '*',
      allowMethods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
      exposeHeaders: ['X-Seed', 'X-Seed-From', 'X-Seed-To', 'X-Model-Version', 'ETag'],
      maxAge: 86400,
    }),
  );

  // The demo page is public/ (Workers Static Assets, wrangler.jsonc `assets`), which answers / before the
  // worker runs; this route only sees / when the worker is run without the assets (it then says where the page is).
  app.get('/', (c) => {
    const assets = (c.env as { ASSETS?: { fetch(request: Request): Promise<Response> } } | undefined)?.ASSETS;
    if (assets) return assets.fetch(c.req.raw);
    return errorResponse(404, 'not_found', 'the demo page is served from public/ by Workers Static Assets, which this deployment lacks');
  });
  app.route('/', imageRoutes(store));
  app.route('/', metaRoutes(store, files, manifest));
  app.route('/', uploadRoutes(store));

  app.doc31('/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: {
      title: 'Latent Digits',
      version: '1',
      description:
        'Handwritten digits from small generative models trained on MNIST, served with onnxruntime-web. ' +
        'Every image is reproducible offline: noise comes from core/rng.ts `noiseForSeed(seed, rows, 32)` ' +
        '(xoshiro128** seeded by splitmix32, Box-Muller normals rounded to float32), runs through the ONNX ' +
        'files listed at /v1/models (served.files), and pixels become bytes by round(v*255) clamped to 0..255 ' +
        '(core/png.ts). Pixels of the same models under onnxruntime-node differ by at most 1 grey level.',
    },
    servers: [{ url: new URL(c.req.url).origin }],
  }));

  /** The methods routed for a path: GET (and so HEAD) and/or POST. */
  const methodsFor = (path: string) =>
    [...new Set(app.routes.filter((r) => r.method !== 'ALL' && routePattern(r.path).test(path)).map((r) => r.method))].sort();

  app.notFound((c) => {
    const path = c.req.path;
    const methods = methodsFor(path);
    if (methods.length) {
      const allowed = [...(methods.includes('GET') ? ['GET', 'HEAD'] : []), ...methods.filter((m) => m !== 'GET'), 'OPTIONS'];
      return errorResponse(405, 'method_not_allowed', `${c.req.method} is not allowed on ${path}; use ${methods.join(' or ')}`, {
        headers: { Allow: allowed.join(', ') },
      });
    }
    return errorResponse(404, 'not_found', `no route ${path}; see /openapi.json for the endpoints`);
  });

  app.onError((err) => {
    if (err instanceof ModelsUnavailableError) {
      return errorResponse(503, 'models_unavailable', `models are unavailable: ${err.message}`, {
        headers: { 'Retry-After': '1' },
      });
    }
    console.error('unhandled error', err);
    return errorResponse(500, 'internal_error', 'internal error; the request was valid but generation failed');
  });

  return app;
}
