/**
 * float32 -> IEEE 754 binary16 bit patterns, rounding to nearest even, for float16 weight storage.
 * Node 20 has no Float16Array, so the conversion is done on the bits.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bit pattern nearest to `value` (ties to even); overflow goes to ±Infinity. */
export function toFloat16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;

  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf, or a quiet NaN
  const e = exponent - 127 + 15; // rebias
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): the half mantissa is the 24-bit significand shifted right by 14 - e.
    if (e < -10) return sign;
    const full = mantissa | 0x800000; // 24 significant bits
    const shift = 14 - e; // 14..24
    return sign | roundShift(full, shift);
  }
  // Normal half: keep the top 10 mantissa bits; a carry out of the mantissa correctly bumps the exponent.
  return sign | ((e << 10) + roundShift(mantissa, 13));
}

/** value >> shift rounded to nearest, ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = value >>> shift;
  const rest = value - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  if (rest > half || (rest === half && (kept & 1) === 1)) return kept + 1;
  return kept;
}

/** The float value of a binary16 bit pattern (used to measure what the rounding cost). */
export function fromFloat16Bits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function toFloat16Array(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i]);
  return out;
}
