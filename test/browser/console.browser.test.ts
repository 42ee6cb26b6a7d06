/// <reference lib="dom" />
import { cp, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type {
  AuthorizationPath,
  ExecutionView,
  LineageNode,
  Page as ApiPage,
} from '@lineage/contract';
import { REPO } from '../kit/serve.js';
import { launchChromium, watch } from '@lineage/testkit/browser';
import type { PageWatch } from '@lineage/testkit/browser';
import { drawnGraph, signIn } from './kit.js';

// The audit console in headless Chromium against the real query API over the demo's projection
// (test/browser/setup.ts). LINEAGE_SCREENSHOTS=1 (`pnpm docs:screenshots`) also writes the README's
// pictures from this run.
const { baseUrl, token, executions, demoDir } = inject('console');
type NodePage = ApiPage<LineageNode>;
const SCREENSHOTS = process.env.LINEAGE_SCREENSHOTS === '1';
const deepest = executions.E11!;
const denied = executions.E5!;

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

/** Every parent link among `ids`, as the API's authorization paths (depth 1) report them. */
async function edgesAmong(ids: readonly string[]): Promise<Set<string>> {
  const edges = new Set<string>();
  for (const id of ids) {
    const path = await api<AuthorizationPath>(`/v1/executions/${id}/authorization-path?depth=1`);
    for (const e of path.edges) if (ids.includes(e.parent)) edges.add(`${e.child}>${e.parent}`);
  }
  return edges;
}

/** How many of `ids` the API shows as settled by an override, denied, or replay-rejected. */
async function outcomesOf(ids: readonly string[]) {
  const views = await Promise.all(ids.map((id) => api<ExecutionView>(`/v1/executions/${id}`)));
  return {
    override: views.filter((v) => v.outcome?.kind === 'override').length,
    deny: views.filter((v) => v.outcome?.decision === 'deny').length,
    replayed: views.filter((v) => v.attestations.some((a) => a.kind === 'replay_rejection')).length,
  };
}

describe('the audit console in Chromium', () => {
  let browser: Browser;
  let page: Page;
  let seen: PageWatch;

  beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
    if (SCREENSHOTS) await mkdir(join(REPO, 'docs'), { recursive: true });
    seen = watch(page);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('is served at / and /verify under default-src self with the security headers', async () => {
    for (const path of ['/', '/verify']) {
      const response = await fetch(`${baseUrl}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      const html = await response.text();
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/https?:\/\//);
    }
    // The API's own answers keep their stricter policy.
    const health = await fetch(`${baseUrl}/healthz`);
    expect(health.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
  });

  it('signs in with a token kept in sessionStorage and draws the ancestors the API reports', async () => {
    await signIn(page, `${baseUrl}/#/graph/${deepest}?mode=ancestors`, token);
    const drawn = await drawnGraph(page, deepest, 'ancestors');
    const path = await api<AuthorizationPath>(`/v1/executions/${deepest}/authorization-path`);
    expect(drawn.nodes).toBe(path.nodes.length);
    expect(drawn.edges).toBe(path.edges.length);
    expect(drawn.pathEdges).toBe(path.edges.length);
    expect(drawn.root).toBe(path.roots.length);
    expect(await page.$$eval('#graph-text li', (li) => li.length)).toBe(path.nodes.length);
    expect(await page.evaluate(() => Object.values(sessionStorage))).toContain(token);
    expect(page.url()).not.toContain(token);
  });

  it("draws the demo's whole lineage: every join, denial, hold, override and replay", async () => {
    await page.goto(`${baseUrl}/#/graph/${deepest}?mode=lineage`);
    const drawn = await drawnGraph(page, deepest, 'lineage');
    const root = executions.E1!;
    const below = await api<NodePage>(`/v1/executions/${root}/descendants?limit=1000`);
    const ids = [root, ...below.items.map((n) => n.execution_id)];
    expect(drawn.nodes).toBe(ids.length);
    expect(drawn.edges).toBe((await edgesAmong(ids)).size);
    const expected = await outcomesOf(ids);
    expect(drawn.deny).toBe(expected.deny);
    expect(drawn.override).toBe(expected.override);
    expect(drawn.replayed).toBe(expected.replayed);
    // The scenario has them all: E4 joins E2 and E3, E9 was held then approved, E7's id replayed.
    expect(drawn.edges).toBeGreaterThan(drawn.nodes - 1);
    expect([expected.deny, expected.override, expected.replayed].every((n) => n > 0)).toBe(true);
    if (SCREENSHOTS) await page.screenshot({ path: join(REPO, 'docs/console-graph.png') });
  });

  it('opens the blast radius of a denied execution; click and keys move', async () => {
    await page.goto(`${baseUrl}/#/graph/${denied}?mode=blast`);
    const drawn = await drawnGraph(page, denied, 'blast');
    const below = await api<NodePage>(`/v1/executions/${denied}/descendants`);
    expect(drawn.nodes).toBe(below.items.length + 1);
    expect(drawn.deny).toBe(drawn.nodes);
    // Keyboard: focus the graph, move down to a child; the selection panel names it.
    await page.focus('#graph');
    await page.keyboard.press('ArrowDown');
    const child = below.items[0]!.execution_id;
    await page.waitForFunction(
      (id) => document.getElementById('selection')?.textContent?.includes(id),
      {},
      child,
    );
    // Click to move: the text alternative's line of the child redraws the graph around it.
    await page.click(`#graph-text a[href*="${child}"]`);
    await drawnGraph(page, child, 'lineage');
  });

  it('verifies the genuine bundle in the page: every check passes', async () => {
    await page.goto(`${baseUrl}/#/execution/${deepest}`);
    await page.waitForSelector('#verify-here');
    expect(await page.$eval('#outcome', (e) => (e as HTMLElement).dataset.decision)).toBe('allow');
    await page.click('#verify-here');
    await page.waitForSelector('.verdict');
    expect(await page.$eval('.verdict', (e) => (e as HTMLElement).dataset.valid)).toBe('true');
    const statuses = await page.$$eval('.checks li', (li) =>
      li.map((l) => [(l as HTMLElement).dataset.check, (l as HTMLElement).dataset.status]),
    );
    expect(statuses.filter(([, s]) => s === 'fail' || s === 'skipped')).toEqual([]);
    expect(statuses).toContainEqual(['ancestry', 'pass']);
    expect(statuses).toContainEqual(['inclusion', 'pass']);
    expect(await page.$eval('#runtime-release', (e) => e.textContent)).toBe(
      'runtime_verified: true',
    );
    if (SCREENSHOTS) {
      await page.$eval('#verify-panel', (e) => e.scrollIntoView());
      await page.screenshot({ path: join(REPO, 'docs/console-verify.png') });
    }
  });

  it('had no console errors and asked nothing of any origin but the API', () => {
    expect(seen.errors).toEqual([]);
    expect(seen.requests.filter((u) => new URL(u).origin !== baseUrl)).toEqual([]);
  });
});

describe('the offline /verify page', () => {
  let browser: Browser;
  let dir: string;
  const evidence = join(demoDir, 'evidence.json');
  const trust = join(demoDir, 'truststore.json');

  beforeAll(async () => {
    browser = await launchChromium();
    dir = await mkdtemp(join(tmpdir(), 'lineage-verify-'));
    const doctored = JSON.parse(await readFile(evidence, 'utf8')) as { attestations: unknown[] };
    doctored.attestations.pop();
    await writeFile(join(dir, 'doctored.json'), JSON.stringify(doctored));
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** Loads the page, then blocks every request, verifies, and returns what it showed and asked. */
  async function verifyOffline(url: string, bundle: string) {
    const page = await browser.newPage();
    const seen = watch(page);
    await page.goto(url);
    await page.waitForSelector('#verify');
    const blocked: string[] = [];
    await page.setRequestInterception(true);
    page.on('request', (r) => {
      blocked.push(r.url());
      void r.abort();
    });
    await (await page.$('input#bundle-file'))!.uploadFile(bundle);
    await (await page.$('input#trust-file'))!.uploadFile(trust);
    await page.click('#verify');
    await page.waitForSelector('.verdict');
    const verdict = await page.$eval('.verdict', (e) => ({ ...(e as HTMLElement).dataset }));
    const failing = await page.$$eval('.checks li[data-status="fail"]', (li) =>
      li.map((l) => (l as HTMLElement).dataset.check),
    );
    await page.close();
    return { verdict, failing, blocked, errors: seen.errors };
  }

  it('verifies the genuine bundle against the trust store with the network blocked', async () => {
    const run = await verifyOffline(`${baseUrl}/verify`, evidence);
    expect(run.verdict).toEqual({ valid: 'true', code: '' });
    expect(run.blocked).toEqual([]);
    expect(run.errors).toEqual([]);
  });

  it('shows a doctored copy invalid, with the failing check and its code', async () => {
    const run = await verifyOffline(`${baseUrl}/verify`, join(dir, 'doctored.json'));
    expect(run.verdict).toEqual({ valid: 'false', code: 'ANCESTOR_MISSING' });
    expect(run.failing).toEqual(['ancestry']);
    expect(run.blocked).toEqual([]);
  });

  it('works from a saved copy on disk', async () => {
    const saved = join(dir, 'saved');
    for (const name of ['verify.html', 'verify.js', 'console.css', 'favicon.svg'])
      await cp(join(REPO, 'packages/console/dist', name), join(saved, name));
    const run = await verifyOffline(pathToFileURL(join(saved, 'verify.html')).href, evidence);
    expect(run.verdict).toEqual({ valid: 'true', code: '' });
    expect(run.blocked).toEqual([]);
    expect(run.errors).toEqual([]);
  });
});
