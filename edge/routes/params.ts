/**
 * Request parameters: one zod schema per parameter, used both to validate requests and to generate
 * /openapi.json, so the document cannot drift from what the worker accepts. Query values arrive as
 * strings; every schema checks the raw string and its error message names the parameter, the bad value
 * and the allowed range (`n must be an integer 1..64, got "abc"`).
 */
import { z } from '@hono/zod-openapi';
import { DATASET_IDS, DEFAULT_DATASET, VERSION_PATTERN } from '../../core/manifest';
import { quote } from './errors';

export const MAX_IMAGES = 64;
export const MAX_STEPS = 32;
export const MAX_SEED = 0xffffffff;
export const MAX_SCALE = 8;
export const FORMATS = ['png', 'json'] as const;
export type Format = (typeof FORMATS)[number];
export const SPACES = ['noise', 'latent'] as const;
export type Space = (typeof SPACES)[number];

const shown = quote;

const DECIMAL = /^[0-9]+$/;
/** The one spelling of each integer: no sign, no leading zeros. Other spellings would be other cache keys. */
const CANONICAL = /^(0|[1-9][0-9]*)$/;

/**
 * A decimal integer in min..max given as a query or path string, written canonically (`7`, not `007`).
 * Percent-encoded digits (`%37`) are refused before this, by strict-query.ts, which sees the raw URL.
 */
function integer(name: string, min: number, max: number) {
  const rule = `${name} must be an integer ${min}..${max}`;
  return z
    .string({ error: (issue) => `${rule}, got ${shown(issue.input)}` })
    .superRefine((raw, ctx) => {
      if (!DECIMAL.test(raw) || Number(raw) < min || Number(raw) > max) {
        ctx.addIssue({ code: 'custom', message: `${rule}, got ${shown(raw)}` });
      } else if (!CANONICAL.test(raw)) {
        ctx.addIssue({ code: 'custom', message: `${rule} without leading zeros (${Number(raw)}), got ${shown(raw)}` });
      }
    })
    .transform(Number);
}

function oneOf<const T extends readonly [string, ...string[]]>(name: string, values: T) {
  const rule = `${name} must be one of ${values.join(', ')}`;
  return z.enum(values, { error: (issue) => `${rule}, got ${shown(issue.input)}` });
}

/** The model version a URL pins: 12 lowercase hex digits, as in X-Model-Version. */
export { VERSION_PATTERN };

export const versionParam = z
  .string({ error: (issue) => `v must be a model version (12 hex digits), got ${shown(issue.input)}` })
  .regex(VERSION_PATTERN, { error: (issue) => `v must be a model version (12 hex digits), got ${shown(issue.input)}` })
  .optional()
  .openapi({
    param: { name: 'v', in: 'query' },
    type: 'string',
    pattern: VERSION_PATTERN.source,
    example: '3f2a9c1b0d4e',
    description:
      'The model version the URL is for (X-Model-Version, /health `model_version`). With v and every seed given the ' +
      'response is `immutable` for a year; without v it may be cached for 5 minutes and revalidated by ETag. ' +
      'v serves exactly that version of the dataset for as long as the registry retains it (see /v1/models for the ' +
      'versions): an unknown version is a 404 unknown_version naming the served one, a deleted one a 410 version_deleted.',
  });

/**
 * The dataset a model route serves. Validated by the registry, not here: an unknown dataset is a 404
 * unknown_dataset listing the datasets (the API contract), not a 400.
 */
export const datasetParam = z
  .string()
  .optional()
  .openapi({
    param: { name: 'dataset', in: 'query' },
    type: 'string',
    enum: DATASET_IDS,
    default: DEFAULT_DATASET,
    example: 'fashion-mnist',
    description:
      `The model set's dataset: ${DATASET_IDS.join(' or ')} (default ${DEFAULT_DATASET}). Class ids are 0..9 in both; ` +
      'JSON responses name the class (`class_name`) and every response names dataset and version (X-Dataset, ' +
      'X-Model-Version). An unknown dataset is a 404 unknown_dataset listing them.',
  });

const integerDoc = (min: number, max: number, extra: Record<string, unknown>) => ({
  type: 'integer' as const,
  minimum: min,
  maximum: max,
  ...extra,
});

export const seedParam = (name: string, description: string) =>
  integer(name, 0, MAX_SEED)
    .optional()
    .openapi({
      param: { name, in: 'query' },
      ...integerDoc(0, MAX_SEED, { example: 42, format: 'int64' }),
      description,
    });

export const nParam = integer('n', 1, MAX_IMAGES)
  .optional()
  .openapi({
    param: { name: 'n', in: 'query' },
    ...integerDoc(1, MAX_IMAGES, { default: 1, example: 16 }),
    description: `How many images, 1..${MAX_IMAGES} (default 1). Image i of a seed is the same whatever n is.`,
  });

export const stepsParam = integer('steps', 2, MAX_STEPS)
  .optional()
  .openapi({
    param: { name: 'steps', in: 'query' },
    ...integerDoc(2, MAX_STEPS, { default: 8 }),
    description: `Images on the path, first and last included, 2..${MAX_STEPS} (default 8).`,
  });

export const scaleParam = integer('scale', 1, MAX_SCALE)
  .optional()
  .openapi({
    param: { name: 'scale', in: 'query' },
    ...integerDoc(1, MAX_SCALE, { default: 1 }),
    description:
      `Nearest-neighbour enlargement of each 28x28 tile in the PNG grid, 1..${MAX_SCALE} (default 1). ` +
      'JSON images are always 28x28.',
  });

export const formatParam = oneOf('format', FORMATS)
  .optional()
  .openapi({
    param: { name: 'format', in: 'query' },
    description:
      'png (default): one PNG grid, 8 tiles per row, no gaps, tiles in request order. ' +
      'json: the same images as base64 28x28 greyscale PNGs in a JSON body, whose fields the operation\'s ' +
      'application/json schema lists. Wins over Accept. Without format, Accept decides by ' +
      'q-values between image/png (preferred on a tie) and application/json; if it allows neither the answer is 406.',
  });

export const spaceParam = oneOf('space', SPACES)
  .optional()
  .openapi({
    param: { name: 'space', in: 'query' },
    description:
      'noise (default): interpolate the generator input noise and run every step through the generator. ' +
      'latent: run the two endpoints through the generator and interpolate their latent codes before decoding.',
  });

export const digitPathParam = (name: string, description: string) =>
  integer(name, 0, 9).openapi({ param: { name, in: 'path' }, ...integerDoc(0, 9, { example: 3 }), description });

/** Every query parameter name of the API, for suggestions when a name is unknown. */
export const QUERY_PARAMETERS = ['n', 'seed', 'format', 'scale', 'from', 'to', 'steps', 'space', 'digit_from', 'digit_to', 'v', 'dataset'];
/** Query parameters whose values are integers: their raw spelling must be plain digits. */
export const INTEGER_PARAMETERS = ['n', 'seed', 'scale', 'from', 'to', 'steps', 'digit_from', 'digit_to'];

export const digitQueryParam = (name: string, description: string) =>
  integer(name, 0, 9)
    .optional()
    .openapi({ param: { name, in: 'query' }, ...integerDoc(0, 9, { example: 3 }), description });
