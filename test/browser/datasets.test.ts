/**
 * The demo page's dataset selector (docs: /work/brief API contract, GET /v1/models `datasets`): shown only
 * when the API lists more than one dataset; once one is chosen every request names it (`dataset=`) and the
 * buttons carry the dataset's class names. Which of the two tests runs depends on what the served API lists.
 */
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openPage, type BrowserPage } from './chromium';

const base = inject('workerUrl');
interface Dataset { id: string; title?: string; classes?: string[] }
const listed = ((await (await fetch(`${base}/v1/models`)).json()) as { datasets?: Dataset[] }).datasets ?? [];
const SKIP_SELECTOR = `skipped: /v1/models lists ${listed.length} dataset(s), the selector needs two (the model registry adds fashion-mnist)`;
const SKIP_SINGLE = `skipped: /v1/models lists ${listed.length} datasets, so the page offers a choice`;

let opened: BrowserPage;
let page: Page;
const apiRequests: URL[] = [];

beforeAll(async () => {
  opened = await openPage();
  page = opened.page;
  page.on('request', (req: Request) => {
    const url = new URL(req.url());
    if (url.pathname.startsWith('/v1/') && url.pathname !== '/v1/models') apiRequests.push(url);
  });
  await page.goto(`${base}/`, { waitUntil: 'networkidle' });
});

afterAll(async () => {
  await opened?.close();
});

describe('the dataset selector', () => {
  it.skipIf(listed.length > 1)(`with one dataset there is no selector and no request names a dataset ${listed.length > 1 ? SKIP_SINGLE : ''}`, async () => {
    await page.click('button[data-digit="3"]');
    await expect.poll(() => page.textContent('#status')).toContain('digit 3, seed');
    expect(await page.isVisible('#dataset')).toBe(false);
    expect(apiRequests.length).toBeGreaterThan(0);
    expect(apiRequests.filter((url) => url.searchParams.has('dataset')).map(String)).toEqual([]);
  });

  it.skipIf(listed.length < 2)(`offers every listed dataset; choosing one names it on every request and relabels the classes ${listed.length < 2 ? SKIP_SELECTOR : ''}`, async () => {
    const options = await page.$$eval('#dataset option', (els) => els.map((el) => [(el as HTMLOptionElement).value, el.textContent]));
    expect(options).toEqual(listed.map((d) => [d.id, d.title ?? d.id]));
    const other = listed[1];
    await page.selectOption('#dataset', other.id);
    apiRequests.length = 0;
    await page.click('button[data-digit="3"]');
    await expect.poll(() => page.getAttribute('#result', 'src')).toMatch(/^blob:/);
    await page.click('[data-example="3"]');
    await expect.poll(() => page.getAttribute('#pad', 'data-settled')).toBe('true');
    expect(apiRequests.length).toBeGreaterThan(1);
    expect(apiRequests.filter((url) => url.searchParams.get('dataset') !== other.id).map(String)).toEqual([]);
    const names = await page.$$eval('button[data-digit]', (els) => els.map((el) => el.textContent));
    expect(names).toEqual(other.classes);
    expect(await page.textContent('#prediction')).toMatch(new RegExp(`(${other.classes!.join('|')}) \\(\\d+%\\)$`));

    // the page's words follow the dataset: no "Draw a digit" over a pad that reads shirts and shoes
    const words = async () => ({
      heading: await page.textContent('h2'),
      hint: await page.innerText('#pad-hint'), // as rendered: the spaces around the word must show
      legend: await page.textContent('fieldset legend'),
      classWord: await page.textContent('[role="group"][aria-label="digit"] > span'),
      pad: await page.getAttribute('#pad', 'aria-label'),
    });
    const WORDS: Record<string, Awaited<ReturnType<typeof words>>> = {
      mnist: { heading: 'Draw a digit', hint: 'Draw a digit here', legend: 'Morph your digit into', classWord: 'digit:', pad: 'drawing pad: draw one digit with a mouse, finger or pen' },
      'fashion-mnist': { heading: 'Draw an item', hint: 'Draw an item here', legend: 'Morph your item into', classWord: 'class:', pad: 'drawing pad: draw one item with a mouse, finger or pen' },
    };
    expect(await words()).toEqual(WORDS[other.id]);
    await page.selectOption('#dataset', listed[0].id);
    expect(await words()).toEqual(WORDS[listed[0].id]);
    expect(await page.textContent('#prediction')).toBe('Draw a digit on the pad, and the classifier reads it as you draw.');
  });
});
