/** What the service is running: /v1/models (the datasets, their channels and versions, the default manifest) and /health. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { DATASET_IDS, historyEntry, manifestSchema, type DatasetId } from '../../core/manifest';
import type { Registry, RegistryEnv } from '../registry';
import { errorResponses, HEADERS } from './docs';
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

const datasetSchema = z
  .object({
    id: z.enum(DATASET_IDS as [DatasetId, ...DatasetId[]]),
    title: z.string().openapi({ example: 'MNIST digits' }),
    classes: z.array(z.string()).openapi({ description: 'class names by class id 0..9', example: ['T-shirt/top', 'Trouser'] }),
    channel: z.string().nullable().openapi({ description: 'the version unpinned requests of this dataset get (null: none promoted yet)' }),
    versions: z.array(
      z.object({
        version: z.string(),
        run_id: z.string(),
        created_at: z.string(),
        quality_gate: manifestSchema.shape.quality_gate.unwrap().nullable(),
        metrics: z.record(z.string(), z.unknown()),
      }),
    ),
    history: z.array(historyEntry).openapi({ description: 'publishes, promotes (forced ones marked), rollbacks and deletions, oldest first' }),
  })
  .openapi('Dataset');

const manifestResponse = manifestSchema
  .extend({ datasets: z.array(datasetSchema), served: servedSchema })
  .openapi('Manifest');

const healthSchema = z
  .object({
    status: z.literal('ok'),
    dataset: z.string().openapi({ description: 'the default dataset, whose channel model_version is' }),
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
    '`datasets`: every dataset with its class names, its channel (the version served without `v`), every retained ' +
    'version with its quality gate and metrics, and the channel history. Then the manifest of the default dataset\'s ' +
    'channel version (model ids, files, sha256, metrics of the training run), plus `served`: the files this worker ' +
    'runs for it and the model version that appears in `model`, X-Model-Version and ETags. Answers 503 exactly when /health does.',
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

export function metaRoutes(registry: Registry) {
  const app = new OpenAPIHono<{ Bindings: RegistryEnv }>();
  app.use('/v1/models', strictQuery({ allowed: [] }));

  app.openapi(modelsRoute, async (c) => {
    const unacceptable = requireJson(c.req.header('Accept'));
    if (unacceptable) return unacceptable as never;
    const set = await registry.resolve(c.env, undefined);
    const { version, models: ids } = await set.store.load(); // 503 while /health says 503
    const datasets = await registry.list(c.env);
    const files = Object.fromEntries(ids.map((id) => [id, set.manifest.models[`${id}.f16`]?.file ?? `${id}.f16.onnx`]));
    c.header('Cache-Control', 'public, max-age=300');
    c.header('X-Model-Version', version);
    c.header('X-Dataset', set.dataset);
    return c.json({ datasets, ...set.manifest, served: { version, files } } as z.infer<typeof manifestResponse>, 200);
  });

  app.openapi(healthRoute, async (c) => {
    const set = await registry.resolve(c.env, undefined);
    const models = await set.store.load(); // a failure becomes 503 JSON in the app's error handler
    const body = {
      status: 'ok' as const,
      dataset: set.dataset,
      model_version: models.version,
      run_id: set.manifest.run_id,
      models: [...models.models],
    };
    c.header('Cache-Control', 'no-store');
    return c.json(body, 200);
  });

  return app;
}
