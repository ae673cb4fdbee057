/**
 * Drawing on the demo page's pad with the pointer, and reading back what the page shows: shared by the
 * browser tests. Strokes are in pad pixels (the canvas is 280x280, whatever size CSS gives it).
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

export type Stroke = [number, number][];

/** Digits drawn the way a person would, that the served classifier reads right (checked at 1280 and 390 wide). */
export const DIGIT_STROKES: Record<number, Stroke[]> = {
  1: [[[140, 45], [142, 140], [144, 235]]],
  0: [
    Array.from({ length: 25 }, (_, i): [number, number] => {
      const a = (i / 24) * 2 * Math.PI;
      return [140 + 60 * Math.sin(a), 140 - 90 * Math.cos(a)];
    }),
  ],
  7: [[[70, 60], [210, 60], [120, 240]]],
};

/** Each stroke is pressed, moved through its points, released. */
export async function draw(page: Page, strokes: Stroke[]) {
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

/** Waits until everything shown belongs to the latest picture (data-settled, app.js). */
export async function settledPad(page: Page) {
  await expect.poll(() => page.getAttribute('#pad', 'data-settled'), { timeout: 30_000 }).toBe('true');
}

/** The digit shown once the page has read the latest picture (live results of partial strokes come first). */
export async function prediction(page: Page): Promise<number> {
  await settledPad(page);
  await expect.poll(() => page.textContent('#prediction'), { timeout: 30_000 }).toMatch(/^It is a \d \(\d+%\)$/);
  return Number((await page.textContent('#prediction'))!.match(/\d/)![0]);
}
