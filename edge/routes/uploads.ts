/**
 * The upload endpoints, real digits into the autoencoder's latent space: POST /v1/encode, POST /v1/classify
 * and POST /v1/interpolate. Each upload is decoded (edge/encoding/image-input.ts), normalised the way the
 * set's dataset was made (edge/encoding/normalise.ts), encoded and classified. Responses are never cached (`no-store`) and
 * nothing is kept. The bodies are read by hand (edge/routes/upload-body.ts) rather than by the OpenAPI
 * validators, so the size limit holds before a body is read; the routes are still documented in
 * /openapi.json from the schemas below.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { IMAGE_PIXELS, NUM_CLASSES } from '../../core/contract';
import { DATASETS } from '../../core/manifest';
import { gridPng } from '../../core/png';
import { IMAGE_TYPES, ImageInputError, MAX_SIDE, MAX_UPLOAD_BYTES, inspectImage, type ImageType } from '../encoding/image-input';
import { encodeGrid, encodeTiles } from '../encoding/images';
import { decodeJpegWasm } from '../encoding/jpeg';
import { DegenerateImageError, NoInkError, normaliseDigit, type NormalisedDigit } from '../encoding/normalise';
import { addCost, type LoadedModels } from '../inference/model-store';
import { requireModels, type ModelSet, type Registry, type RegistryEnv } from '../registry';
import { decodeLatents } from '../inference/sampling';
import {
  CLASSIFIER_CHOICES,
  CLASSIFIER_MODEL,
  classifierChoices,
  classifyImages,
  decodePath,
  digitsOfLatents,
  encodeImages,
  latentOfEnd,
  recogniseImages,
  type ClassifierChoice,
  type PathEnd,
} from '../inference/recognition';
import { estimateCost, yieldToEventLoop } from '../inference/scheduler';
import { errorResponses, HEADERS } from './docs';
import { errorResponse, invalidParameters, quote } from './errors';
import { requireJson } from './meta';
import { JSON_CONTENT_TYPE, JSON_OFFER, negotiate, type Offer } from './negotiate';
import { datasetParam, digitQueryParam, formatParam, scaleParam, seedParam, stepsParam, versionParam, type Format } from './params';
import { chooseFormat, notAcceptable, randomSeed, setHeaders } from './respond';
import { requestLog } from './request-log';
import { nearest, strictQuery } from './strict-query';
import { isImageType, mediaType, readBody, readImageBody, unsupportedType } from './upload-body';

/** multipart or JSON bodies carry two images (JSON as base64, 4/3 larger) and a little framing */
export const MAX_PAIR_BYTES = Math.ceil((2 * MAX_UPLOAD_BYTES * 4) / 3) + 64 * 1024;
const PAIR_TYPES = ['multipart/form-data', 'application/json', ...IMAGE_TYPES] as const;

const NO_STORE = 'no-store';

/** The dataset and pin every upload route takes (edge/registry/ resolves them, as for the image routes). */
const SET_PARAMS = { dataset: datasetParam, v: versionParam };

// ---- documentation -------------------------------------------------------------------------------

const imageBodyDoc = {
  description:
    `One PNG or JPEG picture of a single digit, at most ${MAX_SIDE}x${MAX_SIDE} pixels and ${MAX_UPLOAD_BYTES / 1024 / 1024} MB, ` +
    'grey or colour, with or without alpha (any bit depth; an animated PNG gives its default image). Dark ink on ' +
    'a light background and light ink on a dark one both work.',
  required: true,
  content: Object.fromEntries(IMAGE_TYPES.map((t) => [t, { schema: z.string().openapi({ format: 'binary' }) }])),
};

const probabilitiesSchema = z
  .array(z.number())
  .length(NUM_CLASSES)
  .openapi({ description: 'softmax of the classifier that read the digit (see `classifier`), index = digit' });

const classifierParam = z
  .enum(CLASSIFIER_CHOICES, { error: (issue) => `classifier must be one of ${CLASSIFIER_CHOICES.join(', ')}, got ${quote(issue.input)}` })
  .optional()
  .openapi({
    param: { name: 'classifier', in: 'query' },
    description:
      'Which classifier reads the digit. recognizer (default where the model set has one): a pixel classifier trained on all ' +
      "MNIST labels and on printed fonts, with augmentation, for people's and printed digits (recognizer.f16.onnx). study: the " +
      "study's 50-label semi-supervised classifier on latent codes (classifier.f16.onnx). A set without a recognizer uses study, " +
      'and answers 400 to classifier=recognizer. Accuracies of both on MNIST and on a font test set: metrics.recognizer in /v1/models.',
  });

// Each route's parameters, built once: the routes document them and parseParams validates against the same
// objects. (Built per request, as they were, zod spent ~0.6 ms building the interpolate route's in Node without code
// generation, as in workerd; parsing against a built one takes ~0.02 ms.)
const CLASSIFY_QUERY = z.object({ classifier: classifierParam, ...SET_PARAMS });
const ENCODE_QUERY = z.object({ format: formatParam, scale: scaleParam, classifier: classifierParam, ...SET_PARAMS });
const INTERPOLATE_QUERY = z.object({
  steps: stepsParam,
  to_digit: digitQueryParam('to_digit', 'End the path at a conditional sample of this digit, 0..9.'),
  to_seed: seedParam('to_seed', 'End the path at the unconditional sample of this seed (image 0 of /v1/generate?seed=).'),
  seed: seedParam('seed', 'to_digit only: seed of the conditional sample (default: random, named in X-Seed).'),
  format: formatParam,
  scale: scaleParam,
  ...SET_PARAMS,
});

const uploadModelField = (id: string) =>
  z.string().openapi({ example: `${id}@3f2a9c1b0d4e`, description: `"${id}@" and the model version (see X-Model-Version)` });

const classificationJson = z
  .object({
    digit: z.number().int().min(0).max(9),
    probabilities: probabilitiesSchema,
    model: uploadModelField('recognizer').openapi({
      description: '"recognizer@" or (classifier=study) "classifier@", and the model version (see X-Model-Version)',
    }),
  })
  .openapi('Classification');

const encodingJson = z
  .object({
    latent: z
      .array(z.number())
      .min(1)
      .openapi({ description: "the encoder's code of the normalised input: as many numbers as the set's latent width (16 or 32, see /v1/models)" }),
    input: z.string().openapi({ format: 'byte', description: 'the normalised 28x28 input the encoder saw, greyscale PNG, base64' }),
    reconstruction: z.string().openapi({ format: 'byte', description: 'decoder(latent), 28x28 greyscale PNG, base64' }),
    digit: z.number().int().min(0).max(9),
    probabilities: probabilitiesSchema,
    inverted: z.boolean().openapi({ description: 'the background was light, so the picture was inverted to white ink on black' }),
    ink_box: z
      .object({ x: z.number().int(), y: z.number().int(), width: z.number().int(), height: z.number().int() })
      .openapi({ description: 'bounding box of the ink in the uploaded picture as shown (after its EXIF orientation), in its pixels' }),
    source: z
      .object({ type: z.enum(IMAGE_TYPES), width: z.number().int(), height: z.number().int() })
      .openapi({ description: 'the uploaded picture as shown: width and height after its EXIF orientation' }),
    classifier: uploadModelField('recognizer').openapi({
      description: 'the classifier behind digit and probabilities: "recognizer@" or (classifier=study) "classifier@", and the model version',
    }),
    model: uploadModelField('encoder'),
  })
  .openapi('Encoding');

const uploadInterpolationJson = z
  .object({
    steps: z.number().int(),
    to_digit: z.number().int().optional(),
    to_seed: z.number().int().optional(),
    seed: z.number().int().optional().openapi({ description: 'to_digit only: seed of the conditional sample' }),
    from_digit: z.number().int().openapi({ description: 'the classifier\'s reading of the `from` image' }),
    images: z.array(z.string().openapi({ format: 'byte' })).openapi({ description: 'the path, 28x28 greyscale PNGs, base64' }),
    model: uploadModelField('decoder'),
  })
  .openapi('UploadInterpolation');

/** The error responses of an upload operation (descriptions in docs.ts; the limits are in the body's description). */
const UPLOAD_ERRORS = [400, 404, 406, 410, 413, 415, 429, 500, 503] as const;

const noStoreHeaders = {
  'Cache-Control': { schema: { type: 'string' as const }, description: 'always "no-store": uploads are not cached or kept' },
  'X-Model-Version': HEADERS.modelVersion,
  'Content-Length': HEADERS.contentLength,
};

const NORMALISATION =
  'The picture is turned upright by its EXIF orientation (JPEG APP1, PNG eXIf) and normalised the way MNIST ' +
  'was made: transparent pixels over a backdrop that contrasts with ' +
  'the ink, grey (Rec. 601 luma), inverted when the border is light, background floor to 0 and strongest ink to 1, ' +
  'cropped to the ink, longest side fitted to 20 px by area averaging, centre of mass at (14, 14) of 28x28. ' +
  'For dataset=fashion-mnist the last two steps are the way Fashion-MNIST was made: longest side fitted to 28 px, the box centred.';

const encodeRoute = createRoute({
  method: 'post',
  path: '/v1/encode',
  operationId: 'encodeUpload',
  tags: ['uploads'],
  summary: 'Encode a picture of a digit into the latent space',
  description:
    `${NORMALISATION} Returns the latent code (the set's width: 16 or 32 numbers), the normalised input and its reconstruction, and the classification. ` +
    'format=png returns [input | reconstruction] as one PNG instead.',
  request: {
    query: ENCODE_QUERY,
    body: imageBodyDoc,
  },
  responses: {
    200: {
      description: 'the encoding',
      headers: { ...noStoreHeaders, Vary: HEADERS.vary },
      content: { 'application/json': { schema: encodingJson }, 'image/png': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    ...errorResponses(UPLOAD_ERRORS),
  },
});

const classifyRoute = createRoute({
  method: 'post',
  path: '/v1/classify',
  operationId: 'classifyUpload',
  tags: ['uploads'],
  summary: 'Which digit a picture shows',
  description:
    `${NORMALISATION} By default the recognizer reads it (a pixel classifier trained on all labels with augmentation and ` +
    "printed fonts); classifier=study asks the study's 50-label classifier instead (latent code -> probabilities). `model` " +
    'names the one used. How both were made and how they score on MNIST and on fonts: models/REPORT.md, metrics.recognizer in /v1/models.',
  request: { query: CLASSIFY_QUERY, body: imageBodyDoc },
  responses: {
    200: { description: 'the classification', headers: noStoreHeaders, content: { 'application/json': { schema: classificationJson } } },
    ...errorResponses(UPLOAD_ERRORS),
  },
});

const interpolateRoute = createRoute({
  method: 'post',
  path: '/v1/interpolate',
  operationId: 'interpolateUpload',
  tags: ['uploads'],
  summary: 'A path through the latent space from an uploaded digit',
  description:
    'From the encoding of the `from` image to the encoding of the `to` image, or to a conditional sample of ' +
    '`to_digit` (image 0 of /v1/digits/{to_digit}?seed=`seed`), or to an unconditional sample (image 0 of ' +
    '/v1/generate?seed=`to_seed`): `steps` latent codes on the straight line (core/interpolate.ts), decoded. The first ' +
    'frame is the reconstruction of `from`, the last the reconstruction of `to` (or the sample). Images come as ' +
    'multipart/form-data file parts `from` and `to`, or JSON `{"from": base64, "to": base64}`, or one image/png or ' +
    'image/jpeg body (the `from` image, with to_digit or to_seed). Parameters go in the query, or as multipart ' +
    `text fields / JSON members of the same names (a multipart or JSON body: at most ${MAX_PAIR_BYTES} bytes, each image at most ` +
    `${MAX_UPLOAD_BYTES}). format=png (default) is one strip, 8 tiles per row, like GET ` +
    `/v1/interpolate. ${NORMALISATION}`,
  request: {
    query: INTERPOLATE_QUERY,
    body: {
      required: true,
      content: {
        'multipart/form-data': {
          schema: z.object({
            from: z.string().openapi({ format: 'binary', description: 'PNG or JPEG' }),
            to: z.string().optional().openapi({ format: 'binary', description: 'PNG or JPEG; or give to_digit or to_seed' }),
          }),
        },
        'application/json': {
          schema: z.object({
            from: z.string().openapi({ format: 'byte', description: 'PNG or JPEG, base64' }),
            to: z.string().optional().openapi({ format: 'byte', description: 'PNG or JPEG, base64; or give to_digit or to_seed' }),
          }),
        },
        ...imageBodyDoc.content,
      },
    },
  },
  responses: {
    200: {
      description: 'the path',
      headers: { ...noStoreHeaders, Vary: HEADERS.vary, 'X-Seed': { schema: { type: 'string' as const }, description: 'to_digit only: the seed of the conditional sample' } },
      content: {
        'image/png': { schema: z.string().openapi({ format: 'binary' }) },
        'application/json': { schema: uploadInterpolationJson },
      },
    },
    ...errorResponses(UPLOAD_ERRORS),
  },
});

// ---- parameters ----------------------------------------------------------------------------------

type Shape = Record<string, z.ZodType>;

/** Validates string parameters against `schema`; unknown names are refused, naming what is accepted. */
function parseParams<S extends Shape>(params: Record<string, string>, schema: z.ZodObject<S>): z.infer<z.ZodObject<S>> | Response {
  const shape = schema.shape;
  const unknown = Object.keys(params).filter((k) => !Object.hasOwn(shape, k));
  if (unknown.length) {
    // the query was checked by strictQuery already; this catches multipart fields and JSON members
    const names = Object.keys(shape);
    const guess = nearest(unknown[0], names);
    return errorResponse(
      400,
      'unknown_parameter',
      `unknown parameter ${quote(unknown[0])}${guess ? ` (did you mean "${guess}"?)` : ''}; ` +
        `this endpoint takes ${names.length ? names.join(', ') : 'no parameters'}`,
      { parameter: unknown[0].slice(0, 64) },
    );
  }
  const result = schema.safeParse(params);
  return result.success ? result.data : invalidParameters(result.error.issues);
}

function queryOf(c: Context): Record<string, string> | Response {
  // no prototype: a parameter named __proto__ or constructor is a name like any other
  const out: Record<string, string> = Object.create(null);
  for (const [key, values] of Object.entries(c.req.queries())) {
    if (values.length > 1) {
      return errorResponse(400, 'invalid_parameter', `${quote(key)} is given ${values.length} times; give it once`, { parameter: key.slice(0, 64) });
    }
    out[key] = values[0];
  }
  return out;
}

// ---- work ----------------------------------------------------------------------------------------

interface Upload {
  bytes: Uint8Array;
  declared?: ImageType;
  /** the field it came from, for messages */
  field?: string;
}

interface ReadDigit {
  digit: NormalisedDigit;
  type: ImageType;
  width: number;
  height: number;
}

/**
 * Decodes and normalises uploads as one job of the scheduler (after a walk of each upload's structure
 * that bounds the work, outside it): a large or hostile picture then waits its turn, counts against the
 * queue's bound like model work, and cannot hold the isolate for longer than its bounded decode. Each is
 * framed the way the set's dataset framed its pictures (core/manifest.ts DATASETS).
 */
async function readDigits(set: ModelSet, uploads: Upload[], request: Request): Promise<ReadDigit[]> {
  const { framing } = DATASETS[set.dataset];
  const inspected = uploads.map((upload) => withField(upload.field, () => inspectImage(upload.bytes, upload.declared)));
  // a JPEG read from its coefficients is priced by its bytes and pixels, any other upload by its pixels
  // (a PNG's at its own rate, see COST)
  const work = { rows: 0, outputPixels: 0, images: 0, decodedPixels: 0, pngPixels: 0, coefficientPixels: 0, coefficientBytes: 0 };
  for (const [i, { header }] of inspected.entries()) {
    const pixels = header.width * header.height;
    if (header.readScale === 4) {
      work.coefficientPixels += pixels;
      work.coefficientBytes += uploads[i].bytes.length;
    } else if (header.type === 'image/png') {
      work.pngPixels += pixels;
    } else {
      work.decodedPixels += pixels;
    }
  }
  const cost = estimateCost(work);
  addCost(requestLog(request), cost);
  const signal = request.signal;
  return await set.store.scheduler.run(
    cost,
    async () => {
      const read: ReadDigit[] = [];
      for (const [i, { header, decode }] of inspected.entries()) {
        const raster = await withField(uploads[i].field, () => decode(decodeJpegWasm));
        await yieldToEventLoop(); // between decoding and normalising: /health and 304s get their turn
        const digit = withField(uploads[i].field, () => normaliseDigit(raster, header.orientation, framing));
        const swap = header.orientation >= 5;
        read.push({ digit, type: header.type, width: swap ? header.height : header.width, height: swap ? header.width : header.height });
        await yieldToEventLoop();
      }
      return read;
    },
    signal,
  );
}

/** Decoding and normalisation failures -> ImageInputError naming the field. */
function withField<T>(field: string | undefined, work: () => T): T {
  const rename = (err: unknown): never => {
    const prefix = field ? `${field}: ` : '';
    if (err instanceof ImageInputError) throw new ImageInputError(err.status, err.code, prefix + err.message);
    if (err instanceof NoInkError) throw new ImageInputError(400, 'no_ink', prefix + err.message);
    if (err instanceof DegenerateImageError) throw new ImageInputError(400, 'invalid_image', prefix + err.message);
    throw err;
  };
  try {
    const result = work();
    return result instanceof Promise ? (result.catch(rename) as T) : result;
  } catch (err) {
    return rename(err);
  }
}

function failure(err: unknown): Response {
  if (err instanceof ImageInputError) return errorResponse(err.status, err.code, err.message);
  throw err; // the app's handler: 503 for unavailable models, else 500
}

function reply(c: Context, body: Uint8Array | string, contentType: string, set: ModelSet, extra: Record<string, string> = {}): Response {
  return new Response(body as BodyInit, {
    status: 200,
    headers: { 'Content-Type': contentType, 'Cache-Control': NO_STORE, ...setHeaders(c, set), ...extra },
  });
}

/** multipart/JSON/image body of POST /v1/interpolate -> images and string parameters. */
async function readPair(request: Request, type: string): Promise<{ from: Upload; to?: Upload; params: Record<string, string> }> {
  const params: Record<string, string> = Object.create(null);
  if (isImageType(type)) {
    return { from: { ...(await readImageBody(request)), field: 'from' }, params };
  }
  const bytes = await readBody(request, MAX_PAIR_BYTES);
  const bad = (message: string) => new ImageInputError(400, 'invalid_image', message);
  const images: Record<string, Upload> = Object.create(null);
  const take = (name: string, upload: Upload) => {
    if (upload.bytes.length > MAX_UPLOAD_BYTES) {
      throw new ImageInputError(413, 'image_too_large', `${name} is ${upload.bytes.length} bytes; expected at most ${MAX_UPLOAD_BYTES}`);
    }
    images[name] = { ...upload, field: name };
  };
  const param = (name: string, value: unknown) => {
    if (Object.hasOwn(params, name)) throw bad(`${name} is given twice`);
    params[name] = typeof value === 'string' ? value : JSON.stringify(value);
  };
  if (type === 'application/json') {
    let body: unknown;
    try {
      body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    } catch (err) {
      throw bad(`the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('the JSON body must be an object {"from": base64, "to": base64}');
    for (const [name, value] of Object.entries(body)) {
      if (name === 'from' || name === 'to') {
        if (typeof value !== 'string') throw bad(`${name} must be a base64 string of a PNG or JPEG`);
        let decoded: Uint8Array;
        try {
          decoded = Uint8Array.from(atob(value.replace(/^data:image\/[a-z]+;base64,/, '')), (ch) => ch.charCodeAt(0));
        } catch {
          throw bad(`${name} is not valid base64`);
        }
        take(name, { bytes: decoded });
      } else {
        param(name, value);
      }
    }
  } else {
    let form: FormData;
    try {
      form = await new Response(bytes as BodyInit, { headers: { 'Content-Type': request.headers.get('Content-Type')! } }).formData();
    } catch (err) {
      throw bad(`the multipart body could not be parsed: ${err instanceof Error ? err.message : String(err)}`);
    }
    for (const [name, value] of form.entries()) {
      if (name === 'from' || name === 'to') {
        if (Object.hasOwn(images, name)) throw bad(`${name} is given twice`);
        if (typeof value === 'string') throw bad(`${name} must be a file part (curl -F ${name}=@digit.png), got a text field`);
        const declared = mediaType(value.type);
        take(name, { bytes: new Uint8Array(await value.arrayBuffer()), declared: isImageType(declared) ? declared : undefined });
      } else if (typeof value === 'string') {
        param(name, value);
      } else {
        throw bad(`unexpected file part ${JSON.stringify(name)}; expected from and to`);
      }
    }
  }
  if (!images.from) throw bad('the from image is missing');
  return { from: images.from, to: images.to, params };
}

/** What POST /v1/encode answers: JSON by default, or the [input | reconstruction] PNG. */
const ENCODE_OFFERS: readonly (Offer & { format: Format })[] = [
  { ...JSON_OFFER, format: 'json' },
  { type: 'image/png', format: 'png' },
];

/** `format` wins; otherwise Accept decides (JSON preferred on a tie); null when neither is acceptable. */
function encodeFormat(format: Format | undefined, accept: string | undefined): Format | null {
  if (format) return format;
  const index = negotiate(accept, ENCODE_OFFERS);
  return index < 0 ? null : ENCODE_OFFERS[index].format;
}

/** Rows through the models per upload: encoder and classifier. */
const RECOGNISE_ROWS = 2;

export function uploadRoutes(registry: Registry) {
  const app = new OpenAPIHono<{ Bindings: RegistryEnv }>();
  const setOf = (c: Context<{ Bindings: RegistryEnv }>, params: { dataset?: string; v?: string }, needs: Parameters<typeof requireModels>[1]) =>
    registry.resolve(c.env, params.dataset, params.v).then((set) => (requireModels(set, needs), set));
  for (const route of [encodeRoute, classifyRoute, interpolateRoute]) app.openAPIRegistry.registerPath(route);
  const integers = ['scale', 'steps', 'to_digit', 'to_seed', 'seed'];
  app.use('/v1/classify', strictQuery({ allowed: ['classifier', 'dataset', 'v'], methods: ['POST'] }));
  app.use('/v1/encode', strictQuery({ allowed: ['format', 'scale', 'classifier', 'dataset', 'v'], integers, methods: ['POST'] }));
  app.use(
    '/v1/interpolate',
    strictQuery({ allowed: ['steps', 'to_digit', 'to_seed', 'seed', 'format', 'scale', 'dataset', 'v'], integers, methods: ['POST'] }),
  );

  /** The classifier asked for, else the set's default; a 400 naming what the set has when it lacks the one asked for. */
  const chooseClassifier = (models: LoadedModels, asked: ClassifierChoice | undefined): ClassifierChoice | Response => {
    const choices = classifierChoices(models);
    if (asked === undefined) return choices[0];
    if (choices.includes(asked)) return asked;
    return errorResponse(400, 'invalid_parameter', `classifier ${quote(asked)} is not in this model set; it has ${choices.join(', ')}`, { parameter: 'classifier' });
  };
  const modelOf = (models: LoadedModels, choice: ClassifierChoice) => `${CLASSIFIER_MODEL[choice]}@${models.version}`;

  app.post('/v1/classify', async (c) => {
    const query = queryOf(c);
    if (query instanceof Response) return query;
    const params = parseParams(query, CLASSIFY_QUERY);
    if (params instanceof Response) return params;
    const unacceptable = requireJson(c.req.header('Accept'));
    if (unacceptable) return unacceptable;
    const set = await setOf(c, params, ['encoder', 'classifier']);
    try {
      const [read] = await readDigits(set, [await readImageBody(c.req.raw)], c.req.raw);
      return await set.store.use(
        estimateCost({ rows: RECOGNISE_ROWS, outputPixels: 0, images: 0 }),
        async (models) => {
          const choice = chooseClassifier(models, params.classifier);
          if (choice instanceof Response) return choice;
          const { probabilities, digits } = await classifyImages(models, read.digit.pixels, 1, choice);
          const body = {
            digit: digits[0],
            class_name: set.classes[digits[0]],
            probabilities: Array.from(probabilities),
            model: modelOf(models, choice),
            dataset: set.dataset,
            version: set.version,
          };
          return reply(c, JSON.stringify(body), JSON_CONTENT_TYPE, set);
        },
        c.req.raw.signal,
        requestLog(c.req.raw),
      );
    } catch (err) {
      return failure(err);
    }
  });

  app.post('/v1/encode', async (c) => {
    const query = queryOf(c);
    if (query instanceof Response) return query;
    const params = parseParams(query, ENCODE_QUERY);
    if (params instanceof Response) return params;
    const accept = c.req.header('Accept');
    const format = encodeFormat(params.format, accept);
    if (!format) return notAcceptable(accept, ENCODE_OFFERS.map((o) => o.type));
    const scale = params.scale ?? 1;
    const set = await setOf(c, params, ['encoder', 'classifier', 'decoder']);
    try {
      const [read] = await readDigits(set, [await readImageBody(c.req.raw)], c.req.raw);
      const outputPixels = 2 * IMAGE_PIXELS * (format === 'png' ? scale * scale : 1);
      return await set.store.use(
        estimateCost({ rows: RECOGNISE_ROWS + 1, outputPixels, images: format === 'png' ? 1 : 2 }),
        async (models) => {
          const choice = chooseClassifier(models, params.classifier);
          if (choice instanceof Response) return choice;
          const { latents, probabilities, digits } = await recogniseImages(models, read.digit.pixels, 1, choice);
          const reconstruction = await decodeLatents(models, latents, 1);
          await yieldToEventLoop(); // between model work and encoding
          const pair = new Float32Array(2 * IMAGE_PIXELS);
          pair.set(read.digit.pixels);
          pair.set(reconstruction, IMAGE_PIXELS);
          if (format === 'png') return reply(c, await gridPng(pair, 2, { scale }), 'image/png', set, { Vary: 'Accept' });
          const [input, recon] = await encodeTiles(pair, 2);
          const body = {
            latent: Array.from(latents),
            input,
            reconstruction: recon,
            digit: digits[0],
            class_name: set.classes[digits[0]],
            probabilities: Array.from(probabilities),
            inverted: read.digit.inverted,
            ink_box: read.digit.box,
            source: { type: read.type, width: read.width, height: read.height },
            classifier: modelOf(models, choice),
            model: `encoder@${models.version}`,
            dataset: set.dataset,
            version: set.version,
          };
          return reply(c, JSON.stringify(body), JSON_CONTENT_TYPE, set, { Vary: 'Accept' });
        },
        c.req.raw.signal,
        requestLog(c.req.raw),
      );
    } catch (err) {
      return failure(err);
    }
  });

  app.post('/v1/interpolate', async (c) => {
    const query = queryOf(c);
    if (query instanceof Response) return query;
    const type = mediaType(c.req.header('Content-Type'));
    try {
      if (!(PAIR_TYPES as readonly string[]).includes(type)) throw unsupportedType(type, PAIR_TYPES);
      const pair = await readPair(c.req.raw, type);
      for (const name of Object.keys(pair.params)) {
        if (Object.hasOwn(query, name)) {
          return errorResponse(400, 'invalid_parameter', `${quote(name)} is given twice (query and body)`, { parameter: name.slice(0, 64) });
        }
      }
      const params = parseParams({ ...query, ...pair.params }, INTERPOLATE_QUERY);
      if (params instanceof Response) return params;
      const accept = c.req.header('Accept');
      const format = chooseFormat(params.format, accept);
      if (!format) return notAcceptable(accept, ['image/png', 'application/json']);
      const targets = [pair.to && 'to', params.to_digit !== undefined && 'to_digit', params.to_seed !== undefined && 'to_seed'].filter(Boolean);
      if (targets.length !== 1) {
        const message = targets.length
          ? `give one end of the path, got ${targets.join(' and ')}`
          : 'the end of the path is missing; give a to image, to_digit or to_seed';
        return errorResponse(400, 'invalid_parameter', message, { parameter: targets.length ? String(targets[1]) : 'to' });
      }
      if (params.seed !== undefined && params.to_digit === undefined) {
        return errorResponse(400, 'invalid_parameter', 'seed is the seed of the to_digit sample; give it only with to_digit', { parameter: 'seed' });
      }
      const ends = pair.to ? [] : params.to_digit !== undefined ? (['cgan-generator'] as const) : (['generator'] as const);
      const set = await setOf(c, params, ['encoder', 'classifier', 'decoder', ...ends]);
      const [from, to = null] = await readDigits(set, pair.to ? [pair.from, pair.to] : [pair.from], c.req.raw);
      const steps = params.steps ?? 8;
      const scale = params.scale ?? 1;
      const seed = params.to_digit !== undefined ? (params.seed ?? randomSeed()) : undefined;
      const uploads = to ? 2 : 1;
      const cost = estimateCost({
        // the encoder per upload, the classifier on the from code (JSON names its digit), the sample at the
        // end (if any), the decoder per step
        rows: uploads + (format === 'json' ? 1 : 0) + (to ? 0 : 1) + steps,
        outputPixels: steps * IMAGE_PIXELS * (format === 'png' ? scale * scale : 1),
        images: format === 'png' ? 1 : steps,
      });
      return await set.store.use(
        cost,
        async (models) => {
          const pixels = new Float32Array(uploads * IMAGE_PIXELS);
          pixels.set(from.digit.pixels);
          if (to) pixels.set(to.digit.pixels, IMAGE_PIXELS);
          const latents = await encodeImages(models, pixels, uploads);
          const end: PathEnd = to
            ? { kind: 'latent', latent: latents.slice(models.latentDim, 2 * models.latentDim) }
            : params.to_digit !== undefined
              ? { kind: 'digit', digit: params.to_digit, seed: seed! }
              : { kind: 'seed', seed: params.to_seed! };
          const path = await decodePath(models, latents.slice(0, models.latentDim), await latentOfEnd(models, end), steps);
          await yieldToEventLoop(); // between model work and encoding
          const headers: Record<string, string> = { Vary: 'Accept', ...(seed !== undefined ? { 'X-Seed': String(seed) } : {}) };
          if (format === 'png') return reply(c, await encodeGrid(path, steps, scale), 'image/png', set, headers);
          const [fromDigit] = await digitsOfLatents(models, latents.subarray(0, models.latentDim), 1);
          const body = {
            steps,
            ...(params.to_digit !== undefined ? { to_digit: params.to_digit, seed } : {}),
            ...(params.to_seed !== undefined ? { to_seed: params.to_seed } : {}),
            from_digit: fromDigit,
            from_class_name: set.classes[fromDigit],
            images: await encodeTiles(path, steps),
            model: `decoder@${models.version}`,
            dataset: set.dataset,
            version: set.version,
          };
          return reply(c, JSON.stringify(body), JSON_CONTENT_TYPE, set, headers);
        },
        c.req.raw.signal,
        requestLog(c.req.raw),
      );
    } catch (err) {
      return failure(err);
    }
  });

  return app;
}
