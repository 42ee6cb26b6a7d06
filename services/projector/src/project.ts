import type { KafkaMessage } from 'kafkajs';
import type { PoolClient } from 'pg';
import type { Project } from '@lineage/store';
import { qualifiedName } from '@lineage/store';
import type { Decoded, EdgeRow, ExecutionRow } from './decode.js';
import { decodeAttestation } from './decode.js';

type Row = Extract<Decoded, { type: 'row' }>;
type Skip = Extract<Decoded, { type: 'skip' }>;

/** Receives the records the projector leaves out, with the reason. */
export type OnSkip = (skip: Omit<Skip, 'type'>) => void;

/**
 * The projection of the attestations topic: decodes each record and inserts its execution row and
 * (for decisions) its lineage edges, `ON CONFLICT DO NOTHING`, so a record seen twice, or the same
 * attestation appended twice, changes nothing. Undecodable records are reported to `onSkip` and skipped.
 * @throws StoreError INVALID_IDENTIFIER for a bad schema name.
 */
export function projectAttestations(schema: string, onSkip: OnSkip = () => undefined): Project {
  const insertExecutions = `
    INSERT INTO ${qualifiedName(schema, 'executions')} (
      execution_id, attestation_digest, kind, decision, reasons, agent, action, resource, policy_id,
      policy_version, policy_hash, runtime_hash, fingerprint, issued_at, issuer, partition, "offset",
      sequence, envelope)
    SELECT execution_id, attestation_digest, kind, decision, reasons, agent, action, resource, policy_id,
      policy_version, policy_hash, runtime_hash, fingerprint, issued_at, issuer, partition, "offset",
      sequence, envelope
    FROM jsonb_to_recordset($1::jsonb) AS r(
      execution_id text, attestation_digest text, kind text, decision text, reasons text[], agent text,
      action text, resource text, policy_id text, policy_version int, policy_hash text, runtime_hash text,
      fingerprint text, issued_at timestamptz, issuer text, partition int, "offset" bigint, sequence bigint,
      envelope jsonb)
    ON CONFLICT DO NOTHING`;
  const insertEdges = `
    INSERT INTO ${qualifiedName(schema, 'lineage_edges')} (child_id, parent_id, parent_attestation)
    SELECT child_id, parent_id, parent_attestation
    FROM jsonb_to_recordset($1::jsonb) AS r(child_id text, parent_id text, parent_attestation text)
    ON CONFLICT DO NOTHING`;

  const insert = async (client: PoolClient, rows: Row[]): Promise<void> => {
    const executions: ExecutionRow[] = rows.map((r) => r.row);
    const edges: EdgeRow[] = rows.flatMap((r) => r.edges);
    await client.query(insertExecutions, [JSON.stringify(executions)]);
    if (edges.length > 0) await client.query(insertEdges, [JSON.stringify(edges)]);
  };

  return async (client: PoolClient, partition: number, messages: KafkaMessage[]): Promise<void> => {
    const rows: Row[] = [];
    for (const message of messages) {
      const decoded = decodeAttestation(partition, message);
      if (decoded.type === 'row') rows.push(decoded);
      else
        onSkip({
          reason: decoded.reason,
          detail: decoded.detail,
          partition: decoded.partition,
          offset: decoded.offset,
        });
    }
    if (rows.length === 0) return;
    // One round trip per table for the whole batch; if Postgres rejects a value (SQLSTATE class 22,
    // data exception), redo it row by row so only the offending record is left out.
    await client.query('SAVEPOINT batch');
    try {
      await insert(client, rows);
      await client.query('RELEASE SAVEPOINT batch');
      return;
    } catch (error) {
      if (!isDataException(error)) throw error;
      await client.query('ROLLBACK TO SAVEPOINT batch');
    }
    for (const row of rows) {
      await client.query('SAVEPOINT one');
      try {
        await insert(client, [row]);
        await client.query('RELEASE SAVEPOINT one');
      } catch (error) {
        if (!isDataException(error)) throw error;
        await client.query('ROLLBACK TO SAVEPOINT one');
        onSkip({
          reason: 'UNSTORABLE',
          detail: (error as Error).message,
          partition,
          offset: row.row.offset,
        });
      }
    }
  };
}

function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('22');
}
