// The two write paths of the query benchmark, one batch at a time, each batch in its own transaction:
// the projector's `projectAttestations` (decode + jsonb_to_recordset insert), and a bare multi-row
// INSERT of the same, ready-made rows into tables of the same columns, keys and indexes.
import { performance } from 'node:perf_hooks';
import type { Pool, PoolClient } from 'pg';
import type { Project } from '@lineage/store';
import { qualifiedName, quoteSchema } from '@lineage/store';
import type { BenchRecord } from './query-records.js';
import { EXECUTION_COLUMNS } from './query-records.js';

/**
 * Creates `bare` with tables copied from the projector's (`LIKE … INCLUDING ALL`: same columns,
 * primary keys and indexes), so the two paths differ only in what they do per row.
 */
export async function createBareTables(pool: Pool, bare: string, projector: string): Promise<void> {
  await pool.query(`CREATE SCHEMA ${quoteSchema(bare)}`);
  for (const table of ['executions', 'lineage_edges', 'merkle_hashes']) {
    await pool.query(
      `CREATE TABLE ${qualifiedName(bare, table)} (LIKE ${qualifiedName(projector, table)} INCLUDING ALL)`,
    );
  }
}

/** Runs `work` in a transaction on `client` and returns its wall time in ms (BEGIN to COMMIT). */
async function timedTransaction(client: PoolClient, work: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await client.query('BEGIN');
  try {
    await work();
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
  return performance.now() - start;
}

function valuesList(rows: number, columns: number): string {
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 1; c <= columns; c++) cells.push(`$${r * columns + c}`);
    tuples.push(`(${cells.join(',')})`);
  }
  return tuples.join(',');
}

/** Writes batches with plain `INSERT … VALUES (…),(…)`: no decoding, no verification, no ON CONFLICT. */
export class BareWriter {
  private readonly sql = new Map<string, string>();
  private readonly executions: string;
  private readonly edges: string;
  private readonly nodes: string;

  constructor(schema: string) {
    this.executions = `INSERT INTO ${qualifiedName(schema, 'executions')} (${EXECUTION_COLUMNS.map((c) => `"${c}"`).join(',')}) VALUES `;
    this.edges = `INSERT INTO ${qualifiedName(schema, 'lineage_edges')} (child_id, parent_id, parent_attestation) VALUES `;
    this.nodes = `INSERT INTO ${qualifiedName(schema, 'merkle_hashes')} (partition, level, index, hash) VALUES `;
  }

  private statement(prefix: string, rows: number, columns: number): string {
    const key = `${prefix}|${rows}`;
    let text = this.sql.get(key);
    if (text === undefined) {
      text = prefix + valuesList(rows, columns);
      this.sql.set(key, text);
    }
    return text;
  }

  /** Inserts one batch in one transaction; returns its time in ms. */
  write(client: PoolClient, batch: readonly BenchRecord[]): Promise<number> {
    return timedTransaction(client, async () => {
      const rows = batch.flatMap((r) => r.row);
      await client.query(
        this.statement(this.executions, batch.length, EXECUTION_COLUMNS.length),
        rows,
      );
      const edges = batch.flatMap((r) => r.edges);
      if (edges.length > 0)
        await client.query(this.statement(this.edges, edges.length, 3), edges.flat());
      const nodes = batch.flatMap((r) => r.nodes);
      await client.query(
        this.statement(this.nodes, nodes.length, 4),
        nodes.flatMap((n) => [0, ...n]),
      );
    });
  }
}

/**
 * Hands one batch to the projector's `Project` in one transaction, as its runner does (partition 0,
 * the records' own offsets); returns its time in ms.
 */
export function projectBatch(
  client: PoolClient,
  project: Project,
  batch: readonly BenchRecord[],
): Promise<number> {
  return timedTransaction(client, () =>
    project(
      client,
      0,
      batch.map((r) => r.message),
    ),
  );
}

/**
 * Counts rows among the first `count` offsets that differ between the two schemas (executions,
 * their edges, and the Merkle tree nodes over them): 0 means the bare insert wrote exactly what the
 * projector wrote.
 */
export async function countDifferences(
  pool: Pool,
  projector: string,
  bare: string,
  count: number,
): Promise<number> {
  const cols = EXECUTION_COLUMNS.map((c) => `"${c}"`).join(',');
  const executions = (s: string) =>
    `SELECT ${cols} FROM ${qualifiedName(s, 'executions')} WHERE "offset" < $1`;
  const edges = (s: string) =>
    `SELECT e.child_id, e.parent_id, e.parent_attestation FROM ${qualifiedName(s, 'lineage_edges')} e
     JOIN ${qualifiedName(s, 'executions')} x ON x.execution_id = e.child_id WHERE x."offset" < $1`;
  // The tree's nodes over those offsets (partition 0, sequence = offset).
  const nodes = (s: string) =>
    `SELECT level, index, hash FROM ${qualifiedName(s, 'merkle_hashes')}
     WHERE partition = 0 AND (index + 1) * (2::numeric ^ level) <= $1`;
  const both = (a: string, b: string) =>
    `SELECT count(*) FROM ((${a} EXCEPT ALL ${b}) UNION ALL (${b} EXCEPT ALL ${a})) d`;
  const { rows } = await pool.query<{ n: string }>(
    `SELECT (${both(executions(projector), executions(bare))}) + (${both(edges(projector), edges(bare))})
       + (${both(nodes(projector), nodes(bare))}) AS n`,
    [count],
  );
  return Number(rows[0]!.n);
}
