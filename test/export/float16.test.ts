import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng';
import { fromFloat16Bits, toFloat16Array, toFloat16Bits } from '../../training/export/float16';

describe('float32 -> float16 bits', () => {
  it('encodes exactly representable values exactly', () => {
    expect(toFloat16Bits(0)).toBe(0x0000);
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(0.5)).toBe(0x3800);
    expect(toFloat16Bits(65504)).toBe(0x7bff); // largest finite half
    expect(toFloat16Bits(2 ** -14)).toBe(0x0400); // smallest normal
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
  });

  it('rounds to nearest, ties to even, in normal and subnormal ranges', () => {
    const ulpAt1 = 2 ** -10;
    expect(toFloat16Bits(1 + ulpAt1 / 2)).toBe(0x3c00); // tie -> even (mantissa 0)
    expect(toFloat16Bits(1 + (3 * ulpAt1) / 2)).toBe(0x3c02); // tie -> even (mantissa 2)
    expect(toFloat16Bits(1 + ulpAt1 * 0.51)).toBe(0x3c01);
    expect(toFloat16Bits(2 ** -25)).toBe(0x0000); // half of the smallest subnormal: tie -> 0
    expect(toFloat16Bits(1.5 * 2 ** -24)).toBe(0x0002); // tie -> even
    expect(toFloat16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400); // rounds up across into the normals
    expect(toFloat16Bits(2047.9)).toBe(toFloat16Bits(2048)); // mantissa carry bumps the exponent
  });

  it('saturates to infinity and keeps NaN', () => {
    expect(toFloat16Bits(65520)).toBe(0x7c00);
    expect(toFloat16Bits(-1e9)).toBe(0xfc00);
    expect(toFloat16Bits(Infinity)).toBe(0x7c00);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
  });

  it('round-trips random weights within half a float16 ulp', () => {
    const rng = new Rng(16);
    for (let i = 0; i < 10_000; i++) {
      const x = Math.fround((rng.uniform() - 0.5) * 2 ** ((i % 30) - 20));
      const back = fromFloat16Bits(toFloat16Bits(x));
      const exponent = Math.max(Math.floor(Math.log2(Math.abs(x))), -14);
      expect(Math.abs(back - x)).toBeLessThanOrEqual(2 ** (exponent - 11) + 1e-30);
    }
  });
});

describe('float16 bits, hand-worked IEEE 754 binary16 values at every branch', () => {
  it('normal range: sign, exponent rebias and the top 10 mantissa bits', () => {
    expect(toFloat16Bits(-1)).toBe(0xbc00);
    expect(toFloat16Bits(1 / 3)).toBe(0x3555); // 0.333251953125, the nearest half below 1/3
    expect(toFloat16Bits(-1 / 3)).toBe(0xb555);
    expect(toFloat16Bits(32768)).toBe(0x7800); // 2^15, largest exponent (30)
    expect(toFloat16Bits(65519)).toBe(0x7bff); // just below the halfway point to 65536
    expect(toFloat16Bits(2047.9)).toBe(0x6800); // 2^11: the mantissa carry moves into the exponent
    expect(toFloat16Bits(1.75)).toBe(0x3f00);
  });

  it('rounds to nearest with ties to even, just below, at and just above the halfway point', () => {
    expect(toFloat16Bits(1 + 2 ** -11 - 2 ** -23)).toBe(0x3c00); // below half an ulp: down
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie, kept mantissa 0 is even: down
    expect(toFloat16Bits(1 + 2 ** -11 + 2 ** -23)).toBe(0x3c01); // above half an ulp: up
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, kept mantissa 1 is odd: up
    expect(toFloat16Bits(1 + 2 ** -10 + 2 ** -12)).toBe(0x3c01); // a quarter ulp above 0x3c01: down
  });

  it('overflow: 65520 (a tie to 65536) and everything with exponent >= 16 go to infinity, keeping the sign', () => {
    expect(toFloat16Bits(65520)).toBe(0x7c00);
    expect(toFloat16Bits(65536)).toBe(0x7c00);
    expect(toFloat16Bits(98304)).toBe(0x7c00); // 1.5 * 2^16: exponent 31 with a mantissa is not a NaN here
    expect(toFloat16Bits(-98304)).toBe(0xfc00);
    expect(toFloat16Bits(2 ** 20)).toBe(0x7c00);
    expect(toFloat16Bits(-Infinity)).toBe(0xfc00);
    expect(toFloat16Bits(Number.NaN)).toBe(0x7e00); // quiet NaN
  });

  it('subnormals: the 24-bit significand shifted right by 14 - e, rounded ties to even', () => {
    expect(toFloat16Bits(2 ** -15)).toBe(0x0200); // exponent field 0, the first subnormal binade
    expect(toFloat16Bits(2 ** -14 - 2 ** -24)).toBe(0x03ff); // largest subnormal
    expect(toFloat16Bits(2 ** -20)).toBe(0x0010);
    expect(toFloat16Bits(3 * 2 ** -24)).toBe(0x0003);
    expect(toFloat16Bits(-(2 ** -24))).toBe(0x8001);
    expect(toFloat16Bits(1.5 * 2 ** -25)).toBe(0x0001); // above half the smallest subnormal: up
    expect(toFloat16Bits(2.5 * 2 ** -24)).toBe(0x0002); // tie: even
    expect(toFloat16Bits(3.5 * 2 ** -24)).toBe(0x0004); // tie: even
    expect(toFloat16Bits(2 ** -26)).toBe(0x0000); // below a quarter of the smallest subnormal
    expect(toFloat16Bits(-(2 ** -30))).toBe(0x8000); // underflow keeps the sign
    // far below: a shift of 32 or more bits would wrap around in JavaScript (x >>> 32 is x >>> 0)
    expect(toFloat16Bits(2 ** -40)).toBe(0x0000);
    expect(toFloat16Bits(-1e-30)).toBe(0x8000);
    expect(toFloat16Bits(2 ** -149)).toBe(0x0000); // the smallest float32 subnormal
  });

  it('decodes bit patterns to their values', () => {
    expect(fromFloat16Bits(0x3c00)).toBe(1);
    expect(fromFloat16Bits(0xc000)).toBe(-2);
    expect(fromFloat16Bits(0x3555)).toBe(0.333251953125);
    expect(fromFloat16Bits(0x7bff)).toBe(65504);
    expect(fromFloat16Bits(0x0400)).toBe(2 ** -14);
    expect(fromFloat16Bits(0x0001)).toBe(2 ** -24);
    expect(fromFloat16Bits(0x03ff)).toBe(1023 * 2 ** -24);
    expect(fromFloat16Bits(0x8001)).toBe(-(2 ** -24));
    expect(Object.is(fromFloat16Bits(0x8000), -0)).toBe(true);
    expect(fromFloat16Bits(0x7c00)).toBe(Infinity);
    expect(fromFloat16Bits(0xfc00)).toBe(-Infinity);
    expect(fromFloat16Bits(0x7e00)).toBeNaN();
    expect(fromFloat16Bits(0x7c01)).toBeNaN();
  });

  it('toFloat16Array converts every value in order', () => {
    const out = toFloat16Array(Float32Array.from([1, -2, 65504, 2 ** -24, 0.5]));
    expect(out).toBeInstanceOf(Uint16Array);
    expect(Array.from(out)).toEqual([0x3c00, 0xc000, 0x7bff, 0x0001, 0x3800]);
  });
});
