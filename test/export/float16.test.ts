import { describe, expect, it } from 'vitest';
import { Rng } from '../../core/rng';
import { fromFloat16Bits, toFloat16Bits } from '../../training/export/float16';

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
