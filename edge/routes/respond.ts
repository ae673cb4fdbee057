/**
 * Turning generated images into an HTTP response: format negotiation, the PNG grid or JSON body,
 * seed headers and caching. A request with every seed given is a pure function of its URL (and Accept)
 * and the model version, so it is cached forever with an ETag that names the model version; a request
 * that drew a random seed is `no-store`.
 */
import type { Context } from 'hono';
import { encodeGrid, encodeTiles } from '../encoding/images';
import type { Images } from '../inference/sampling';
import type { Format } from './params';

export const IMMUTABLE = 'public, max-age=31536000, immutable';

/** `format` wins; without it, a client that accepts application/json gets JSON, anyone else a PNG. */
export function chooseFormat(format: Format | undefined, accept: string | undefined): Format {
  if (format) return format;
  const acceptsJson = (accept ?? '')
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .some((part) => part.startsWith('application/json') && !/;\s*q=0(\.0*)?\s*($|;)/.test(part));
  return acceptsJson ? 'json' : 'png';
}

export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

export interface ImageReply {
  images: Images;
  format: Format;
  scale: number;
  /** JSON fields describing the request (seed, digit, ...), placed before `images` and `model`. */
  fields: Record<string, unknown>;
  /** X-Seed and friends: which seeds were used, also for random ones. */
  seedHeaders: Record<string, string>;
  /** every seed came from the request (not drawn at random) */
  seeded: boolean;
  version: string;
}

async function etagOf(version: string, body: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
  const hex = [...digest.slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `"${version}-${hex}"`;
}

function matches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}

export async function replyWithImages(c: Context, reply: ImageReply): Promise<Response> {
  const { images, format, version } = reply;
  // ArrayBuffer-backed (core/png and TextEncoder allocate fresh buffers); the DOM types want it spelled out.
  let body: Uint8Array<ArrayBuffer>;
  let contentType: string;
  if (format === 'png') {
    body = await encodeGrid(images.pixels, images.count, reply.scale);
    contentType = 'image/png';
  } else {
    const json = {
      ...reply.fields,
      images: await encodeTiles(images.pixels, images.count),
      model: `${images.generator}@${version}`,
    };
    body = new TextEncoder().encode(JSON.stringify(json));
    contentType = 'application/json; charset=utf-8';
  }
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'X-Model-Version': version,
    // The body depends on Accept when format is absent.
    Vary: 'Accept',
    ...reply.seedHeaders,
  };
  if (!reply.seeded) {
    headers['Cache-Control'] = 'no-store';
    return new Response(body, { status: 200, headers });
  }
  headers['Cache-Control'] = IMMUTABLE;
  headers.ETag = await etagOf(version, body);
  if (matches(c.req.header('If-None-Match'), headers.ETag)) {
    delete headers['Content-Type'];
    return new Response(null, { status: 304, headers });
  }
  return new Response(body, { status: 200, headers });
}
