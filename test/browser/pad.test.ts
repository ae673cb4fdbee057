/**
 * The drawing pad on the demo page in a real browser (Debian's chromium, driven by playwright-core): the
 * first screen invites drawing on an empty pad, strokes drawn with the pointer are read as the digit they show, with
 * the normalised input, reconstruction, probability bars and a morph strip; an example below the pad and an
 * uploaded file work too;
 * and the page runs under its CSP without a violation.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPage, type BrowserPage } from './chromium';
import { DIGIT_STROKES, draw, prediction, settledPad } from './pad-strokes';
import { encodeGreyPng } from '../../core/png';
import { digitAt, mnistTest } from '../edge/mnist-fixtures';

const base = inject('workerUrl');
let opened: BrowserPage;
let page: Page;
let pageErrors: string[];
const cspViolations: string[] = [];

beforeAll(async () => {
  opened = await openPage();
  ({ page, pageErrors } = opened);
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
  });
});

afterAll(async () => {
  await opened?.close();
});

/** Images on the page that have loaded real pixels. */
function loaded(selector: string) {
  return page.$eval(selector, (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0);
}

describe('drawing pad', () => {
  it('the first screen invites drawing: no prediction, no bars, no morph until there is a digit', async () => {
    await page.goto(`${base}/`);
    await expect.poll(() => loaded('#result'), { message: '#result' }).toBe(true);
    expect(await page.textContent('#prediction')).toMatch(/^Draw a digit/);
    expect(await page.locator('#bars .bar').count()).toBe(0);
    expect(await page.isVisible('#pad-hint')).toBe(true);
    for (const selector of ['#input', '#recon', '#morph']) expect(await page.isVisible(selector), selector).toBe(false);
  });

  it('a vertical stroke drawn with the pointer is read as a 1, with input, reconstruction and bars', async () => {
    await draw(page, DIGIT_STROKES[1]);
    expect(await page.isVisible('#pad-hint')).toBe(false);
    expect(await prediction(page)).toBe(1);
    for (const selector of ['#input', '#recon']) {
      await expect.poll(() => loaded(selector), { message: selector }).toBe(true);
      expect(await page.getAttribute(selector, 'src')).toMatch(/^data:image\/png;base64,/);
    }
    const top = await page.$eval('#bars .bar.top', (el) => (el as HTMLElement).dataset.digit);
    expect(top).toBe('1');
    expect(await page.getAttribute('#bars', 'aria-label')).toMatch(/^class probabilities: 1 \d+%/);
  });

  it('a loop is read as a 0', async () => {
    await page.click('#clear');
    await draw(page, DIGIT_STROKES[0]);
    expect(await prediction(page)).toBe(0);
  });

  it('an example below the pad loads into it and is read as its digit', async () => {
    await page.click('[data-example="7"]');
    expect(await prediction(page)).toBe(7);
    expect(await page.isVisible('#pad-hint')).toBe(false);
  });

  it('picking a target digit morphs the drawing into it: a strip of 8 frames', async () => {
    await settledPad(page);
    const before = await page.getAttribute('#morph', 'src');
    await page.click('[data-morph="5"]');
    await settledPad(page);
    expect(await page.getAttribute('#morph', 'data-target')).toBe('5');
    expect(await page.getAttribute('#morph', 'src')).not.toBe(before);
    await expect.poll(() => loaded('#morph')).toBe(true);
    const size = await page.$eval('#morph', (img) => [(img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight]);
    expect(size).toEqual([8 * 28 * 3, 28 * 3]);
    expect(await page.getAttribute('#morph', 'src')).toMatch(/^blob:/);
    expect(await page.textContent('#morph-status')).toContain('your digit → 5');
  });

  it('an uploaded image file is read too', async () => {
    const set = mnistTest(3);
    // MNIST test image 1 is a 2
    await page.setInputFiles('#upload', { name: 'two.png', mimeType: 'image/png', buffer: Buffer.from(await encodeGreyPng(digitAt(set, 1), 28, 28)) });
    expect(await prediction(page)).toBe(set.labels[1]);
  });

  it('runs without page errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
