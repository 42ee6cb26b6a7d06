import { auditChain } from './audit-chain.js';
import { auditCheckpoints } from './audit-checkpoints.js';
import type {
  Chain,
  CheckpointRecord,
  LogAuditContext,
  LogAuditInput,
  LogAuditProblem,
  LogAuditReport,
} from './audit-report.js';
import { problemIn } from './audit-report.js';

const DECIMAL = /^(0|[1-9][0-9]{0,8})$/;

/**
 * Audits a ledger read end to end: every attestation partition is a complete, unbroken, validly
 * signed hash chain in sequence order, and every signed checkpoint of a partition is well signed,
 * consistent with the partition's earlier checkpoint and matched by the ledger's own Merkle tree.
 * Record checks run over all partitions first, then checkpoint checks. Pure and synchronous.
 * @returns the first problem found (code, partition, offset), or the per-partition sizes.
 */
export function auditLog(
  input: LogAuditInput,
  ctx: LogAuditContext,
): LogAuditProblem | LogAuditReport {
  // Every partition must be an unbroken chain of verified records.
  const chains = new Map<number, Chain>();
  for (const partition of [...input.partitions].sort((a, b) => a.partition - b.partition)) {
    const result = auditChain(partition, ctx);
    if (!result.ok) return result;
    chains.set(partition.partition, result.chain);
  }
  // Every checkpoint record must name the partition it signs.
  const byPartition = checkpointsByPartition(input.checkpoints);
  if (!(byPartition instanceof Map)) return byPartition;
  // Every partition's checkpoints must be signed and matched by its chain.
  const partitions: LogAuditReport['partitions'] = [];
  for (const p of [...new Set([...chains.keys(), ...byPartition.keys()])].sort((a, b) => a - b)) {
    const chain = chains.get(p) ?? { partition: p, leaves: [], endOffset: '0' };
    const records = byPartition.get(p) ?? [];
    const result = auditCheckpoints(chain, records, input.attestationsTopic, ctx);
    if (!result.ok) return result;
    partitions.push({
      partition: p,
      size: chain.leaves.length,
      checkpoints: records.length,
      checkpointed: result.checkpointed,
    });
  }
  return {
    ok: true,
    attestations: partitions.reduce((n, p) => n + p.size, 0),
    checkpoints: input.checkpoints.length,
    partitions,
  };
}

// Checkpoints grouped by the partition their key names, in topic order.
function checkpointsByPartition(
  records: readonly CheckpointRecord[],
): Map<number, CheckpointRecord[]> | LogAuditProblem {
  const byPartition = new Map<number, CheckpointRecord[]>();
  for (const record of records) {
    // The key must name an attestation partition.
    if (record.key === null || !DECIMAL.test(record.key)) {
      return problemIn(-1, 'checkpoints')(
        'CHECKPOINT_SIGNATURE_INVALID',
        record.offset,
        null,
        `checkpoint record key ${JSON.stringify(record.key)} names no partition`,
      );
    }
    const p = Number(record.key);
    byPartition.set(p, [...(byPartition.get(p) ?? []), record]);
  }
  return byPartition;
}
