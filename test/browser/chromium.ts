/**
 * Debian's chromium driven by playwright-core, for the browser tests: a fresh profile per file (playwright
 * passes it as --user-data-dir), one page with uncaught page errors collected, and teardown of both.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const CHROMIUM = '/usr/bin/chromium';

export interface BrowserPage {
  page: Page;
  /** messages of uncaught errors in the page */
  pageErrors: string[];
  close(): Promise<void>;
}

export interface PageOptions {
  /** CSS pixels; playwright's default is 1280x720 */
  viewport?: { width: number; height: number };
  /** lets a test inject a script (axe-core) that the page's CSP would refuse */
  bypassCSP?: boolean;
}

export async function openPage(options: PageOptions = {}): Promise<BrowserPage> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (as .ci/run does)`);
  const profile = mkdtempSync(join(tmpdir(), 'latent-digits-chromium-'));
  const browser: BrowserContext = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    timeout: 60_000,
    ...options,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.setDefaultTimeout(30_000);
  return {
    page,
    pageErrors,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
