/** Helpers for talking to the worker under test inside workerd. */
import { SELF } from 'cloudflare:test';
import { decode } from 'fast-png';

export const ORIGIN = 'https://latent-digits.test';

export function get(path: string, init?: RequestInit): Promise<Response> {
  return SELF.fetch(ORIGIN + path, init);
}

export async function json<T = Record<string, unknown>>(path: string, init?: RequestInit): Promise<{ res: Response; body: T }> {
  const res = await get(path, init);
  return { res, body: (await res.json()) as T };
}

export interface Grey {
  width: number;
  height: number;
  data: Uint8Array;
}

export function decodeGrey(bytes: Uint8Array): Grey {
  const png = decode(bytes);
  if (png.channels !== 1 || png.depth !== 8) throw new Error(`expected 8-bit greyscale, got ${png.channels} channels, depth ${png.depth}`);
  return { width: png.width, height: png.height, data: png.data as Uint8Array };
}

export async function pngOf(res: Response): Promise<Grey> {
  return decodeGrey(new Uint8Array(await res.arrayBuffer()));
}

export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

/** The largest per-pixel difference between two equally sized images. */
export function maxDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`sizes differ: ${a.length} vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

export interface ImagesBody {
  images: string[];
  model: string;
  [field: string]: unknown;
}
