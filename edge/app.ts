/**
 * The HTTP surface of the worker: the image and service routes, /openapi.json generated from the same
 * schemas that validate requests, the demo page at /, CORS for the API's own methods and headers, a
 * per-client rate limit, and JSON for every error.
 */
import { OpenAPIHono } from '@hono/zod-openapi';
import { cors } from 'hono/cors';
import { ModelsUnavailableError, type ModelFiles, type ModelStore } from './inference/model-store';
import { OverloadedError } from './inference/scheduler';
import { errorResponses, HEADERS } from './routes/docs';
import { errorResponse, quote } from './routes/errors';
import { imageRoutes } from './routes/images';
import { metaRoutes, requireJson } from './routes/meta';
import { servePage } from './routes/page';
import { rateLimit, type RateLimitEnv } from './routes/rate-limit';

export interface AppDeps {
  store: ModelStore;
  files: ModelFiles;
  manifest: unknown;
}

export const ALLOWED_METHODS = ['GET', 'HEAD', 'OPTIONS'];
/** Request headers the API reads; preflights allow these and nothing else. */
export const CORS_REQUEST_HEADERS = ['Accept', 'If-None-Match'];
/** Response headers scripts on other origins may read. */
export const CORS_EXPOSED_HEADERS = ['X-Seed', 'X-Seed-From', 'X-Seed-To', 'X-Model-Version', 'ETag', 'Retry-After'];

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

export function createApp({ store, files, manifest }: AppDeps) {
  const app = new OpenAPIHono<{ Bindings: RateLimitEnv }>();
  const routePatterns = () =>
    app.routes.filter((r) => r.method === 'GET').map((r) => routePattern(r.path));
  const isRoute = (path: string) => routePatterns().some((pattern) => pattern.test(path));

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

  app.get('/', (c) => servePage(c.req.raw));
  app.route('/', imageRoutes(store));
  app.route('/', metaRoutes(store, files, manifest));

  app.openAPIRegistry.registerPath({
    method: 'get',
    path: '/',
    operationId: 'getDemoPage',
    tags: ['service'],
    summary: 'The demo page',
    responses: {
      200: {
        description: 'an HTML page that calls this API',
        headers: { 'Cache-Control': { schema: { type: 'string' }, description: '"public, max-age=300"' }, ETag: HEADERS.etag },
        content: { 'text/html': { schema: { type: 'string' } } },
      },
      304: {
        description: 'not modified (If-None-Match matched)',
        headers: { 'Cache-Control': { schema: { type: 'string' }, description: '"public, max-age=300"' }, ETag: HEADERS.etag },
      },
      ...errorResponses([429, 500]),
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
    if (isRoute(path)) {
      return errorResponse(405, 'method_not_allowed', `${quote(c.req.method)} is not allowed on ${quote(path)}; use GET`, {
        headers: { Allow: ALLOWED_METHODS.join(', ') },
      });
    }
    return errorResponse(404, 'not_found', `no route ${quote(path)}; see /openapi.json for the endpoints`);
  });

  app.onError((err) => {
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
