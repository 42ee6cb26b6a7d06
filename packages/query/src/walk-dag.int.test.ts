import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateKeyPair } from '@lineage/keys';
import { createPool } from '@lineage/store';
import { diamondLadder, LedgerBuilder, mulberry32, randomDag } from '@lineage/testkit';
import type { LedgerRecord } from '@lineage/testkit';
import { projected } from './fixtures.js';
import { openQueries } from './queries.js';
import type { LineageNode, LineageQueries, Page, WalkOptions } from './types.js';
import type { Direction } from './walk.sql.js';
import { walkLevelByLevel } from './walk.js';

// Given the test kit's multi-parent DAGs (a random DAG of 1 to 4 parents per execution, denied and
// held decisions among them, and a 16-layer diamond ladder: 2^16 paths to its leaf), projected
// through the projector's write path, when paging ancestors and descendants from many starts with
// several page sizes and depths, then every page of the walk (one statement per page while its
// levels are narrow) is the page the level-by-level walk reads, item for item and cursor for cursor.

const keys = generateKeyPair();
let pool: Pool;
let schema: string;
let q: LineageQueries;
let dag: LedgerRecord[];
let ladder: ReturnType<typeof diamondLadder>;

beforeAll(async () => {
  pool = createPool(inject('databaseUrl'));
  const builder = new LedgerBuilder(keys.signer);
  dag = randomDag(builder, 400, 19);
  ladder = diamondLadder(builder, 16);
  schema = await projected(pool, [...dag, ...ladder.attestations]);
  q = openQueries(pool, schema);
}, 120_000);

afterAll(async () => {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

type Walk = (options: WalkOptions) => Promise<Page<LineageNode>>;

/** Up to `pages` pages of a walk, each with the cursor it returned. */
async function pagesOf(walk: Walk, options: WalkOptions, pages: number) {
  const out: Page<LineageNode>[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<LineageNode> = await walk({ ...options, cursor });
    out.push(page);
    cursor = page.next;
  } while (cursor !== null && out.length < pages);
  return out;
}

async function expectSameWalk(id: string, direction: Direction, options: WalkOptions) {
  const pages = (options.limit ?? 100) < 10 ? 8 : 1_000;
  const fast: Walk = (o) => (direction === 'up' ? q.ancestors(id, o) : q.descendants(id, o));
  const reference: Walk = (o) => walkLevelByLevel(pool, schema, direction, id, o);
  const got = await pagesOf(fast, options, pages);
  expect(got).toEqual(await pagesOf(reference, options, pages));
  return got.reduce((n, p) => n + p.items.length, 0);
}

describe('a walk page is the level-by-level walk page', () => {
  it('on a random multi-parent DAG, both ways, from many starts', async () => {
    const pick = mulberry32(5);
    let nodes = 0;
    for (let s = 0; s < 24; s++) {
      const id = dag[Math.floor(pick() * dag.length)]!.executionId;
      const options = { limit: [1, 7, 100][s % 3]!, maxDepth: [3, 50][Math.floor(s / 3) % 2]! };
      nodes += await expectSameWalk(id, 'up', options);
      nodes += await expectSameWalk(id, 'down', options);
    }
    // The walks were not all empty: the comparison compared something.
    expect(nodes).toBeGreaterThan(500);
  }, 120_000);

  it('on a diamond ladder: each ancestor once, at its shortest distance, however many paths', async () => {
    const leaf = ladder.leaf.executionId;
    const root = ladder.layers[0]![0]!.executionId;
    for (const limit of [1, 5, 32, 100]) {
      expect(await expectSameWalk(leaf, 'up', { limit })).toBe(
        limit < 10 ? Math.min(8 * limit, 32) : 32,
      );
      await expectSameWalk(root, 'down', { limit });
    }
    const all = await q.ancestors(leaf, { limit: 100 });
    expect(all.items.map((n) => n.depth)).toEqual(
      Array.from({ length: 32 }, (_, i) => 1 + Math.floor(i / 2)),
    );
  }, 120_000);
});
