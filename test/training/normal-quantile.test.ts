import { describe, expect, it } from 'vitest';
import { normalQuantile } from '../../training/metrics/normal-quantile';

describe('normalQuantile (Phi^-1)', () => {
  // standard normal table values (e.g. Abramowitz & Stegun 26.2; NIST/SEMATECH e-Handbook 1.3.6.7.1)
  const table: [number, number][] = [
    [0.5, 0],
    [0.6, 0.2533471],
    [0.75, 0.6744898],
    [0.9, 1.2815516],
    [0.95, 1.6448536],
    [0.975, 1.959964],
    [0.99, 2.3263479],
    [0.999, 3.0902323],
    [0.01, -2.3263479],
    [0.001, -3.0902323],
    [1e-6, -4.7534243],
  ];
  it.each(table)('Phi^-1(%s) = %s to 7 digits, in the centre and both tails', (p, z) => {
    expect(normalQuantile(p)).toBeCloseTo(z, 6);
  });

  it('is odd around 1/2 and increasing across the region boundaries (0.02425 and 0.97575)', () => {
    const ps = [0.0242, 0.02425, 0.0243, 0.3, 0.7, 0.9757, 0.97575, 0.9758];
    for (const p of ps) expect(normalQuantile(p)).toBeCloseTo(-normalQuantile(1 - p), 8);
    const zs = ps.map(normalQuantile);
    for (let i = 1; i < zs.length; i++) expect(zs[i]).toBeGreaterThan(zs[i - 1]);
  });

  it.each([0, 1, -0.1, 1.5, Number.NaN])('refuses p = %s, naming it', (p) => {
    expect(() => normalQuantile(p)).toThrow(`p = ${p}`);
  });
});
