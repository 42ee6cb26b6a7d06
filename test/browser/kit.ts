/// <reference lib="dom" />
// What the browser tier does with the console's pages; Chromium itself is `@lineage/testkit/browser`.
import type { Page } from 'puppeteer-core';

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
