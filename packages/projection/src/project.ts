import type { PoolClient } from 'pg';
import type { Project } from '@lineage/store';
import { qualifiedName } from '@lineage/store';
import type { Skipped } from './decode.js';
import type { CheckpointRow, EdgeRow, ExecutionRow, PolicyRow } from './rows.js';
import { decodeCheckpoint, decodePolicy } from './decode.js';
import { extendTree } from './merkle.js';
import type { Row, SendPart } from './pipeline.js';
import { StatementQueue, writeWhileDecoding } from './pipeline.js';

/** Receives the records the projector leaves out, with the reason. */
export type OnSkip = (skip: Omit<Skipped, 'type'>) => void;

/**
 * The projection of the attestations topic: decodes each record and inserts its execution row and
 * (for decisions) its lineage edges, `ON CONFLICT DO NOTHING`, so a record seen twice, or the same
 * attestation appended twice, changes nothing; and extends its partition's Merkle tree in
 * `merkle_hashes` (see `extendTree`) in the same transaction. Rows are written set-based, a part
 * at a time while the rest of the batch is decoded (`writeWhileDecoding`). Undecodable records are
 * reported to `onSkip` and skipped; a batch Postgres refuses a value of is redone row by row, so
 * only the offending record is left out (UNSTORABLE).
 * @throws StoreError INVALID_IDENTIFIER for a bad schema name.
 */
export function projectAttestations(schema: string, onSkip: OnSkip = () => undefined): Project {
  const insertExecutions = `
    INSERT INTO ${qualifiedName(schema, 'executions')} (
      execution_id, attestation_digest, kind, decision, reasons, agent, action, resource, policy_id,
      policy_version, policy_hash, runtime_hash, fingerprint, issued_at, issuer, partition, "offset",
      sequence, envelope, overrides, approver, resolution, grant_digest, principals, depth)
    SELECT execution_id, attestation_digest, kind, decision, reasons, agent, action, resource, policy_id,
      policy_version, policy_hash, runtime_hash, fingerprint, issued_at, issuer, partition, "offset",
      sequence, envelope, overrides, approver, resolution, grant_digest, principals, depth
    FROM jsonb_to_recordset($1::jsonb) AS r(
      execution_id text, attestation_digest text, kind text, decision text, reasons text[], agent text,
      action text, resource text, policy_id text, policy_version int, policy_hash text, runtime_hash text,
      fingerprint text, issued_at timestamptz, issuer text, partition int, "offset" bigint, sequence bigint,
      envelope jsonb, overrides text, approver text, resolution text, grant_digest text,
      principals text[], depth int)
    ON CONFLICT DO NOTHING`;
  const insertEdges = `
    INSERT INTO ${qualifiedName(schema, 'lineage_edges')} (child_id, parent_id, parent_attestation)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
    ON CONFLICT DO NOTHING`;

  // A part's executions and edges, each one set-based statement.
  const sendPart: SendPart = (client, queue, rows) => {
    const executions: ExecutionRow[] = rows.map((r) => r.row);
    const edges: EdgeRow[] = rows.flatMap((r) => r.edges);
    void queue.push(() => client.query(insertExecutions, [JSON.stringify(executions)]));
    if (edges.length === 0) return;
    const columns = [
      edges.map((e) => e.child_id),
      edges.map((e) => e.parent_id),
      edges.map((e) => e.parent_attestation),
    ];
    void queue.push(() => client.query(insertEdges, columns));
  };
  // One row and its tree leaf, for the row-by-row redo of a refused batch.
  const insertOne = async (client: PoolClient, row: Row): Promise<void> => {
    const queue = new StatementQueue();
    sendPart(client, queue, [row]);
    const failed = await queue.drain();
    if (failed !== undefined) throw failed.error;
    await extendTree(client, schema, row.row.partition, [
      { sequence: row.row.sequence, leaf: row.leaf },
    ]);
  };

  return async (client, partition, messages) => {
    const skip = (skipped: Skipped) => onSkip(withoutType(skipped));
    const written = await writeWhileDecoding(client, schema, partition, messages, sendPart, skip);
    if (written.failed === undefined) return;
    if (!isDataException(written.failed)) throw written.failed;
    await client.query('ROLLBACK TO SAVEPOINT batch');
    await insertEachOrSkip(client, partition, written.rows, insertOne, (r) => r.row.offset, onSkip);
  };
}

/**
 * The projection of the policies topic: one `policies` row per policy hash. The topic is compacted
 * (Kafka keeps the last record of each hash), so the row keeps the LAST record of its hash: a
 * record at a higher offset replaces it, a redelivered or older one changes nothing. A projection
 * that saw every record and one rebuilt from the compacted topic therefore hold the same rows.
 * Records whose document does not hash to their key are reported to `onSkip` and skipped.
 * @throws StoreError INVALID_IDENTIFIER for a bad schema name.
 */
export function projectPolicies(schema: string, onSkip: OnSkip = () => undefined): Project {
  const table = qualifiedName(schema, 'policies');
  const upsert = `
    INSERT INTO ${table} AS t (hash, id, version, document, activated_at, partition, "offset")
    SELECT DISTINCT ON (hash) hash, id, version, document, activated_at, partition, "offset"
    FROM jsonb_to_recordset($1::jsonb) AS r(
      hash text, id text, version int, document jsonb, activated_at timestamptz, partition int,
      "offset" bigint)
    ORDER BY hash, "offset" DESC
    ON CONFLICT (hash) DO UPDATE SET
      id = EXCLUDED.id, version = EXCLUDED.version, document = EXCLUDED.document,
      activated_at = EXCLUDED.activated_at, partition = EXCLUDED.partition, "offset" = EXCLUDED."offset"
    WHERE (t.partition, t."offset") < (EXCLUDED.partition, EXCLUDED."offset")`;
  const insert = async (client: PoolClient, rows: PolicyRow[]): Promise<void> => {
    await client.query(upsert, [JSON.stringify(rows)]);
  };
  return async (client, partition, messages) => {
    const rows: PolicyRow[] = [];
    for (const message of messages) {
      const decoded = decodePolicy(partition, message);
      if (decoded.type === 'row') rows.push(decoded.row);
      else onSkip(withoutType(decoded));
    }
    await insertOrSkip(client, partition, rows, insert, (r) => r.offset, onSkip);
  };
}

/**
 * The projection of the checkpoints topic of ledger `attestationsTopic`: one `checkpoints` row per
 * record, keyed by its position, `ON CONFLICT DO NOTHING`, so a redelivered record changes nothing
 * and a rebuild from offset 0 gives the same rows. Records that are not a checkpoint of a partition
 * of that ledger are reported to `onSkip` and skipped (see `decodeCheckpoint`).
 * @throws StoreError INVALID_IDENTIFIER for a bad schema name.
 */
export function projectCheckpoints(
  schema: string,
  attestationsTopic: string,
  onSkip: OnSkip = () => undefined,
): Project {
  const insertCheckpoints = `
    INSERT INTO ${qualifiedName(schema, 'checkpoints')} (
      partition, "offset", ledger, attestation_partition, size, root, note)
    SELECT partition, "offset", ledger, attestation_partition, size, root, note
    FROM jsonb_to_recordset($1::jsonb) AS r(
      partition int, "offset" bigint, ledger text, attestation_partition int, size bigint,
      root text, note text)
    ON CONFLICT DO NOTHING`;
  const insert = async (client: PoolClient, rows: CheckpointRow[]): Promise<void> => {
    await client.query(insertCheckpoints, [JSON.stringify(rows)]);
  };
  return async (client, partition, messages) => {
    const rows: CheckpointRow[] = [];
    for (const message of messages) {
      const decoded = decodeCheckpoint(attestationsTopic, partition, message);
      if (decoded.type === 'row') rows.push(decoded.row);
      else onSkip(withoutType(decoded));
    }
    await insertOrSkip(client, partition, rows, insert, (r) => r.offset, onSkip);
  };
}

function withoutType(skip: Skipped): Omit<Skipped, 'type'> {
  return {
    reason: skip.reason,
    detail: skip.detail,
    partition: skip.partition,
    offset: skip.offset,
  };
}

/**
 * Inserts a batch in one round trip per table; if Postgres rejects a value (SQLSTATE class 22, data
 * exception), redoes it row by row so only the offending record is left out (as UNSTORABLE).
 */
async function insertOrSkip<R>(
  client: PoolClient,
  partition: number,
  rows: R[],
  insert: (client: PoolClient, rows: R[]) => Promise<void>,
  offsetOf: (row: R) => string,
  onSkip: OnSkip,
): Promise<void> {
  if (rows.length === 0) return;
  await client.query('SAVEPOINT batch');
  try {
    await insert(client, rows);
    await client.query('RELEASE SAVEPOINT batch');
    return;
  } catch (error) {
    if (!isDataException(error)) throw error;
    await client.query('ROLLBACK TO SAVEPOINT batch');
  }
  await insertEachOrSkip(client, partition, rows, (c, row) => insert(c, [row]), offsetOf, onSkip);
}

/** Inserts rows one at a time, each under its own savepoint; a row Postgres refuses is skipped. */
async function insertEachOrSkip<R>(
  client: PoolClient,
  partition: number,
  rows: readonly R[],
  insertOne: (client: PoolClient, row: R) => Promise<void>,
  offsetOf: (row: R) => string,
  onSkip: OnSkip,
): Promise<void> {
  for (const row of rows) {
    await client.query('SAVEPOINT one');
    try {
      await insertOne(client, row);
      await client.query('RELEASE SAVEPOINT one');
    } catch (error) {
      if (!isDataException(error)) throw error;
      await client.query('ROLLBACK TO SAVEPOINT one');
      onSkip({
        reason: 'UNSTORABLE',
        detail: (error as Error).message,
        partition,
        offset: offsetOf(row),
      });
    }
  }
}

function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}
