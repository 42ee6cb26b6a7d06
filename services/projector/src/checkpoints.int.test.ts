import { describe, expect, it } from 'vitest';
import type { TopicNames } from '@lineage/kafka';
import { generateKeyPair, trustedKey } from '@lineage/keys';
import {
  checkpointKeyName,
  checkpointOrigin,
  formatCheckpoint,
  loadTrustStore,
  merkleRoot,
  nobleEd25519,
  signCheckpoint,
  toBase64,
  verifyLedgerCheckpoint,
} from '@lineage/protocol';
import { attestationCodec } from '@lineage/schemas';
import { projectionChecksum } from '@lineage/projection';
import type { Skipped } from '@lineage/projection';
import type { LedgerRecord } from '@lineage/testkit';
import { LedgerBuilder } from '@lineage/testkit';
import { appendMessages } from '@lineage/testkit/kafka';
import { startProjector } from './service.js';
import { projectorHarness } from './testkit.js';

// Given a ledger and signed checkpoints of its partition on real Kafka topics (with records that are
// not checkpoints of it mixed in), when the projector runs, then each checkpoint becomes one row
// exactly once, the others are skipped with a reason, and a rebuild from offset 0 gives equal rows.

const keys = generateKeyPair();
const { pool, kafka, world, rebuild, waitCaughtUp } = projectorHarness(
  'projector-checkpoints-int',
  10,
);

function note(topics: TopicNames, ledger: LedgerRecord[], size: number, origin?: string) {
  const body = formatCheckpoint({
    origin: origin ?? checkpointOrigin(topics.attestations, 0),
    size,
    root: merkleRoot(
      ledger.slice(0, size).map((a) => attestationCodec.decode(a.value).envelope.payload),
    ),
  });
  return signCheckpoint(body, checkpointKeyName(keys.keyid), keys.signer, keys.publicKey);
}

describe('checkpoints projection', () => {
  it('projects signed checkpoints once, skips the rest, and rebuilds to the same rows', async () => {
    const w = await world(1);
    const { schema, topics, groupId } = w;
    const builder = new LedgerBuilder(keys.signer);
    const ledger = Array.from({ length: 10 }, () => builder.decide());
    await appendMessages(
      kafka,
      topics.attestations,
      ledger.map((a) => ({ key: a.executionId, value: a.value })),
    );
    const four = note(topics, ledger, 4);
    const ten = note(topics, ledger, 10);
    await appendMessages(kafka, topics.checkpoints, [
      { key: '0', value: four },
      { key: '0', value: 'not a signed note' },
      { key: 'zero', value: ten },
      { key: '0', value: note(topics, ledger, 10, checkpointOrigin('another.topic', 0)) },
      { key: '0', value: ten },
    ]);

    const skipped: Omit<Skipped, 'type'>[] = [];
    const projector = await startProjector({
      kafka,
      pool,
      schema,
      topics,
      groupId,
      partitions: 1,
      log: (event, fields) => {
        if (event === 'record skipped' && fields?.topic === topics.checkpoints)
          skipped.push(fields as unknown as Omit<Skipped, 'type'>);
      },
    });
    try {
      await waitCaughtUp(w, { timeoutMs: 60_000 });
      await waitCaughtUp(w, { topic: topics.checkpoints, timeoutMs: 60_000 });
    } finally {
      await projector.stop();
    }

    // Then: the two checkpoints are rows, with their position, partition, size and root.
    const { rows } = await pool.query<{
      offset: string;
      ledger: string;
      attestation_partition: number;
      size: string;
      root: string;
      note: string;
    }>(
      `SELECT "offset"::text AS offset, ledger, attestation_partition, size::text AS size, root, note
         FROM "${schema}".checkpoints ORDER BY "offset"`,
    );
    expect(rows.map((r) => [r.offset, r.attestation_partition, r.size])).toEqual([
      ['0', 0, '4'],
      ['4', 0, '10'],
    ]);
    expect(rows.every((r) => r.ledger === topics.attestations)).toBe(true);
    expect(rows.map((r) => r.note)).toEqual([four, ten]);
    // The stored note verifies under the governance key, and the row holds its root.
    const trust = loadTrustStore({ version: 1, keys: [trustedKey(keys, ['governance'])] });
    const verified = verifyLedgerCheckpoint(rows[1]!.note, topics.attestations, 0, {
      trust,
      ed25519: nobleEd25519,
    });
    expect(rows[1]!.root).toBe(toBase64(verified.root));
    // The three others were skipped with their reason and position.
    expect(skipped.map((s) => [s.reason, s.offset])).toEqual([
      ['CHECKPOINT_MALFORMED', '1'],
      ['CHECKPOINT_MALFORMED', '2'],
      ['CHECKPOINT_MALFORMED', '3'],
    ]);

    // A restarted projector (same group) finds nothing new; a rebuild from 0 gives equal tables.
    const before = await projectionChecksum(pool, schema);
    expect(before.checkpoints.rows).toBe(2);
    const again = await startProjector({ kafka, pool, schema, topics, groupId, partitions: 1 });
    await again.stop();
    expect(await projectionChecksum(pool, schema)).toEqual(before);
    const rebuilt = await rebuild(w);
    expect(rebuilt.checkpoints.records).toBe(5);
    expect(rebuilt.checkpoints.positions).toEqual({ 0: '5' });
    expect(rebuilt.checksum.checkpoints).toEqual(before.checkpoints);
    expect(rebuilt.checksum.combined).toBe(before.combined);
  });
});
