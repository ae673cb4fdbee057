/**
 * Turning a request for images into an HTTP response, in the order that keeps light work light:
 * version check (409) and negotiation (406) and If-None-Match (304) are answered before any model work;
 * only then is the job queued on the scheduler (503 overloaded past its bound), run, and encoded.
 * Every route that returns generated images goes through `serveImages`.
 */
import type { Context } from 'hono';
import { encodeGrid, encodeTiles } from '../encoding/images';
import type { LoadedModels, ModelStore } from '../inference/model-store';
import type { Images } from '../inference/sampling';
import { estimateCost, yieldToEventLoop } from '../inference/scheduler';
import { IMAGE_PIXELS } from '../../core/contract';
import { cacheControl, etagFor, ifNoneMatchHits, versionMismatch } from './caching';
import { errorResponse } from './errors';
import { JSON_CONTENT_TYPE, JSON_OFFER, negotiate, type Offer } from './negotiate';
import type { Format } from './params';

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
  /** the model work */
  render: (models: LoadedModels) => Promise<Images>;
}

async function encode(images: Images, format: Format, scale: number, version: string, fields: Record<string, unknown>) {
  if (format === 'png') return (await encodeGrid(images.pixels, images.count, scale)) as Uint8Array<ArrayBuffer>;
  const json = { ...fields, images: await encodeTiles(images.pixels, images.count), model: `${images.generator}@${version}` };
  return new TextEncoder().encode(JSON.stringify(json));
}

export async function serveImages(c: Context, store: ModelStore, req: ImageRequest): Promise<Response> {
  const { version } = await store.load();
  const mismatch = versionMismatch(req.pinned, version);
  if (mismatch) return mismatch;
  const accept = c.req.header('Accept');
  const format = chooseFormat(req.format, accept);
  if (!format) return notAcceptable(accept, IMAGE_OFFERS.map((o) => o.type));
  const offer = IMAGE_OFFERS.find((o) => o.format === format)!;

  const headers: Record<string, string> = {
    'Content-Type': offer.contentType,
    'X-Model-Version': version,
    // The body depends on Accept when format is absent.
    Vary: 'Accept',
    'Cache-Control': cacheControl({ seeded: req.seeded, pinned: req.pinned !== undefined }),
    ...req.seedHeaders,
  };
  if (req.seeded) {
    const canonical = JSON.stringify({ route: req.route, ...req.fields, scale: req.scale, format });
    headers.ETag = await etagFor(version, canonical);
    if (ifNoneMatchHits(c.req.header('If-None-Match'), headers.ETag)) {
      delete headers['Content-Type'];
      return new Response(null, { status: 304, headers });
    }
  }
  const outputPixels = format === 'png' ? req.count * IMAGE_PIXELS * req.scale * req.scale : req.count * IMAGE_PIXELS;
  const cost = estimateCost({ rows: req.rows, outputPixels });
  const body = await store.use(
    cost,
    async (models) => {
      const images = await req.render(models);
      await yieldToEventLoop(); // between model work and encoding, both long for big requests
      return encode(images, format, req.scale, models.version, req.fields);
    },
    c.req.raw.signal,
  );
  headers['Content-Length'] = String(body.length);
  return new Response(c.req.method === 'HEAD' ? null : body, { status: 200, headers });
}
