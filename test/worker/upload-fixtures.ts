/**
 * Pictures to upload, built in the test from first principles (fast-png for well-formed PNGs, bytes by
 * hand for the hostile ones), so they run inside workerd without reading files.
 */
import { encode } from 'fast-png';
import { zlibSync } from 'fflate';
import { concat } from '../../edge/encoding/png-chunks';

/** MNIST test image 0 (a 7) enlarged 2x, dark on white, JPEG quality 80 from jpeg-js: 56x56, 1122 bytes. */
export const SEVEN_JPEG_BASE64 =
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wCEAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSgBBwcHCggKEwoKEygaFhooKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKP/AABEIADgAOAMBEQACEQEDEQH/xAGiAAABBQEBAQEBAQAAAAAAAAAAAQIDBAUGBwgJCgsQAAIBAwMCBAMFBQQEAAABfQECAwAEEQUSITFBBhNRYQcicRQygZGhCCNCscEVUtHwJDNicoIJChYXGBkaJSYnKCkqNDU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6g4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2drh4uPk5ebn6Onq8fLz9PX29/j5+gEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoLEQACAQIEBAMEBwUEBAABAncAAQIDEQQFITEGEkFRB2FxEyIygQgUQpGhscEJIzNS8BVictEKFiQ04SXxFxgZGiYnKCkqNTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqCg4SFhoeIiYqSk5SVlpeYmZqio6Slpqeoqaqys7S1tre4ubrCw8TFxsfIycrS09TV1tfY2dri4+Tl5ufo6ery8/T19vf4+fr/2gAMAwEAAhEDEQA/APqmgAoAKACgAoAKACgAoAyfEfiLSvDdmLrWrr7NAf4vLd+4HRQT1YfnQBU0XxpoGtNIumX/AJ5TG79zIuM5x95R6GgDoaACgAoAKACgDifid8ONI+IVtZxawObTf5TZfjeUJ4Vl/uDrQB5hrv7MPh+5Rjo97/Z8nY+VJLjp/el+v50Ac9N+zhr4toDH4ozMd3mD+z4+OeP+WvpQByvxF+Eup+BfB19rOo+JvMmi2eVB9gUeZmRUb5g7YwHB5FAHtn7Lg1d/h7Fc6w+5Js+TwgxiWUN938OtAHslABQAUAFABQB8e/E25vPjL8YLTwvZN9n0+037JsB8b7dJD8p2HrER1/8ArgH1xpdkmnWEVrEcpHnB+pJ/rQBaoAKACgAoA8w+PPxJj+H3hkPB82qXX/HsnTO149/JVl+6/f8ACgDmf2WPBcmj+Gptf1H5r7U9voNvlPMnZiDkEdh+NAHutABQAUAFAFLWtTt9H0ya+vG2wRbdxwT1YAdAT1IoA+QPBGnL8dPi/qWuaiv2fTYfL8y1zv627IPnBQ/eiB6e31APsmGNIYwkYwo6DNAD6ACgAoAKAPKP2jPDHiLxZ4LOm+F7T7XM/wDrI/NjjziSJhy5HZW79qAMr9nL4UX3gCwub3WJdmo323zbXap8rYZQPnV2DZDg8Yx0oA9soAKACgD/AP/Z';

export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

/** A width x height picture: background grey `paper` with ink `ink` inside the rectangle. */
export function rectangleGrey(width: number, height: number, rect: { x: number; y: number; w: number; h: number }, paper = 255, ink = 0): Uint8Array {
  const data = new Uint8Array(width * height).fill(paper);
  for (let y = rect.y; y < rect.y + rect.h; y++) data.fill(ink, y * width + rect.x, y * width + rect.x + rect.w);
  return data;
}

export function greyPng(width: number, height: number, data: Uint8Array): Uint8Array {
  return encode({ width, height, data, channels: 1, depth: 8 });
}

/** RGBA with every pixel of colour `rgb` and alpha from `alpha` (0 = transparent): a drawing on a transparent canvas. */
export function strokePng(width: number, height: number, alpha: Uint8Array, rgb: [number, number, number]): Uint8Array {
  const data = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) data.set([...rgb, alpha[i]], i * 4);
  return encode({ width, height, data, channels: 4, depth: 8 });
}

// ---- hand-made PNG chunks ----

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** One PNG chunk: length, type, data and its CRC-32. */
export function chunk(type: string, data: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  const typed = new Uint8Array([...type].map((c) => c.charCodeAt(0)));
  out.set(typed, 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** A PNG with a valid structure whose IHDR says width x height (8-bit grey) and whose IDAT holds `raw` deflated. */
export function craftedPng(width: number, height: number, raw: Uint8Array): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8);
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlibSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * An animated PNG (APNG) of a grey picture: acTL says 2 frames, the default image (IDAT) is \`frame0\` and the
 * second frame (fdAT) is \`frame1\`; both frames width x height, 8-bit grey.
 */
export function animatedPng(width: number, height: number, frame0: Uint8Array, frame1: Uint8Array): Uint8Array {
  const rows = (data: Uint8Array) => {
    const out = new Uint8Array(height * (width + 1));
    for (let y = 0; y < height; y++) out.set(data.subarray(y * width, (y + 1) * width), y * (width + 1) + 1);
    return out;
  };
  const u32 = (...values: number[]) => {
    const out = new Uint8Array(values.length * 4);
    values.forEach((v, i) => new DataView(out.buffer).setUint32(i * 4, v));
    return out;
  };
  const ihdr = concat([u32(width, height), new Uint8Array([8, 0, 0, 0, 0])]);
  const fctl = (sequence: number) => concat([u32(sequence, width, height, 0, 0), new Uint8Array([0, 1, 0, 10, 0, 0])]);
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('acTL', u32(2, 0)),
    chunk('fcTL', fctl(0)),
    chunk('IDAT', zlibSync(rows(frame0))),
    chunk('fcTL', fctl(1)),
    chunk('fdAT', concat([u32(2), zlibSync(rows(frame1))])),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** A JPEG that is only a start marker and a baseline frame header declaring width x height. */
export function jpegHeaderOnly(width: number, height: number): Uint8Array {
  return new Uint8Array([
    0xff, 0xd8, 0xff, 0xc0, 0x00, 0x0b, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x01, 0x01, 0x11, 0x00,
    0xff, 0xd9,
  ]);
}
