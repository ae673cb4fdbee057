/**
 * The HTTP surface of the worker: the image and service routes, /openapi.json generated from the same
 * schemas that validate requests, the upload routes, the demo page (public/, served as Workers Static Assets),
 * CORS for the API's own methods and headers, a per-client rate limit, and JSON for every error.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { ModelsUnavailableError, type ModelFiles, type ModelStore } from './inference/model-store';
import { Registry, RegistryError, type RegistryEnv } from './registry';
import { OverloadedError } from './inference/scheduler';
import { errorResponses } from './routes/docs';
import { errorResponse, quote } from './routes/errors';
import { imageRoutes } from './routes/images';
import { metaRoutes, requireJson } from './routes/meta';
import { rateLimit, type RateLimitEnv } from './routes/rate-limit';
import { logLine, serverTiming } from './routes/request-log';
import { uploadRoutes } from './routes/uploads';

/** The embedded default set (edge/bundle.ts) and its store; every other set comes from the registry's R2. */
export interface AppDeps {
  store: ModelStore;
  files: ModelFiles;
  manifest: unknown;
  /** versions kept open at once (edge/registry/ DEFAULT_MAX_OPEN_SETS) */
  maxOpenSets?: number;
  /** longest wait for one R2 read before a 503 (edge/registry/ DEFAULT_READ_TIMEOUT_MS) */
  readTimeoutMs?: number;
}

/** Every method some route takes (CORS preflights); a 405 names the ones of its own path. */
export const ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'OPTIONS'];
/** Request headers the API reads; preflights allow these and nothing else (Content-Type: the uploads). */
export const CORS_REQUEST_HEADERS = ['Accept', 'If-None-Match', 'Content-Type'];
/** Response headers scripts on other origins may read. */
export const CORS_EXPOSED_HEADERS = ['X-Seed', 'X-Seed-From', 'X-Seed-To', 'X-Model-Version', 'X-Dataset', 'ETag', 'Retry-After'];

/** '/v1/digits/:digit' -> a regex matching concrete paths of that route. */
function routePattern(path: string): RegExp {
  const escaped = path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]+/g, '[^/]+');
  return new RegExp(`^${escaped}$`);
}

const DESCRIPTION =
  'Handwritten digits from small generative models trained on MNIST, served with onnxruntime-web. ' +
  'Every image is reproducible offline: noise comes from core/rng.ts `noiseForSeed(seed, rows, 32)` ' +
  '(xoshiro128** seeded by splitmix32, Box-Muller normals rounded to float32), runs through the ONNX ' +
  'files listed at /v1/models (served.files), and pixels become bytes by round(v*255) clamped to 0..255 ' +
  '(core/png.ts). Pixels of the same models under onnxruntime-node differ by at most 1 grey level.\n\n' +
  'Versioned URLs: add `v=<model version>` (X-Model-Version, /health `model_version`) to a seeded URL and the ' +
  'response is immutable; without `v` seeded responses are cached for 5 minutes and revalidated by ETag. ' +
  'Limits: n <= 64, steps <= 32, scale <= 8; model work is queued per instance and refused with 503 ' +
  '`overloaded` + Retry-After past about 1.5 s of queued work; each client may send 600 requests per minute ' +
  '(429 `rate_limited` + Retry-After; /health is exempt). Unknown query parameters on /v1/* are a 400.';

export function createApp({ store, files, manifest, maxOpenSets, readTimeoutMs }: AppDeps) {
  const app = new OpenAPIHono<{ Bindings: RateLimitEnv & RegistryEnv }>();
  const registry = new Registry({ embedded: { store, files, manifest }, scheduler: store.scheduler, maxOpenSets, readTimeoutMs });
  /** The methods routed for a path: GET (and so HEAD) and/or POST; none when there is no such route. */
  const methodsFor = (path: string) =>
    [...new Set(app.routes.filter((r) => r.method !== 'ALL' && routePattern(r.path).test(path)).map((r) => r.method))].sort();
  const isRoute = (path: string) => methodsFor(path).length > 0;

  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const timing = serverTiming(c.req.raw);
    if (timing && !c.res.headers.has('Server-Timing')) c.res.headers.set('Server-Timing', timing);
    // in the worker (bindings present); not when tools and tests in Node run the app without them
    if (c.env) console.log(logLine(c.req.raw, c.req.routePath, c.res.status, Math.round(performance.now() - started)));
  });
  app.use('*', async (c, next) => {
    // OPTIONS only where a route exists: elsewhere it is a 404 like any other method.
    if (c.req.method === 'OPTIONS' && !isRoute(c.req.path)) {
      return errorResponse(404, 'not_found', `no route ${quote(c.req.path)}; see /openapi.json for the endpoints`);
    }
    await next();
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    // Every response names its length, HEAD included (Hono answers HEAD with GET's headers and no body).
    // Image and error responses set it themselves; this covers the small JSON ones.
    if (c.res.body && !c.res.headers.has('Content-Length')) {
      const body = await c.res.arrayBuffer();
      const res = new Response(body, c.res);
      res.headers.set('Content-Length', String(body.byteLength));
      c.res = undefined; // replace, not merge: Hono merges headers into a set c.res otherwise
      c.res = res;
    }
  });
  app.use(
    '*',
    cors({
      origin: '*',
      allowMethods: ALLOWED_METHODS,
      allowHeaders: CORS_REQUEST_HEADERS,
      exposeHeaders: CORS_EXPOSED_HEADERS,
      maxAge: 86400,
    }),
  );
  app.use('*', rateLimit());

  // The demo page is public/ (Workers Static Assets, wrangler.jsonc `assets`), which answers / before the
  // worker runs; this route only sees / when the worker is run without the assets (it then says where the page is).
  app.get('/', (c) => {
    const assets = (c.env as { ASSETS?: { fetch(request: Request): Promise<Response> } } | undefined)?.ASSETS;
    if (assets) return assets.fetch(c.req.raw);
    return errorResponse(404, 'not_found', 'the demo page is served from public/ by Workers Static Assets, which this deployment lacks');
  });
  app.route('/', imageRoutes(registry));
  app.route('/', metaRoutes(registry));
  app.route('/', uploadRoutes(registry));

  // Documented here although Workers Static Assets answer it: its headers come from public/_headers.
  const pageHeaders = {
    'Cache-Control': { schema: { type: 'string' as const }, description: '"public, max-age=300" (public/_headers)' },
    ETag: { schema: { type: 'string' as const }, description: 'the static asset\'s ETag' },
  };
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/',
    operationId: 'getDemoPage',
    tags: ['service'],
    summary: 'The demo page',
    description: 'public/index.html, served by Workers Static Assets with the security headers of public/_headers.',
    responses: {
      200: { description: 'an HTML page that calls this API', headers: pageHeaders, content: { 'text/html': { schema: { type: 'string' } } } },
      304: { description: 'not modified (If-None-Match matched)', headers: pageHeaders },
      ...errorResponses([404]),
    },
  });
  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    tags: ['service'],
    summary: 'This document',
    responses: {
      200: {
        description: 'the OpenAPI 3.1 document',
        headers: { 'Cache-Control': { schema: { type: 'string' }, description: '"public, max-age=300"' } },
        content: { 'application/json': { schema: { type: 'object' } } },
      },
      ...errorResponses([406, 429, 500]),
    },
  });

  let document: string | null = null;
  app.get('/openapi.json', (c) => {
    const unacceptable = requireJson(c.req.header('Accept'));
    if (unacceptable) return unacceptable;
    document ??= JSON.stringify(
      app.getOpenAPI31Document({
        openapi: '3.1.0',
        info: {
          title: 'Latent Digits',
          version: '1',
          description: DESCRIPTION,
          license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
        },
        // relative: the document is right for whatever host serves it, without trusting the Host header
        servers: [{ url: '/', description: 'the host serving this document' }],
        security: [],
        tags: [
          { name: 'images', description: 'generated images' },
          { name: 'uploads', description: 'real digits: uploaded pictures encoded, classified and interpolated' },
          { name: 'service', description: 'what is running, and this document' },
        ],
      }),
    );
    return new Response(document, {
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'public, max-age=300' },
    });
  });

  app.notFound((c) => {
    const path = c.req.path;
    const methods = methodsFor(path);
    if (methods.length) {
      const allowed = [...(methods.includes('GET') ? ['GET', 'HEAD'] : []), ...methods.filter((m) => m !== 'GET'), 'OPTIONS'];
      return errorResponse(405, 'method_not_allowed', `${quote(c.req.method)} is not allowed on ${quote(path)}; use ${methods.join(' or ')}`, {
        headers: { Allow: allowed.join(', ') },
      });
    }
    return errorResponse(404, 'not_found', `no route ${quote(path)}; see /openapi.json for the endpoints`);
  });

  app.onError((err) => {
    if (err instanceof RegistryError) return errorResponse(err.status, err.code, err.message, { parameter: err.parameter });
    if (err instanceof OverloadedError) {
      return errorResponse(503, 'overloaded', err.message, { headers: { 'Retry-After': String(err.retryAfterSeconds) } });
    }
    if (err instanceof ModelsUnavailableError) {
      return errorResponse(503, 'models_unavailable', `models are unavailable: ${err.message}`, {
        headers: { 'Retry-After': String(err.retryAfterSeconds) },
      });
    }
    if (err instanceof DOMException && err.name === 'AbortError') {
      // the client left while its job waited; nobody reads this
      return errorResponse(500, 'internal_error', 'request aborted');
    }
    console.error('unhandled error', err);
    return errorResponse(500, 'internal_error', 'internal error; the request was valid but generation failed');
  });

  return app;
}
