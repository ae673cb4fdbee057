/**
 * The demo page at / in a real browser (Debian's chromium, driven by playwright-core): click a digit and
 * an image of digits appears; walk an interpolation and scrub it with the slider.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPage, type BrowserPage } from './chromium';

const base = inject('workerUrl');
let opened: BrowserPage;
let page: Page;
let pageErrors: string[];

beforeAll(async () => {
  opened = await openPage();
  ({ page, pageErrors } = opened);
});

afterAll(async () => {
  await opened?.close();
});

/** naturalWidth/Height of an <img> once it has loaded a non-empty image. */
async function loadedSize(selector: string): Promise<[number, number]> {
  await page.waitForFunction((sel) => {
    const img = document.querySelector<HTMLImageElement>(sel);
    return !!img && !img.hidden && img.complete && img.naturalWidth > 0;
  }, selector);
  return page.$eval(selector, (img) => [(img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight] as [number, number]);
}

describe('demo page', () => {
  it('clicking a digit shows generated digits and the seed used', async () => {
    await page.goto(`${base}/`);
    expect(await page.title()).toBe('Latent Digits');
    await page.fill('#seed', '31');
    await page.fill('#n', '8');
    await page.fill('#scale', '4');
    await page.click('button[data-digit="3"]');
    const [w, h] = await loadedSize('#result');
    expect([w, h]).toEqual([8 * 28 * 4, 28 * 4]);
    await expect.poll(() => page.textContent('#status')).toContain('digit 3, seed 31');
    // the picture the page shows is the API's PNG for those parameters
    const shown = await page.$eval('#result', async (img) => {
      const blob = await (await fetch((img as HTMLImageElement).src)).blob();
      return [...new Uint8Array(await blob.arrayBuffer())];
    });
    const api = new Uint8Array(await (await fetch(`${base}/v1/digits/3?n=8&seed=31&scale=4`)).arrayBuffer());
    expect(Uint8Array.from(shown)).toEqual(api);
  });

  it('an empty seed box draws a random seed and says which', async () => {
    await page.fill('#seed', '');
    await page.click('#any');
    await expect.poll(() => page.textContent('#status')).toMatch(/latent GAN, seed \d+/);
    await loadedSize('#result');
  });

  it('an out-of-range input shows the API error message', async () => {
    await page.fill('#n', '65');
    await page.click('button[data-digit="5"]');
    await expect.poll(() => page.textContent('#status')).toContain('n must be an integer 1..64, got "65"');
    await page.fill('#n', '8');
  });

  it('the interpolation slider steps through the path', async () => {
    await page.fill('#from', '1');
    await page.fill('#to', '2');
    await page.selectOption('#digit-from', '3');
    await page.selectOption('#digit-to', '8');
    await page.click('#walk');
    await expect.poll(() => page.getAttribute('#slider', 'disabled')).toBeNull();
    await loadedSize('#frame');
    const first = await page.getAttribute('#frame', 'src');
    await page.$eval('#slider', (el) => {
      (el as HTMLInputElement).value = '15';
      el.dispatchEvent(new Event('input'));
    });
    expect(await page.textContent('#step')).toBe('16 / 16');
    expect(await page.getAttribute('#frame', 'src')).not.toBe(first);
    const [w, h] = await loadedSize('#strip');
    expect([w, h]).toEqual([8 * 28 * 2, 2 * 28 * 2]);
    expect(pageErrors).toEqual([]);
  });

  it('with blank seeds the strip shows the same path as the slider, pinned to the model version', async () => {
    await page.fill('#from', '');
    await page.fill('#to', '');
    await page.selectOption('#digit-from', '');
    await page.selectOption('#digit-to', '');
    await page.click('#walk');
    await expect.poll(() => page.textContent('#path-status')).toMatch(/^seed \d+ → \d+/);
    const [, from, to] = /^seed (\d+) → (\d+)/.exec((await page.textContent('#path-status'))!)!;
    const strip = new URL((await page.getAttribute('#strip', 'src'))!, base);
    expect([strip.searchParams.get('from'), strip.searchParams.get('to')]).toEqual([from, to]);
    const health = (await (await fetch(`${base}/health`)).json()) as { model_version: string };
    expect(strip.searchParams.get('v')).toBe(health.model_version);
    await loadedSize('#strip');
  });

  it('a request that fails on the network says so instead of "generating…" forever', async () => {
    await page.route('**/v1/generate**', (route) => route.abort());
    await page.click('#any');
    await expect.poll(() => page.textContent('#status')).toContain('request failed');
    await page.unroute('**/v1/generate**');
  });
});
