/**
 * A JPEG's marker segments walked the way libjpeg (mozjpeg) reads them, so the frame this walk checks is
 * the frame the decoder decodes:
 * - markers without a length (TEM 0x01, RST0-7 0xD0-0xD7) are stepped over as two bytes; every other
 *   marker has a 2-byte length that includes itself. Giving a parameterless marker a length, as a naive walk
 *   does, lands inside the next segment, where a forged frame header can hide the real one;
 * - after a scan header (SOS) comes entropy-coded data, which ends at the first 0xFF followed by a byte
 *   other than 0x00 (a stuffed 0xFF), RST0-7 or a fill 0xFF;
 * - libjpeg refuses a second SOI or SOF ("two SOF markers"), and so does this walk;
 * - between markers libjpeg skips stray bytes with a warning; this walk refuses them instead, so it never
 *   has to guess where the decoder resynchronises.
 *
 * Bounds, and why they are safe for real images:
 * - MAX_SCANS scans: a progressive JPEG from libjpeg/mozjpeg/Photoshop has 6-12 (libjpeg's standard script
 *   is 10 for colour, 6 for grey; mozjpeg's optimised scans up to ~20), a baseline one 1-4. Each scan makes
 *   the decoder walk the whole coefficient buffer, so 100k tiny scans cost seconds;
 * - MAX_SEGMENTS marker segments in all: a photo has tens (APPn, DQT, DHT per scan, SOS per scan).
 */

export const MAX_SCANS = 32;
export const MAX_SEGMENTS = 512;

export interface JpegFrame {
  width: number;
  height: number;
  /** 1 grey, 3 YCbCr/RGB, 4 CMYK/YCCK */
  components: number;
  progressive: boolean;
  scans: number;
  /** Adobe APP14 transform: 0 none (RGB / CMYK), 1 YCbCr, 2 YCCK; undefined without APP14 */
  adobeTransform?: number;
  /** the TIFF bytes of an APP1 Exif segment, for the orientation */
  exif?: Uint8Array;
  /** every marker segment after SOI, in order (RST and TEM with an empty body), for ./jpeg-luma.ts */
  segments: JpegSegment[];
}

/** A marker segment: its marker byte and body (after the length); a scan header (SOS) also its entropy-coded data. */
export interface JpegSegment {
  marker: number;
  body: Uint8Array;
  /** SOS only: the entropy-coded data up to the marker that ends it (restart markers inside) */
  data?: Uint8Array;
}

export class JpegStructureError extends Error {
  override readonly name = 'JpegStructureError';
}

const fail = (message: string) => new JpegStructureError(message);

// Frame headers: C0-C3, C5-C7, C9-CB, CD-CF. C4 (DHT), C8 (JPG) and CC (DAC) share the range but are not frames.
export const isFrameMarker = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
const isRestart = (m: number) => m >= 0xd0 && m <= 0xd7;
const PROGRESSIVE = new Set([0xc2, 0xc6, 0xca, 0xce]);
const EXIF_ID = [0x45, 0x78, 0x69, 0x66, 0, 0]; // "Exif\0\0"
const ADOBE_ID = [0x41, 0x64, 0x6f, 0x62, 0x65]; // "Adobe"

const startsWith = (bytes: Uint8Array, at: number, id: number[]) => id.every((b, i) => bytes[at + i] === b);

/** Index of the marker (its 0xFF) that ends the entropy-coded data starting at `from`, or the end. */
function endOfEntropyData(bytes: Uint8Array, from: number): number {
  let i = from;
  for (;;) {
    i = bytes.indexOf(0xff, i);
    if (i < 0) return bytes.length;
    let j = i + 1;
    while (j < bytes.length && bytes[j] === 0xff) j++;
    if (j >= bytes.length) return bytes.length;
    const b = bytes[j];
    if (b === 0x00 || isRestart(b)) {
      i = j + 1;
      continue;
    }
    return j - 1;
  }
}

/**
 * The frame and scan count of a JPEG (SOI already recognised). `checkSides` runs on the frame's size as
 * soon as the frame header is read.
 */
export function walkJpeg(bytes: Uint8Array, checkSides: (width: number, height: number) => void): JpegFrame {
  let frame: Omit<JpegFrame, 'segments'> | undefined;
  let adobeTransform: number | undefined;
  let exif: Uint8Array | undefined;
  let scans = 0;
  const segments: JpegSegment[] = [];
  let at = 2;
  while (at < bytes.length) {
    if (bytes[at] !== 0xff) throw fail(`corrupt JPEG: expected a marker at byte ${at}, found 0x${bytes[at].toString(16)}`);
    let m = at + 1;
    while (m < bytes.length && bytes[m] === 0xff) m++; // fill bytes before a marker
    if (m >= bytes.length) break;
    const marker = bytes[m];
    at = m + 1;
    if (segments.length >= MAX_SEGMENTS) throw fail(`the JPEG has more than ${MAX_SEGMENTS} marker segments`);
    if (marker === 0x01 || isRestart(marker)) {
      segments.push({ marker, body: bytes.subarray(at, at) });
      continue;
    }
    if (marker === 0xd8) throw fail('corrupt JPEG: a second start of image (SOI)');
    if (marker === 0xd9) break;
    if (marker === 0x00) throw fail(`corrupt JPEG: marker 0xFF00 at byte ${m - 1}`);
    if (at + 2 > bytes.length) break;
    const length = (bytes[at] << 8) | bytes[at + 1];
    if (length < 2) throw fail(`corrupt JPEG: segment 0xFF${marker.toString(16).toUpperCase()} has length ${length}`);
    const body = bytes.subarray(at + 2, Math.min(bytes.length, at + length));
    const segment: JpegSegment = { marker, body };
    segments.push(segment);
    if (isFrameMarker(marker)) {
      if (frame) throw fail('corrupt JPEG: a second frame header (SOF)');
      if (body.length < 6) throw fail('truncated JPEG frame header');
      const height = (body[1] << 8) | body[2];
      const width = (body[3] << 8) | body[4];
      const components = body[5];
      if (length !== 8 + 3 * components) throw fail(`corrupt JPEG frame header: ${components} components in ${length} bytes`);
      if (![1, 3, 4].includes(components)) throw fail(`the JPEG has ${components} colour components; expected 1, 3 or 4`);
      checkSides(width, height);
      frame = { width, height, components, progressive: PROGRESSIVE.has(marker), scans: 0 };
    } else if (marker === 0xda) {
      if (!frame) throw fail('corrupt JPEG: scan data (SOS) before the frame header (SOF)');
      if (++scans > MAX_SCANS) throw fail(`the JPEG has more than ${MAX_SCANS} scans`);
      const end = endOfEntropyData(bytes, at + length);
      segment.data = bytes.subarray(Math.min(at + length, end), end);
      at = end;
      continue;
    } else if (marker === 0xe1 && !exif && startsWith(body, 0, EXIF_ID)) {
      exif = body.subarray(EXIF_ID.length);
    } else if (marker === 0xee && body.length >= 12 && startsWith(body, 0, ADOBE_ID)) {
      adobeTransform = body[11];
    }
    at += length;
  }
  if (!frame) throw fail('truncated or corrupt JPEG: no frame header (SOF) before the image data');
  // no scan at all is left to the decoder, which refuses it
  return { ...frame, scans, adobeTransform, exif, segments };
}
