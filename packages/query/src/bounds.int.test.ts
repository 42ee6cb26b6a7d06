import type { QueryResult } from 'pg';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { MAX_BUNDLE_ATTESTATIONS, MAX_PATH_EDGES, MAX_WALK_WIDTH } from '@lineage/contract';
import { generateKeyPair } from '@lineage/keys';
import { qualifiedName } from '@lineage/store';
import { encodeListCursor, encodeWalkCursor } from './cursor.js';
import { agentKey, LedgerBuilder } from '@lineage/testkit';
import type { LedgerRecord as Attested } from '@lineage/testkit';
import { testDatabase } from '@lineage/testkit/pg';
import { projected, queryErrorCode } from './fixtures.js';
import { openQueries } from './queries.js';
import type { LineageQueries } from './types.js';
import { levelSql } from './walk.sql.js';

// Given a node of 50,000 children beside one of 50 (wider than MAX_WALK_WIDTH, so a walk may not
// pass it), when paging its walks, then a page reads O(limit) rows whatever the fan-out; passing a
// level too wide, an authorization path too large and a bundle too large answer with a cap.

const WIDE = 50_000;
const NARROW = 50;
const keys = generateKeyPair();
const { pool, dropLater } = testDatabase(inject('databaseUrl'));
let schema: string;
let builder: LedgerBuilder;
let wide: Attested;
let narrow: Attested;
let tooBig: Attested;
const AGENT = agentKey('wide');

/** `count` synthetic execution ids with a prefix (8 hex digits): sortable, valid UUIDv7. */
const idsSql = (prefix: string, count: number) =>
  `SELECT '${prefix}-0000-7000-8000-' || lpad(to_hex(i), 12, '0') AS id
   FROM generate_series(1, ${count}) AS i`;

async function link(children: string, parents: string, via: string): Promise<void> {
  const edges = qualifiedName(schema, 'lineage_edges');
  await pool.query(
    `INSERT INTO ${edges} (child_id, parent_id, parent_attestation)
     SELECT c.id, p.id, $1 FROM (${children}) c CROSS JOIN (${parents}) p`,
    [via],
  );
}

const one = (id: string) => `SELECT '${id}'::text AS id`;

beforeAll(async () => {
  builder = new LedgerBuilder(keys.signer);
  wide = builder.decide([], { agent: AGENT });
  narrow = builder.decide();
  tooBig = builder.decide();
  schema = dropLater(await projected(pool, [wide, narrow, tooBig]));
  // wide: 50,000 children (a1…), the first three with a child each (a2…); narrow: 50 (b1…), each
  // with a child (b2…); a node (c0…) with 6,000 parents (c1…); tooBig has MAX_BUNDLE ancestors.
  await link(idsSql('a1000000', WIDE), one(wide.executionId), wide.digest);
  await link(idsSql('a2000000', 1), idsSql('a1000000', 3), wide.digest);
  await link(idsSql('b1000000', NARROW), one(narrow.executionId), narrow.digest);
  for (let i = 1; i <= NARROW; i++)
    await link(
      one(`b2000000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`),
      one(`b1000000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`),
      narrow.digest,
    );
  await link(idsSql('c0000000', 1), idsSql('c1000000', 6_000), narrow.digest);
  await link(one(tooBig.executionId), idsSql('d1000000', MAX_BUNDLE_ATTESTATIONS), tooBig.digest);
  await pool.query(`ANALYZE ${qualifiedName(schema, 'lineage_edges')}`);
}, 120_000);

/** Queries over a pool that tallies the values (array elements counted) its statements return. */
function tallied(): { q: LineageQueries; values: () => number } {
  let values = 0;
  const count = (result: QueryResult) => {
    for (const row of result.rows as Record<string, unknown>[])
      for (const v of Object.values(row)) values += Array.isArray(v) ? v.length : 1;
    return result;
  };
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, p) {
        const v: unknown = Reflect.get(t, p);
        if (p === 'query')
          return async (...args: unknown[]) =>
            count(await (v as (...a: unknown[]) => Promise<QueryResult>).apply(t, args));
        if (p === 'connect') return async () => wrap(await pool.connect());
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
  return { q: openQueries(wrap(pool), schema), values: () => values };
}

/** Index entries the plan of `levelSql` read from `lineage_edges`, by EXPLAIN ANALYZE. */
async function edgesRead(frontier: string[], after: string, n: number): Promise<number> {
  const { rows } = await pool.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
    `EXPLAIN (ANALYZE, FORMAT JSON) ${levelSql(schema, 'down')}`,
    [frontier, frontier, after, n],
  );
  type PlanNode = {
    'Relation Name'?: string;
    'Actual Rows': number;
    'Actual Loops': number;
    Plans?: PlanNode[];
  };
  const sum = (p: PlanNode): number =>
    (p['Relation Name'] === 'lineage_edges' ? p['Actual Rows'] * p['Actual Loops'] : 0) +
    (p.Plans ?? []).reduce((s, c) => s + sum(c), 0);
  return sum(rows[0]!['QUERY PLAN'][0].Plan);
}

describe('bounded walks', () => {
  it('a page below 50,000 children reads what a page below 50 reads', async () => {
    for (const limit of [1, 10]) {
      const reads = [];
      for (const start of [wide, narrow]) {
        const t = tallied();
        const page = await t.q.descendants(start.executionId, { limit });
        expect(page.items).toHaveLength(limit);
        expect(page.items.every((n) => n.depth === 1)).toBe(true);
        expect(page.next).not.toBeNull();
        reads.push(t.values());
      }
      // About as many values come back from the wide node as from the narrow one (the wide one
      // takes a statement more): O(limit), a thousandth of the fan-out.
      expect(reads[0]).toBeLessThanOrEqual(2 * reads[1]!);
      expect(reads[0]).toBeLessThan(10 * limit + 20);
    }
    // In Postgres too: one level part reads limit + 1 index entries, however wide the level.
    expect(await edgesRead([wide.executionId], '', 2)).toBeLessThanOrEqual(2);
    expect(await edgesRead([narrow.executionId], '', 2)).toBeLessThanOrEqual(2);
  });

  it('pages on through the wide level in order, each page as cheap', async () => {
    const t = tallied();
    const first = await t.q.descendants(wide.executionId, { limit: 5 });
    const before = t.values();
    const second = await t.q.descendants(wide.executionId, { limit: 5, cursor: first.next });
    expect(t.values() - before).toBeLessThan(200);
    const ids = [...first.items, ...second.items].map((n) => n.execution_id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(10);
    expect(ids[0]).toBe('a1000000-0000-7000-8000-000000000001');
  });

  it('a walk that must pass a level wider than MAX_WALK_WIDTH stops there: truncated, no next', async () => {
    expect(WIDE).toBeGreaterThan(MAX_WALK_WIDTH);
    const lastChild = `a1000000-0000-7000-8000-${WIDE.toString(16).padStart(12, '0')}`;
    const cursor = encodeWalkCursor({ depth: 1, execution_id: lastChild });
    const page = await openQueries(pool, schema).descendants(wide.executionId, { cursor });
    expect(page).toMatchObject({ items: [], next: null, truncated: true });
    // The narrow node's grandchildren are listed after its children.
    const all = await openQueries(pool, schema).descendants(narrow.executionId, { limit: 1_000 });
    expect(all.items).toHaveLength(2 * NARROW);
    expect(all.truncated).toBeUndefined();
    // The blast radius of the wide node's agent: the same bounds.
    const t = tallied();
    const blast = await t.q.agentBlastRadius(AGENT, { limit: 3 });
    expect(blast.items.map((n) => n.depth)).toEqual([0, 1, 1]);
    expect(t.values()).toBeLessThan(100);
    const stuck = await openQueries(pool, schema).agentBlastRadius(AGENT, {
      cursor: encodeWalkCursor({ depth: 1, execution_id: lastChild }),
    });
    expect(stuck).toMatchObject({ items: [], next: null, truncated: true });
  });

  it('ancestors of a node of 6,000 parents: a page reads O(limit)', async () => {
    const t = tallied();
    const page = await t.q.ancestors('c0000000-0000-7000-8000-000000000001', { limit: 2 });
    expect(page.items.map((n) => n.execution_id)).toEqual([
      'c1000000-0000-7000-8000-000000000001',
      'c1000000-0000-7000-8000-000000000002',
    ]);
    expect(t.values()).toBeLessThan(60);
  });

  it('an authorization path past its caps stops a level earlier, truncated', async () => {
    const q = openQueries(pool, schema);
    // 6,000 parent edges: more than MAX_PATH_EDGES.
    const fanIn = await q.authorizationPath('c0000000-0000-7000-8000-000000000001');
    expect(6_000).toBeGreaterThan(MAX_PATH_EDGES);
    expect(fanIn).toMatchObject({ edges: [], roots: [], truncated: true });
    expect(fanIn.nodes.map((n) => n.depth)).toEqual([0]);
    // 50 parents, each with its own: fits; whole, not truncated.
    const fits = await q.authorizationPath('b2000000-0000-7000-8000-000000000001');
    expect(fits).toMatchObject({ roots: [narrow.executionId], truncated: false });
    expect(fits.nodes).toHaveLength(3);
  });

  it('a bundle of more than MAX_BUNDLE_ATTESTATIONS attestations is RESPONSE_TOO_LARGE', async () => {
    const q = openQueries(pool, schema);
    const sources = { keys: [], policies: [] };
    expect(await queryErrorCode(q.bundle(tooBig.executionId, sources))).toBe('RESPONSE_TOO_LARGE');
    expect((await q.bundle(narrow.executionId, sources)).attestations).toHaveLength(1);
  });

  it('a listing cursor with an impossible date is INVALID_CURSOR before any SQL', async () => {
    const cursor = encodeListCursor({
      issued_at: '2026-02-30T00:00:00.000000Z',
      attestation_digest: wide.digest,
    });
    const q = openQueries(pool, schema);
    expect(await queryErrorCode(q.byAgent(AGENT, { cursor }))).toBe('INVALID_CURSOR');
  });
});
