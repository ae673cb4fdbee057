/** What the service is running: /v1/models (the manifest) and /health. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { manifestSchema } from '../../core/manifest';
import { EDGE_MODEL_IDS, type ModelFiles, type ModelStore } from '../inference/model-store';
import { errorResponses, HEADERS } from './docs';
import { errorResponse } from './errors';
import { JSON_OFFER, negotiate } from './negotiate';
import { notAcceptable } from './respond';
import { strictQuery } from './strict-query';

const servedSchema = z
  .object({
    version: z.string().openapi({ description: 'the model version (X-Model-Version)', example: '3f2a9c1b0d4e' }),
    files: z.record(z.string(), z.string()).openapi({
      description: 'edge model id -> the ONNX file this worker runs',
      example: { generator: 'generator.f16.onnx' },
    }),
  })
  .openapi('Served');

const manifestResponse = manifestSchema.extend({ served: servedSchema }).openapi('Manifest');

const healthSchema = z
  .object({
    status: z.literal('ok'),
    model_version: z.string(),
    run_id: z.string().nullable(),
    models: z.array(z.string()),
  })
  .openapi('Health');

const modelsRoute = createRoute({
  method: 'get',
  path: '/v1/models',
  operationId: 'getModels',
  tags: ['service'],
  summary: 'The model manifest',
  description:
    'models/manifest.json as deployed (model ids, files, sha256, metrics of the training run), plus `served`: ' +
    'the files this worker runs and the model version that appears in `model`, X-Model-Version and ETags. ' +
    'Answers 503 exactly when /health does.',
  responses: {
    200: {
      description: 'the manifest',
      headers: { 'Cache-Control': { schema: { type: 'string' }, description: '"public, max-age=300"' }, 'X-Model-Version': HEADERS.modelVersion },
      content: { 'application/json': { schema: manifestResponse } },
    },
    ...errorResponses([400, 406, 429, 500, 503]),
  },
});

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  operationId: 'getHealth',
  tags: ['service'],
  summary: 'Whether the models are loaded and serving',
  description:
    'Never queued behind model work and never rate limited. Starts loading the models if they are not loaded; ' +
    'after a failed load the next attempt waits 1 s, 2 s, 4 s, ... up to 60 s (Retry-After says how long).',
  responses: {
    200: {
      description: 'serving',
      headers: { 'Cache-Control': { schema: { type: 'string' }, description: '"no-store"' } },
      content: { 'application/json': { schema: healthSchema } },
    },
    ...errorResponses([500, 503]),
  },
});

/** 406 unless the client accepts JSON. */
export function requireJson(accept: string | undefined): Response | null {
  return negotiate(accept, [JSON_OFFER]) < 0 ? notAcceptable(accept, ['application/json']) : null;
}

export function metaRoutes(store: ModelStore, files: ModelFiles, manifest: unknown) {
  const app = new OpenAPIHono();
  const parsed = manifestSchema.safeParse(manifest);
  app.use('/v1/models', strictQuery({ allowed: [] }));

  app.openapi(modelsRoute, async (c) => {
    const unacceptable = requireJson(c.req.header('Accept'));
    if (unacceptable) return unacceptable as never;
    if (!parsed.success) {
      console.error('models/manifest.json is invalid:', parsed.error.message);
      return errorResponse(503, 'models_unavailable', 'models/manifest.json is invalid', {
        headers: { 'Retry-After': '60' },
      }) as never;
    }
    const { version } = await store.load(); // 503 while /health says 503
    const served = { version, files: Object.fromEntries(EDGE_MODEL_IDS.map((id) => [id, files[id].file])) };
    c.header('Cache-Control', 'public, max-age=300');
    c.header('X-Model-Version', version);
    return c.json({ ...(manifest as Record<string, unknown>), served } as z.infer<typeof manifestResponse>, 200);
  });

  app.openapi(healthRoute, async (c) => {
    const models = await store.load(); // a failure becomes 503 JSON in the app's error handler
    const body = {
      status: 'ok' as const,
      model_version: models.version,
      run_id: parsed.success ? parsed.data.run_id : null,
      models: [...EDGE_MODEL_IDS],
    };
    c.header('Cache-Control', 'no-store');
    return c.json(body, 200);
  });

  return app;
}
