/**
 * What a person sees on the demo page, in real Chromium at a desktop (1280x1000) and a phone (390x844) size:
 * every image on screen has loaded, nothing scrolls sideways, the pad's pixels (read back from the canvas) are
 * blank on load and after Clear and hold ink after strokes, digits drawn with the pointer are read as those
 * digits, Clear resets every view derived from the pad, axe-core finds no serious or critical violation, and
 * the console shows no error (a missing favicon is one). Screenshots of each state go to $TMPDIR/latent-digits-screens.
 */
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPage, type BrowserPage } from './chromium';
import { DIGIT_STROKES, draw, prediction, settledPad } from './pad-strokes';

const base = inject('workerUrl');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SCREENS = join(tmpdir(), 'latent-digits-screens');
mkdirSync(SCREENS, { recursive: true });

/** Visible <img> elements that have not loaded real pixels (a broken-image box on screen). */
function brokenImages(page: Page): Promise<string[]> {
  return page.$$eval('img', (imgs) =>
    (imgs as HTMLImageElement[])
      .filter((img) => img.checkVisibility() && !(img.complete && img.naturalWidth > 0))
      .map((img) => `${img.id || img.alt} (${img.getAttribute('src') ?? 'no src'})`),
  );
}

/** Every visible image loaded, waiting for the ones still on their way. */
async function expectNoBrokenImages(page: Page) {
  await expect.poll(() => brokenImages(page), { timeout: 15_000 }).toEqual([]);
}

/** How far the page is wider than the viewport (0 = no sideways scroll). */
function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** Pixels of the pad's canvas with any ink (a channel above 32 of 255), out of 280 x 280. */
function inkedPixels(page: Page): Promise<number> {
  return page.$eval('#pad', (canvas) => {
    const { data } = (canvas as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 280, 280);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] > 32 || data[i + 1] > 32 || data[i + 2] > 32) n++;
    return n;
  });
}

/** axe-core's violations of impact serious or critical, as "rule: target" lines. */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

for (const viewport of [{ width: 1280, height: 1000 }, { width: 390, height: 844 }]) {
  describe(`the demo page at ${viewport.width}x${viewport.height}`, () => {
    let opened: BrowserPage;
    let page: Page;
    const consoleErrors: string[] = [];
    const shot = (name: string) => page.screenshot({ path: join(SCREENS, `${name}-${viewport.width}.png`), fullPage: true });

    beforeAll(async () => {
      opened = await openPage({ viewport, bypassCSP: true });
      page = opened.page;
      page.on('console', (msg) => {
        if (msg.type() === 'error') consoleErrors.push(`${msg.text()} ${msg.location().url}`);
      });
      page.on('response', (res) => {
        if (res.status() >= 400) consoleErrors.push(`${res.status()} ${res.url()}`);
      });
      await page.goto(`${base}/`, { waitUntil: 'networkidle' });
    });

    afterAll(async () => {
      await opened?.close();
    });

    it('on load: every image on screen loaded, no sideways scroll, a blank pad inviting a drawing', async () => {
      await expectNoBrokenImages(page);
      await shot('load');
      expect(await overflow(page)).toBe(0);
      expect(await inkedPixels(page)).toBe(0);
      expect(await page.textContent('#prediction')).toMatch(/^Draw a digit/);
      expect(await page.isVisible('#pad-hint')).toBe(true);
      expect(await page.locator('[data-example]').count()).toBe(10);
      expect(await page.isVisible('#stepper'), 'the interpolation slider before a walk').toBe(false);
    });

    it('on load: no serious or critical accessibility violation', async () => {
      expect(await seriousViolations(page)).toEqual([]);
    });

    for (const digit of [1, 0, 7]) {
      it(`a ${digit} drawn with the pointer inks the pad and is read as ${digit}`, async () => {
        await page.click('#clear');
        await draw(page, DIGIT_STROKES[digit]);
        expect(await inkedPixels(page)).toBeGreaterThan(280 * 280 * 0.02);
        expect(await prediction(page)).toBe(digit);
        // a screen reader hears the reading: it is in a status (polite live) region
        expect(await page.getByRole('status').filter({ hasText: `It is a ${digit}` }).count()).toBe(1);
        await expectNoBrokenImages(page);
        for (const id of ['#input', '#recon', '#morph']) expect(await page.isVisible(id), id).toBe(true);
        expect(await overflow(page)).toBe(0);
      });
    }

    it('with a drawing and its views on screen: no serious or critical accessibility violation', async () => {
      await shot('drawn');
      expect(await seriousViolations(page)).toEqual([]);
    });

    it('Clear resets the pad and every view derived from it', async () => {
      await page.click('#clear');
      await settledPad(page);
      expect(await inkedPixels(page)).toBe(0);
      expect(await page.isVisible('#pad-hint')).toBe(true);
      expect(await page.textContent('#prediction')).toMatch(/^Draw a digit/);
      for (const id of ['#input', '#recon', '#morph', '#bars']) expect(await page.isVisible(id), id).toBe(false);
      expect(await page.textContent('#morph-status')).not.toContain('your digit →');
      await expectNoBrokenImages(page);
      await shot('cleared');
    });

    it('Clear while a picture is still being read leaves the views cleared', async () => {
      await draw(page, DIGIT_STROKES[7]);
      await page.click('#clear');
      await settledPad(page);
      // the answer to the 7 arrives after Clear and must not repaint anything
      await page.waitForTimeout(1_500);
      expect(await page.textContent('#prediction')).toMatch(/^Draw a digit/);
      for (const id of ['#input', '#recon', '#morph']) expect(await page.isVisible(id), id).toBe(false);
    });

    it('an interpolation walk shows its frame and strip, loaded, without sideways scroll', async () => {
      await page.click('#walk');
      await expect.poll(() => page.isVisible('#strip')).toBe(true);
      expect(await page.isVisible('#stepper')).toBe(true);
      await expectNoBrokenImages(page);
      expect(await overflow(page)).toBe(0);
      await shot('walked');
    });

    it('no console error or failed request (favicon included)', () => {
      expect(consoleErrors).toEqual([]);
    });
  });
}
