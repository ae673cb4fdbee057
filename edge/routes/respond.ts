/**
 * Turning a request for images into an HTTP response, in the order that keeps light work light:
 * the model set (resolved by the route through the registry: 404 / 410 / 503 before this), negotiation (406) and
 * If-None-Match (304) are answered before any model work;
 * only then is the job queued on the scheduler (503 overloaded past its bound), run, and encoded.
 * Every route that returns generated images goes through `serveImages`.
 */
import type { Context } from 'hono';
import { encodeGrid, encodeTiles } from '../encoding/images';
import type { EdgeModelId, LoadedModels } from '../inference/model-store';
import { engineFingerprint } from '../inference/version';
import { requireModels, type ModelSet } from '../registry';
import type { Images } from '../inference/sampling';
import { estimateCost, yieldToEventLoop } from '../inference/scheduler';
import { IMAGE_PIXELS } from '../../core/contract';
import { cacheControl, etagFor, ifNoneMatchHits } from './caching';
import { errorResponse } from './errors';
import { JSON_CONTENT_TYPE, JSON_OFFER, negotiate, type Offer } from './negotiate';
import type { Format } from './params';
import { requestLog } from './request-log';

/** What the image routes can produce, in order of preference (PNG is the default). */
const IMAGE_OFFERS: readonly (Offer & { format: Format; contentType: string })[] = [
  { type: 'image/png', format: 'png', contentType: 'image/png' },
  { ...JSON_OFFER, format: 'json', contentType: JSON_CONTENT_TYPE },
];

/** `format` wins; otherwise Accept decides by q-values (negotiate.ts); null when nothing is acceptable. */
export function chooseFormat(format: Format | undefined, accept: string | null | undefined): Format | null {
  if (format) return format;
  const index = negotiate(accept, IMAGE_OFFERS);
  return index < 0 ? null : IMAGE_OFFERS[index].format;
}

/** 406 naming what was asked and what is available. */
export function notAcceptable(accept: string | null | undefined, available: string[]): Response {
  const asked = (accept ?? '').slice(0, 100);
  return errorResponse(
    406,
    'not_acceptable',
    `nothing acceptable in Accept: ${JSON.stringify(asked)}; available: ${available.join(', ')} (or use format=)`,
  );
}

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

export interface ImageRequest {
  /** the route, e.g. 'generate': part of the ETag */
  route: string;
  /** format= if given */
  format?: Format;
  /** v= if given */
  pinned?: string;
  scale: number;
  /** images the job produces */
  count: number;
  /** rows the job runs through the models (for the cost estimate) */
  rows: number;
  /** JSON fields describing the request (seed, digit, ...), placed before `images` and `model` */
  fields: Record<string, unknown>;
  /** X-Seed and friends: which seeds were used, also random ones */
  seedHeaders: Record<string, string>;
  /** every seed came from the request (not drawn at random) */
  seeded: boolean;
  /** the models the work runs (a set lacking one is a 400 model_missing) */
  needs: readonly EdgeModelId[];
  /** the model work */
  render: (models: LoadedModels) => Promise<Images>;
}

/** The headers naming what produced a response, on every model response; also fills the request's log line. */
export function setHeaders(c: Context, set: ModelSet): Record<string, string> {
  const log = requestLog(c.req.raw);
  log.dataset = set.dataset;
  log.version = set.version;
  log.sessions_open = set.store.isOpen;
  return { 'X-Model-Version': set.version, 'X-Dataset': set.dataset };
}

async function encode(images: Images, format: Format, scale: number, set: ModelSet, fields: Record<string, unknown>) {
  if (format === 'png') return (await encodeGrid(images.pixels, images.count, scale)) as Uint8Array<ArrayBuffer>;
  const json = {
    ...fields,
    images: await encodeTiles(images.pixels, images.count),
    model: `${images.generator}@${set.version}`,
    dataset: set.dataset,
    version: set.version,
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

export async function serveImages(c: Context, set: ModelSet, req: ImageRequest): Promise<Response> {
  requireModels(set, req.needs);
  const { version, store } = set;
  const accept = c.req.header('Accept');
  const format = chooseFormat(req.format, accept);
  if (!format) return notAcceptable(accept, IMAGE_OFFERS.map((o) => o.type));
  const offer = IMAGE_OFFERS.find((o) => o.format === format)!;

  const headers: Record<string, string> = {
    'Content-Type': offer.contentType,
    ...setHeaders(c, set),
    // The body depends on Accept when format is absent.
    Vary: 'Accept',
    'Cache-Control': cacheControl({ seeded: req.seeded, pinned: req.pinned !== undefined }),
    ...req.seedHeaders,
  };
  if (req.seeded) {
    const engine = await engineFingerprint();
    const canonical = JSON.stringify({ dataset: set.dataset, route: req.route, ...req.fields, scale: req.scale, format, engine });
    headers.ETag = await etagFor(version, canonical);
    if (ifNoneMatchHits(c.req.header('If-None-Match'), headers.ETag)) {
      delete headers['Content-Type'];
      return new Response(null, { status: 304, headers });
    }
  }
  const outputPixels = format === 'png' ? req.count * IMAGE_PIXELS * req.scale * req.scale : req.count * IMAGE_PIXELS;
  const cost = estimateCost({ rows: req.rows, outputPixels, images: format === 'png' ? 1 : req.count });
  const body = await store.use(
    cost,
    async (models) => {
      const images = await req.render(models);
      await yieldToEventLoop(); // between model work and encoding, both long for big requests
      return encode(images, format, req.scale, set, req.fields);
    },
    c.req.raw.signal,
    requestLog(c.req.raw),
  );
  headers['Content-Length'] = String(body.length);
  return new Response(c.req.method === 'HEAD' ? null : body, { status: 200, headers });
}
