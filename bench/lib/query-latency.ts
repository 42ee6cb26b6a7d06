// Latency of one kind of lineage query over a fixed list of starting executions, one at a time.
import { performance } from 'node:perf_hooks';
import type { LatencySummary } from './percentiles.js';
import { summarize } from './percentiles.js';

/** A query under test: returns how many nodes it answered with. */
export type Walk = (executionId: string) => Promise<number>;

/** Latency summary of one query kind, with the sizes of its answers. */
export interface WalkResult {
  name: string;
  latency: LatencySummary;
  /** Mean nodes per answer, and how many answers were empty. */
  meanNodes: number;
  empty: number;
}

/**
 * Runs `walk` once per start, sequentially, after `warmup` unmeasured calls on other starts, and
 * summarizes the per-call wall time.
 */
export async function measureWalk(
  name: string,
  walk: Walk,
  starts: readonly string[],
  warmupStarts: readonly string[],
): Promise<WalkResult> {
  for (const id of warmupStarts) await walk(id);
  const samples: number[] = [];
  let nodes = 0;
  let empty = 0;
  for (const id of starts) {
    const start = performance.now();
    const n = await walk(id);
    samples.push(performance.now() - start);
    nodes += n;
    if (n === 0) empty++;
  }
  return { name, latency: summarize(samples), meanNodes: nodes / starts.length, empty };
}
