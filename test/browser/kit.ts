/// <reference lib="dom" />
// Headless Chromium for the browser tier and the console benchmark: Debian's `chromium` (installed by
// .ci/run when missing), driven over CDP by puppeteer-core; no browser is downloaded.
import { existsSync } from 'node:fs';
import puppeteer from 'puppeteer-core';
import type { Browser, Page } from 'puppeteer-core';

/** Where Chromium is: LINEAGE_CHROMIUM, else Debian's package. */
export const CHROMIUM = process.env.LINEAGE_CHROMIUM ?? '/usr/bin/chromium';

/** Starts headless Chromium. @throws when the executable is missing (install `chromium`). */
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

/** Opens `url` and signs in with `token` on the sign-in form. */
export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.waitForSelector('#token');
  await page.type('#token', token);
  await page.keyboard.press('Enter');
}

/** What a drawn graph counts (the `data-*` of `#graph`). */
export interface GraphCounts {
  nodes: number;
  edges: number;
  allow: number;
  deny: number;
  pending: number;
  override: number;
  replayed: number;
  root: number;
  pathEdges: number;
}

/** Waits until the graph around `start` is drawn and returns what it counts. */
export async function drawnGraph(page: Page, start: string, mode: string): Promise<GraphCounts> {
  await page.waitForSelector(`#graph[data-start="${start}"][data-mode="${mode}"][data-nodes]`);
  return page.$eval(
    '#graph',
    (el) =>
      Object.fromEntries(
        Object.entries((el as HTMLElement).dataset)
          .filter(([k]) => k !== 'start' && k !== 'mode')
          .map(([k, v]) => [k, Number(v)]),
      ) as unknown as GraphCounts,
  );
}
