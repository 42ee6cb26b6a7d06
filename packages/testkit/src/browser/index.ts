// Headless Chromium for the browser tier and the console benchmark: Debian's `chromium` (installed by
// .ci/run when missing), driven over CDP by puppeteer-core; no browser is downloaded.
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';

/** Where Chromium is: LINEAGE_CHROMIUM, else Debian's package. */
export const CHROMIUM = process.env.LINEAGE_CHROMIUM ?? '/usr/bin/chromium';

/** Starts headless Chromium. @throws Error when the executable is missing (install `chromium`). */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `no Chromium at ${CHROMIUM}: apt-get install chromium (or set LINEAGE_CHROMIUM)`,
    );
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI: Chromium's sandbox needs an unprivileged user.
    args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'],
    defaultViewport: { width: 1280, height: 900 },
  });
}

/** What a page did that a test checks: console errors, uncaught errors, every URL it requested. */
export interface PageWatch {
  errors: string[];
  requests: string[];
}

/** Records console errors, uncaught exceptions and requests of `page`. */
export function watch(page: Page): PageWatch {
  const seen: PageWatch = { errors: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('request', (r) => seen.requests.push(r.url()));
  return seen;
}
