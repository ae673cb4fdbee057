/**
 * The drawing pad on the demo page in a real browser (Debian's chromium, driven by playwright-core): the
 * first screen shows real digits, strokes drawn with the pointer are read as the digit they show, with
 * the normalised input, reconstruction, probability bars and a morph strip; an uploaded file works too;
 * and the page runs under its CSP without a violation.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPage, type BrowserPage } from './chromium';
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

/** Pointer strokes on the pad, in pad pixels (280x280): each stroke is pressed, moved through its points, released. */
async function draw(strokes: [number, number][][]) {
  const box = (await page.locator('#pad').boundingBox())!;
  const sx = box.width / 280;
  const sy = box.height / 280;
  for (const points of strokes) {
    await page.mouse.move(box.x + points[0][0] * sx, box.y + points[0][1] * sy);
    await page.mouse.down();
    for (const [x, y] of points.slice(1)) await page.mouse.move(box.x + x * sx, box.y + y * sy, { steps: 6 });
    await page.mouse.up();
  }
}

/** The digit shown once the page has read the latest picture (live results of partial strokes come first). */
async function prediction(): Promise<number> {
  await expect.poll(() => page.getAttribute('#pad', 'data-settled'), { timeout: 30_000 }).toBe('true');
  await expect.poll(() => page.textContent('#prediction'), { timeout: 30_000 }).toMatch(/^It is a \d \(\d+%\)$/);
  return Number((await page.textContent('#prediction'))!.match(/\d/)![0]);
}

describe('drawing pad', () => {
  it('the first screen shows real digits, not empty boxes', async () => {
    await page.goto(`${base}/`);
    for (const selector of ['#result', '#input', '#recon', '#morph']) {
      await expect.poll(() => loaded(selector), { message: selector }).toBe(true);
    }
    // the pad starts with a generated 3, already read by the classifier
    await prediction();
    expect(await page.locator('#bars .bar').count()).toBe(10);
  });

  it('a vertical stroke drawn with the pointer is read as a 1, with input, reconstruction and bars', async () => {
    await page.click('#clear');
    await expect.poll(() => page.textContent('#prediction')).toBe('Draw a digit on the pad.');
    const before = await page.getAttribute('#input', 'src');
    await draw([[[140, 45], [142, 140], [144, 235]]]);
    await expect.poll(() => page.getAttribute('#input', 'src')).not.toBe(before);
    expect(await prediction()).toBe(1);
    expect(await page.getAttribute('#input', 'src')).toMatch(/^data:image\/png;base64,/);
    expect(await page.getAttribute('#recon', 'src')).toMatch(/^data:image\/png;base64,/);
    const top = await page.$eval('#bars .bar.top', (el) => (el as HTMLElement).dataset.digit);
    expect(top).toBe('1');
  });

  it('a loop is read as a 0', async () => {
    await page.click('#clear');
    const loop: [number, number][] = Array.from({ length: 25 }, (_, i) => {
      const a = (i / 24) * 2 * Math.PI;
      return [140 + 60 * Math.sin(a), 140 - 90 * Math.cos(a)];
    });
    await draw([loop]);
    expect(await prediction()).toBe(0);
  });

  it('picking a target digit morphs the drawing into it: a strip of 8 frames', async () => {
    await expect.poll(() => page.getAttribute('#pad', 'data-settled')).toBe('true');
    const before = await page.getAttribute('#morph', 'src');
    await page.click('[data-morph="5"]');
    await expect.poll(() => page.getAttribute('#pad', 'data-settled')).toBe('true');
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
    expect(await prediction()).toBe(set.labels[1]);
  });

  it('runs without page errors or CSP violations', () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
  });
});
