/** What the service is running: /v1/models (the manifest) and /health. */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { manifestSchema } from '../../core/manifest';
import { EDGE_MODEL_IDS, modelVersion, type ModelFiles, type ModelStore } from '../inference/model-store';
import { errorBody, errorBodySchema } from './errors';

const modelsRoute = createRoute({
  method: 'get',
  path: '/v1/models',
  tags: ['service'],
  summary: 'The model manifest',
  description:
    'models/manifest.json as deployed (model ids, files, sha256, metrics of the training run), plus `served`: ' +
    'the files this worker runs and the model version that appears in `model`, X-Model-Version and ETags.',
  responses: {
    200: {
      description: 'the manifest',
      content: { 'application/json': { schema: z.object({}).passthrough().openapi('Manifest') } },
    },
    503: { description: 'the bundled manifest is invalid', content: { 'application/json': { schema: errorBodySchema } } },
  },
});

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['service'],
  summary: 'Whether the models are loaded and serving',
  description: 'Loads the models if they are not loaded yet (and retries a failed load).',
  responses: {
    200: {
      description: 'serving',
      content: {
        'application/json': {
          schema: z
            .object({
              status: z.literal('ok'),
              model_version: z.string(),
              run_id: z.string().nullable(),
              models: z.array(z.string()),
            })
            .openapi('Health'),
        },
      },
    },
    503: { description: 'models could not be loaded', content: { 'application/json': { schema: errorBodySchema } } },
  },
});

export function metaRoutes(store: ModelStore, files: ModelFiles, manifest: unknown) {
  const app = new OpenAPIHono();
  const parsed = manifestSchema.safeParse(manifest);
  let version: Promise<string> | null = null;

  app.openapi(modelsRoute, async (c) => {
    if (!parsed.success) {
      c.header('Cache-Control', 'no-store');
      return c.json(errorBody('models_unavailable', `models/manifest.json is invalid: ${parsed.error.message}`), 503);
    }
    version ??= modelVersion(files);
    const served = {
      version: await version,
      files: Object.fromEntries(EDGE_MODEL_IDS.map((id) => [id, files[id].file])),
    };
    c.header('Cache-Control', 'public, max-age=300');
    return c.json({ ...(manifest as Record<string, unknown>), served }, 200);
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
