/**
 * Content negotiation on `Accept` (RFC 9110 §12.5.1), for routes that can answer in more than one media
 * type. A small parser rather than a library: the offers are few and fixed, and the rules that matter
 * are exactly these:
 * - each media range has a weight `q` (0..1, default 1; at most three decimals); q=0 means "not this";
 * - an offer takes the weight of the *most specific* range that matches it (`image/png` over `image/*`
 *   over `*\/*`; among equal ones, the one with more parameters), so `*\/*;q=0.1, image/png` keeps PNG
 *   at 1 and `image/*;q=0, image/png` still allows PNG;
 * - a range with parameters (other than q) matches only offers that carry those parameters;
 * - the highest weight wins; ties go to the server's order (the route's first offer, its default);
 * - no acceptable offer -> the caller answers 406. An absent or blank Accept means "anything".
 * Ranges that do not parse (`application/json;;q=abc`) are ignored, not errors: a sloppy client gets the
 * benefit of the doubt from the ranges it did write.
 */

export interface Offer {
  /** e.g. 'image/png' */
  type: string;
  /** e.g. { charset: 'utf-8' } for 'application/json; charset=utf-8' */
  params?: Record<string, string>;
}

/** What every JSON answer of the API is: JSON is UTF-8 (RFC 8259 §8.1). */
export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
/** The JSON offer of every route that answers JSON: `Accept: application/json; charset=utf-8` asks for exactly it. */
export const JSON_OFFER: Offer = { type: 'application/json', params: { charset: 'utf-8' } };

interface Range {
  type: string;
  subtype: string;
  params: Record<string, string>;
  q: number;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const QVALUE = /^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$/;

function parseRange(text: string): Range | null {
  const [mediaType, ...paramParts] = text.split(';').map((part) => part.trim());
  const slash = mediaType.indexOf('/');
  if (slash < 0) return null;
  const type = mediaType.slice(0, slash).toLowerCase();
  const subtype = mediaType.slice(slash + 1).toLowerCase();
  if (!TOKEN.test(type) || !TOKEN.test(subtype) || (type === '*' && subtype !== '*')) return null;
  const params: Record<string, string> = {};
  let q = 1;
  for (const part of paramParts) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return null;
    const name = part.slice(0, eq).trim().toLowerCase();
    const value = part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    if (name === 'q') {
      if (!QVALUE.test(value)) return null;
      q = Number(value);
      break; // parameters after q are accept-ext, not media-type parameters
    }
    params[name] = value.toLowerCase();
  }
  return { type, subtype, params, q };
}

/** The ranges of an Accept header; null when the header is absent or blank (accept anything). */
export function parseAccept(accept: string | null | undefined): Range[] | null {
  if (accept === null || accept === undefined || accept.trim() === '') return null;
  return accept
    .split(',')
    .map((part) => parseRange(part))
    .filter((r): r is Range => r !== null);
}

/** How specifically `range` matches `offer` (higher is more specific), or -1 if it does not. */
function specificity(range: Range, offer: Offer): number {
  const [type, subtype] = offer.type.toLowerCase().split('/');
  const offerParams = offer.params ?? {};
  for (const [name, value] of Object.entries(range.params)) {
    if (offerParams[name]?.toLowerCase() !== value) return -1;
  }
  const paramCount = Object.keys(range.params).length;
  if (range.type === type && range.subtype === subtype) return 300 + paramCount;
  if (range.type === type && range.subtype === '*') return 200 + paramCount;
  if (range.type === '*' && range.subtype === '*') return 100 + paramCount;
  return -1;
}

/** The weight `accept` gives `offer`: the q of its most specific matching range, 0 if none matches. */
export function weightOf(ranges: Range[], offer: Offer): number {
  let best: { specificity: number; q: number } | null = null;
  for (const range of ranges) {
    const s = specificity(range, offer);
    if (s >= 0 && (!best || s > best.specificity)) best = { specificity: s, q: range.q };
  }
  return best?.q ?? 0;
}

/** Index into `offers` of the best acceptable offer, or -1 when none is acceptable (answer 406). */
export function negotiate(accept: string | null | undefined, offers: readonly Offer[]): number {
  const ranges = parseAccept(accept);
  if (ranges === null) return offers.length ? 0 : -1;
  let chosen = -1;
  let chosenQ = 0;
  offers.forEach((offer, i) => {
    const q = weightOf(ranges, offer);
    if (q > chosenQ) {
      chosen = i;
      chosenQ = q;
    }
  });
  return chosen;
}
