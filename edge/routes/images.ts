/**
 * The image endpoints: /v1/generate, /v1/digits/{digit}, /v1/interpolate. Their schemas validate
 * requests and document them in /openapi.json.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { NOISE_DIM } from '../../core/contract';
import { DATASET_IDS, type DatasetId } from '../../core/manifest';
import type { Registry, RegistryEnv } from '../registry';
import { generateDigits, generateImages, interpolateImages, type Images } from '../inference/sampling';
import { errorResponses, HEADERS, IMAGE_HEADERS } from './docs';
import { invalidParameters } from './errors';
import {
  datasetParam,
  digitPathParam,
  digitQueryParam,
  formatParam,
  nParam,
  scaleParam,
  seedParam,
  spaceParam,
  stepsParam,
  versionParam,
  INTEGER_PARAMETERS,
} from './params';
import { randomSeed, serveImages } from './respond';
import { strictQuery } from './strict-query';

/** How a seed parameter behaves; `header` and `field` say where the response names the seed used. */
const seedDoc = (header: string, field: string) =>
  'Seed of the noise, an integer 0..4294967295. Without it a random seed is drawn, the response names it ' +
  `(${header} header and JSON \`${field}\`) and is not cacheable; with it the response is byte-identical on every call ` +
  '(for a given model version).';

const imageListSchema = z
  .array(z.string().openapi({ format: 'byte', description: 'a 28x28 8-bit greyscale PNG, base64' }))
  .openapi({ description: 'one image per sample, in request order' });
const modelField = z.string().openapi({
  example: 'generator@3f2a9c1b0d4e',
  description:
    'id of the generator model that produced the latent codes (generator or cgan-generator), "@", and the ' +
    'model version (see X-Model-Version): 12 hex digits naming the weights, onnxruntime-web and the encoders.',
});

const seedField = z.number().int().min(0).max(4294967295).openapi({ format: 'int64' });

/** What every JSON body of a model route names: the set's dataset and version. */
export const setFields = {
  dataset: z.enum(DATASET_IDS as [DatasetId, ...DatasetId[]]).openapi({ description: 'the dataset of the model set (X-Dataset)' }),
  version: z.string().openapi({ example: '3f2a9c1b0d4e', description: 'the model version (X-Model-Version)' }),
};
export const classNameField = z.string().openapi({ example: 'Dress', description: "the class's name in the dataset (MNIST: the digit)" });

const samplesJson = z
  .object({ seed: seedField, n: z.number().int(), images: imageListSchema, model: modelField, ...setFields })
  .openapi('Samples');
const digitSamplesJson = z
  .object({ seed: seedField, digit: z.number().int(), class_name: classNameField, n: z.number().int(), images: imageListSchema, model: modelField, ...setFields })
  .openapi('DigitSamples');
const interpolationJson = z
  .object({
    from: seedField,
    to: seedField,
    steps: z.number().int(),
    space: z.enum(['noise', 'latent']),
    digit_from: z.number().int().optional(),
    digit_to: z.number().int().optional(),
    class_name_from: classNameField.optional(),
    class_name_to: classNameField.optional(),
    images: imageListSchema,
    model: modelField,
    ...setFields,
  })
  .openapi('Interpolation');

const seedHeader = {
  schema: { type: 'integer' as const, format: 'int64', minimum: 0, maximum: 4294967295 },
  description: 'the seed used (given or drawn)',
};

function imageResponses(json: z.ZodType, seedHeaders: Record<string, unknown>) {
  const cached = { ...seedHeaders, ...IMAGE_HEADERS };
  return {
    200: {
      description: 'the images',
      headers: { ...cached, 'Content-Length': HEADERS.contentLength },
      content: {
        'image/png': { schema: z.string().openapi({ format: 'binary' }) },
        'application/json': { schema: json },
      },
    },
    304: { description: 'not modified: If-None-Match matched the ETag (answered without model work)', headers: cached },
    ...errorResponses([400, 404, 406, 410, 429, 500, 503]),
  } as const;
}

const sampleQuery = { n: nParam, seed: seedParam('seed', seedDoc('X-Seed', 'seed')), format: formatParam, scale: scaleParam, v: versionParam, dataset: datasetParam };

const generateRoute = createRoute({
  method: 'get',
  path: '/v1/generate',
  operationId: 'generateImages',
  tags: ['images'],
  summary: 'Unconditional samples of the latent GAN',
  description:
    `Image i is decoder(generator(row i of noiseForSeed(seed, n, ${NOISE_DIM}))): standard-normal noise from the ` +
    'project\'s seeded RNG (core/rng.ts) -> generator.f16.onnx -> latent code -> decoder.f16.onnx -> 784 pixels in ' +
    '[0,1] -> bytes by round(v*255) (core/png.ts toByte).',
  request: { query: z.object(sampleQuery) },
  responses: imageResponses(samplesJson, { 'X-Seed': seedHeader }),
});

const digitsRoute = createRoute({
  method: 'get',
  path: '/v1/digits/{digit}',
  operationId: 'generateDigits',
  tags: ['images'],
  summary: 'Samples of one digit from the conditional GAN',
  description:
    `Image i is decoder(cgan-generator(row i of noiseForSeed(seed, n, ${NOISE_DIM}), one-hot(digit))); ` +
    'the same noise rows as /v1/generate with the same seed.',
  request: {
    params: z.object({ digit: digitPathParam('digit', 'The digit to draw, 0..9.') }),
    query: z.object(sampleQuery),
  },
  // 404: the path matches the template but is not the route, e.g. /v1/digits/%33 (paths are not percent-decoded)
  responses: { ...imageResponses(digitSamplesJson, { 'X-Seed': seedHeader }), ...errorResponses([404]) },
});

const interpolateRoute = createRoute({
  method: 'get',
  path: '/v1/interpolate',
  operationId: 'interpolate',
  tags: ['images'],
  summary: 'A path of images between two samples',
  description:
    'The endpoints are the samples of seeds `from` and `to`: endpoint noise is noiseForSeed(seed, 1, 32), i.e. ' +
    'image 0 of /v1/generate (or /v1/digits) for that seed. Step i of `steps` uses t = i/(steps-1) and ' +
    'v_i = (1-t)*a + t*b computed in float64 and rounded to float32. space=noise (default) interpolates the noise ' +
    '(and, for digit walks, the one-hot labels, so the label input is a mix of two digits midway) and runs every ' +
    'step through the generator; space=latent interpolates the two endpoints\' latent codes instead. ' +
    'With digit_from and/or digit_to (a missing one defaults to the other) the path walks between conditional ' +
    'samples, e.g. a 3 morphing into an 8.',
  request: {
    query: z.object({
      from: seedParam('from', 'Seed of the first image. ' + seedDoc('X-Seed-From', 'from')),
      to: seedParam('to', 'Seed of the last image. ' + seedDoc('X-Seed-To', 'to')),
      steps: stepsParam,
      space: spaceParam,
      digit_from: digitQueryParam('digit_from', 'Digit of the first image (conditional walk), 0..9.'),
      digit_to: digitQueryParam('digit_to', 'Digit of the last image (conditional walk), 0..9.'),
      format: formatParam,
      scale: scaleParam,
      v: versionParam,
      dataset: datasetParam,
    }),
  },
  responses: imageResponses(interpolationJson, { 'X-Seed-From': seedHeader, 'X-Seed-To': seedHeader }),
});

const SAMPLE_QUERY = ['n', 'seed', 'format', 'scale', 'v', 'dataset'];
const INTERPOLATE_QUERY = ['from', 'to', 'steps', 'space', 'digit_from', 'digit_to', 'format', 'scale', 'v', 'dataset'];

export function imageRoutes(registry: Registry) {
  const app = new OpenAPIHono<{ Bindings: RegistryEnv }>({
    defaultHook: (result) => (result.success ? undefined : invalidParameters(result.error.issues)),
  });
  app.use('/v1/generate', strictQuery({ allowed: SAMPLE_QUERY, integers: INTEGER_PARAMETERS }));
  app.use('/v1/digits/*', strictQuery({ allowed: SAMPLE_QUERY, integers: INTEGER_PARAMETERS }));
  // GET only: POST /v1/interpolate (uploads.ts) takes other parameters
  app.use('/v1/interpolate', strictQuery({ allowed: INTERPOLATE_QUERY, integers: INTEGER_PARAMETERS, methods: ['GET', 'HEAD'] }));

  app.openapi(generateRoute, async (c) => {
    const q = c.req.valid('query');
    const seed = q.seed ?? randomSeed();
    const n = q.n ?? 1;
    return serveImages(c, await registry.resolve(c.env, q.dataset, q.v), {
      route: 'generate',
      needs: ['generator', 'decoder'],
      format: q.format,
      pinned: q.v,
      scale: q.scale ?? 1,
      count: n,
      rows: 2 * n,
      fields: { seed, n },
      seedHeaders: { 'X-Seed': String(seed) },
      seeded: q.seed !== undefined,
      render: (models) => generateImages(models, seed, n),
    }) as never;
  });

  app.openapi(digitsRoute, async (c) => {
    const { digit } = c.req.valid('param');
    const q = c.req.valid('query');
    const seed = q.seed ?? randomSeed();
    const n = q.n ?? 1;
    const set = await registry.resolve(c.env, q.dataset, q.v);
    return serveImages(c, set, {
      route: 'digits',
      needs: ['cgan-generator', 'decoder'],
      format: q.format,
      pinned: q.v,
      scale: q.scale ?? 1,
      count: n,
      rows: 2 * n,
      fields: { seed, digit, class_name: set.classes[digit], n },
      seedHeaders: { 'X-Seed': String(seed) },
      seeded: q.seed !== undefined,
      render: (models) => generateDigits(models, digit, seed, n),
    }) as never;
  });

  app.openapi(interpolateRoute, async (c) => {
    const q = c.req.valid('query');
    const from = q.from ?? randomSeed();
    const to = q.to ?? randomSeed();
    const steps = q.steps ?? 8;
    const space = q.space ?? 'noise';
    const digitFrom = q.digit_from ?? q.digit_to;
    const digitTo = q.digit_to ?? q.digit_from;
    const digits = digitFrom !== undefined && digitTo !== undefined ? { from: digitFrom, to: digitTo } : undefined;
    const set = await registry.resolve(c.env, q.dataset, q.v);
    return serveImages(c, set, {
      route: 'interpolate',
      needs: digits ? ['cgan-generator', 'decoder'] : ['generator', 'decoder'],
      format: q.format,
      pinned: q.v,
      scale: q.scale ?? 1,
      count: steps,
      rows: 2 * steps,
      fields: {
        from,
        to,
        steps,
        space,
        ...(digits
          ? { digit_from: digits.from, digit_to: digits.to, class_name_from: set.classes[digits.from], class_name_to: set.classes[digits.to] }
          : {}),
      },
      seedHeaders: { 'X-Seed-From': String(from), 'X-Seed-To': String(to) },
      seeded: q.from !== undefined && q.to !== undefined,
      render: (models): Promise<Images> => interpolateImages(models, { from, to, steps, space, digits }),
    }) as never;
  });

  return app;
}
