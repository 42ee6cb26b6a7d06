/// <reference lib="dom" />
// Console benchmark: the audit console's graph renderer (packages/console: cytoscape + dagre on a
// canvas) drawing synthetic layered lineages in headless Chromium. For each size: time to first
// graph (build, layout, first paint) and frames while panning for two seconds (requestAnimationFrame
// counted in the page, the longest frame too). The baseline is a 100-node lineage measured in the
// same run; the last lines are `ratio_first_graph_<n>` and `ratio_fps_<n>` against it.
// `pnpm bench:console`; BENCH_SIZES (default 100,1000,2000), BENCH_RUNS (default 3, median reported).
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'puppeteer-core';
import { launchChromium } from '@lineage/testkit/browser';
import { mulberry32 } from '@lineage/testkit';
import { table } from './lib/report.js';

const REPO = join(import.meta.dirname, '..');
const SIZES = (process.env.BENCH_SIZES ?? '100,1000,2000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_RUNS ?? '3');
const PAN_MS = 2_000;

/** The console's renderer and graph model, bundled for the page from their sources. */
async function rendererBundle(): Promise<string> {
  const result = await build({
    stdin: {
      contents: `import { drawGraph } from './src/graph/render.ts';
        import { addEdge, addNode, emptyGraph } from './src/graph/model.ts';
        Object.assign(window, { bench: { drawGraph, addEdge, addNode, emptyGraph } });`,
      resolveDir: join(REPO, 'packages/console'),
      loader: 'ts',
    },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** A layered lineage of `n` executions: ~√n per layer, one or two parents each (joins), some denied. */
function lineage(n: number, seed: number) {
  const random = mulberry32(seed);
  const width = Math.max(1, Math.round(Math.sqrt(n)));
  const nodes = Array.from({ length: n }, (_, i) => ({
    id: `exec-${i}`,
    layer: Math.floor(i / width),
    decision: random() < 0.1 ? 'deny' : random() < 0.05 ? 'pending_override' : 'allow',
  }));
  const edges: [string, string][] = [];
  for (const node of nodes.slice(width)) {
    const above = nodes.filter((m) => m.layer === node.layer - 1);
    const parents = new Set([above[Math.floor(random() * above.length)]!.id]);
    if (random() < 0.3) parents.add(above[Math.floor(random() * above.length)]!.id);
    for (const p of parents) edges.push([node.id, p]);
  }
  return { nodes, edges };
}

interface Sample {
  firstGraphMs: number;
  fps: number;
  longestFrameMs: number;
}

/** Draws one lineage in a fresh page, then pans it for {@link PAN_MS}, counting frames. */
async function measure(page: Page, bundle: string, n: number, seed: number): Promise<Sample> {
  await page.setContent('<div id="g" style="position:relative;width:1200px;height:800px"></div>');
  await page.addScriptTag({ content: bundle });
  // tsx names the functions it compiles with a `__name` helper the page does not have.
  await page.evaluate('globalThis.__name = (f) => f');
  return page.evaluate(
    async (data, panMs) => {
      type Bench = {
        drawGraph: (c: HTMLElement, g: unknown) => { cy: { panBy(p: object): void } };
        emptyGraph: (s: string) => unknown;
        addNode: (g: unknown, n: object) => void;
        addEdge: (g: unknown, c: string, p: string, onPath: boolean) => void;
      };
      const b = (window as unknown as { bench: Bench }).bench;
      const frame = () => new Promise<number>((r) => requestAnimationFrame(r));
      const t0 = performance.now();
      const graph = b.emptyGraph(data.nodes[0]!.id);
      for (const n of data.nodes)
        b.addNode(graph, {
          execution_id: n.id,
          depth: n.layer,
          decision: n.decision,
          action: 'act',
          agent: 'a',
        });
      for (const [c, p] of data.edges) b.addEdge(graph, c, p, false);
      const drawn = b.drawGraph(document.getElementById('g')!, graph);
      await frame();
      await frame();
      const firstGraphMs = performance.now() - t0;
      let frames = 0;
      let longest = 0;
      let last = performance.now();
      const until = last + panMs;
      while (last < until) {
        drawn.cy.panBy({ x: frames % 120 < 60 ? 4 : -4, y: 2 * Math.sin(frames / 10) });
        const now = await frame();
        longest = Math.max(longest, now - last);
        last = now;
        frames++;
      }
      return { firstGraphMs, fps: (frames * 1000) / panMs, longestFrameMs: longest };
    },
    lineage(n, seed),
    PAN_MS,
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const bundle = await rendererBundle();
  const browser = await launchChromium();
  const results = new Map<number, Sample>();
  try {
    const page = await browser.newPage();
    for (const n of [100, ...SIZES.filter((s) => s !== 100)]) {
      const samples: Sample[] = [];
      for (let run = 0; run < RUNS; run++) samples.push(await measure(page, bundle, n, 7 + run));
      results.set(n, {
        firstGraphMs: median(samples.map((s) => s.firstGraphMs)),
        fps: median(samples.map((s) => s.fps)),
        longestFrameMs: median(samples.map((s) => s.longestFrameMs)),
      });
    }
  } finally {
    await browser.close();
  }
  const rows = [['nodes', 'first graph ms', 'fps panning', 'longest frame ms']];
  for (const [n, s] of results)
    rows.push([
      String(n),
      s.firstGraphMs.toFixed(0),
      s.fps.toFixed(1),
      s.longestFrameMs.toFixed(0),
    ]);
  console.log(
    `headless Chromium, medians of ${RUNS} runs; panning for ${PAN_MS} ms; load average ${loadavg()[0]!.toFixed(1)}\n`,
  );
  console.log(table(rows));
  const base = results.get(100)!;
  for (const [n, s] of results) {
    if (n === 100) continue;
    console.log(`ratio_first_graph_${n} ${(s.firstGraphMs / base.firstGraphMs).toFixed(1)}`);
    console.log(`ratio_fps_${n} ${(s.fps / base.fps).toFixed(2)}`);
  }
}

await main();
