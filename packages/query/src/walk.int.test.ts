import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateKeyPair } from '@lineage/keys';
import { createPool, qualifiedName } from '@lineage/store';
import { LedgerBuilder } from '@lineage/testkit';
import { projected } from './fixtures.js';
import { openQueries } from './queries.js';
import type { LineageNode, LineageQueries, WalkOptions } from './types.js';

// Given a seeded random DAG of 3,000 executions (joins, long and short edges, levels narrow and
// wide), when paging ancestors and descendants from many starts with several page sizes, then the
// pages are exactly a plain breadth-first walk's (shortest depth, execution id) order.

const COUNT = 3_000;
const keys = generateKeyPair();
let pool: Pool;
let schema: string;
let q: LineageQueries;
const ids: string[] = [];
const parents = new Map<string, string[]>();
const children = new Map<string, string[]>();

function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

beforeAll(async () => {
  pool = createPool(inject('databaseUrl'));
  const root = new LedgerBuilder(keys.signer).decide();
  schema = await projected(pool, [root]);
  const rnd = random(7);
  const id = (i: number) =>
    `${Math.floor(rnd() * 0xffffffff)
      .toString(16)
      .padStart(8, '0')
      .slice(0, 8)}-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;
  ids.push(root.executionId);
  for (let i = 1; i < COUNT; i++) ids.push(id(i));
  const rows: [string, string][] = [];
  for (let i = 1; i < COUNT; i++) {
    const n = rnd() < 0.05 ? 0 : rnd() < 0.3 ? 3 : 1;
    // Mostly recent parents, sometimes far ones, so nodes are reached at several distances.
    const picked = new Set<number>();
    for (let k = 0; k < n; k++)
      picked.add(rnd() < 0.8 ? Math.max(0, i - 1 - Math.floor(rnd() * 20)) : Math.floor(rnd() * i));
    for (const p of picked) rows.push([ids[i]!, ids[p]!]);
  }
  for (const [c, p] of rows) {
    parents.set(c, [...(parents.get(c) ?? []), p]);
    children.set(p, [...(children.get(p) ?? []), c]);
  }
  await pool.query(
    `INSERT INTO ${qualifiedName(schema, 'lineage_edges')} (child_id, parent_id, parent_attestation)
     SELECT c, p, 'x' FROM unnest($1::text[], $2::text[]) AS t(c, p)`,
    [rows.map((r) => r[0]), rows.map((r) => r[1])],
  );
  await pool.query(`ANALYZE ${qualifiedName(schema, 'lineage_edges')}`);
  q = openQueries(pool, schema);
}, 120_000);

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

/** The reference: a plain breadth-first walk, sorted by (depth, id). */
function reference(start: string, next: Map<string, string[]>, maxDepth: number) {
  const depth = new Map([[start, 0]]);
  let frontier = [start];
  for (let d = 1; d <= maxDepth && frontier.length > 0; d++) {
    const fresh: string[] = [];
    for (const n of frontier)
      for (const m of next.get(n) ?? [])
        if (!depth.has(m)) {
          depth.set(m, d);
          fresh.push(m);
        }
    frontier = fresh;
  }
  return [...depth].filter(([, d]) => d > 0).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
}

async function paged(
  walk: (o: WalkOptions) => Promise<{ items: LineageNode[]; next: string | null }>,
  limit: number,
  pages = Infinity,
) {
  const out: [string, number][] = [];
  let cursor: string | null = null;
  do {
    const page: { items: LineageNode[]; next: string | null } = await walk({
      limit,
      cursor,
      maxDepth: 1_000,
    });
    out.push(...page.items.map((n): [string, number] => [n.execution_id, n.depth]));
    cursor = page.next;
  } while (cursor !== null && --pages > 0);
  return out;
}

describe('walks match a plain breadth-first walk', () => {
  it('page after page, both ways, from many starts', async () => {
    const rnd = random(11);
    for (let s = 0; s < 16; s++) {
      const start = ids[Math.floor(rnd() * COUNT)]!;
      // A node with no edge at all is not in the projection (NOT_FOUND): not a start.
      if (!parents.has(start) && !children.has(start)) continue;
      // Whole walks with large pages; the first 20 pages with small ones (a walk of thousands of
      // nodes paged by 1 re-reads its passed levels on every page: correct, but slow to test).
      const limit = [1, 7, 100, 1_000][s % 4]!;
      const pages = limit < 100 ? 20 : Infinity;
      const up = reference(start, parents, 1_000);
      const down = reference(start, children, 1_000);
      const prefix = (all: [string, number][]) => (limit < 100 ? all.slice(0, 20 * limit) : all);
      expect(await paged((o) => q.ancestors(start, o), limit, pages)).toEqual(prefix(up));
      expect(await paged((o) => q.descendants(start, o), limit, pages)).toEqual(prefix(down));
    }
    const shallow = await q.descendants(ids[0]!, { limit: 1_000, maxDepth: 3 });
    expect(shallow.items.map((n) => [n.execution_id, n.depth])).toEqual(
      reference(ids[0]!, children, 3).slice(0, 1_000),
    );
  }, 120_000);
});
