import type { Pool, PoolClient, QueryResult } from 'pg';
import { describe, expect, inject, it } from 'vitest';
import {
  checkpointKeyName,
  checkpointOrigin,
  formatCheckpoint,
  fromBase64,
  inclusionProof,
  merkleRoot,
  nobleEd25519,
  signCheckpoint,
  toBase64,
  toDsse,
  verifyBundle,
} from '@lineage/protocol';
import type { BundleError, EvidenceBundle } from '@lineage/protocol';
import { generateKeyPair, trustedKey } from '@lineage/keys';
import type { KeyPair } from '@lineage/keys';
import {
  PROJECTION_MIGRATIONS,
  projectAttestations,
  projectCheckpoints,
  projectionChecksum,
} from '@lineage/projection';
import { attestationCodec } from '@lineage/schemas';
import { migrate } from '@lineage/store';
import type { LedgerRecord } from '@lineage/testkit';
import { DEFAULT_POLICY, LedgerBuilder } from '@lineage/testkit';
import {
  inTransaction,
  ledgerMessages,
  messagesOf,
  projectedSchema,
  testDatabase,
} from '@lineage/testkit/pg';
import { projected } from './fixtures.js';
import { openQueries } from './queries.js';

// Given a ledger projected by the projector's write path and signed checkpoints of its partition
// projected by the projector's checkpoints projection, when exporting a bundle, then every bundled
// attestation carries an inclusion proof that verifies offline, and any alteration fails.

const LEDGER = 'lineage.attestations.v1';
const keys = generateKeyPair();
const governance = trustedKey(keys, ['governance', 'approver']);
const { pool, dropLater } = testDatabase(inject('databaseUrl'));

const payloadOf = (a: LedgerRecord): Uint8Array =>
  attestationCodec.decode(a.value).envelope.payload;

/** A checkpoint note of partition 0 over the first `size` attestations, signed by `key`. */
function checkpointOf(ledger: LedgerRecord[], size: number, key: KeyPair = keys): string {
  const body = formatCheckpoint({
    origin: checkpointOrigin(LEDGER, 0),
    size,
    root: merkleRoot(ledger.slice(0, size).map(payloadOf)),
  });
  return signCheckpoint(body, checkpointKeyName(key.keyid), key.signer, key.publicKey);
}

/** Projects `notes` as records 0, 1, 2, … of the checkpoints topic (key: partition 0). */
async function projectNotes(schema: string, notes: readonly (string | Buffer)[]): Promise<void> {
  const records = notes.map((n) => ({
    key: '0',
    value: typeof n === 'string' ? Buffer.from(n, 'utf8') : n,
  }));
  await inTransaction(pool, (client) =>
    projectCheckpoints(schema, LEDGER)(client, 0, messagesOf(records)),
  );
}

/** root ← middle ← leaf, with unrelated decisions between them: 8 attestations in partition 0. */
function ledgerOf() {
  const b = new LedgerBuilder(keys.signer);
  const root = b.decide();
  const f1 = b.decide();
  const middle = b.decide([root.executionId]);
  const f2 = b.decide();
  const f3 = b.decide();
  const leaf = b.decide([middle.executionId]);
  const f4 = b.decide();
  const late = b.decide([leaf.executionId]);
  return { all: [root, f1, middle, f2, f3, leaf, f4, late], root, middle, leaf, late };
}

const codeOf = (b: unknown): string => {
  try {
    verifyBundle(b, { ed25519: nobleEd25519 });
    return 'valid';
  } catch (e) {
    return (e as BundleError).code;
  }
};

describe('bundle inclusion proofs', () => {
  it('embeds proofs against the latest covering checkpoint; the bundle verifies offline', async () => {
    const l = ledgerOf();
    const schema = dropLater(await projected(pool, l.all));
    // Checkpoints at sizes 3, 6 and 7: `late` (sequence 7) is covered by none yet.
    await projectNotes(schema, [
      checkpointOf(l.all, 3),
      checkpointOf(l.all, 6),
      checkpointOf(l.all, 7),
    ]);
    const q = openQueries(pool, schema);
    const sources = { keys: [governance], policies: [DEFAULT_POLICY.document] };

    const bundle = await q.bundle(l.leaf.executionId, sources);
    expect(bundle.ledger).toBe(LEDGER);
    // One checkpoint, the latest (size 7), proves all three.
    expect(bundle.checkpoints).toEqual([checkpointOf(l.all, 7)]);
    expect(bundle.proofs!.map((p) => `${p.attestation}@${p.index}`).sort()).toEqual(
      [`${l.leaf.digest}@5`, `${l.middle.digest}@2`, `${l.root.digest}@0`].sort(),
    );
    const verified = verifyBundle(JSON.parse(JSON.stringify(bundle)), { ed25519: nobleEd25519 });
    expect(verified.included).toBe(true);
    expect(verified.attestations.every((a) => a.included)).toBe(true);

    // Not yet covered: `late` has no proof, its ancestors do; still a valid bundle.
    const partial = await q.bundle(l.late.executionId, sources);
    expect(partial.proofs!.map((p) => p.attestation)).not.toContain(l.late.digest);
    const v = verifyBundle(partial, { ed25519: nobleEd25519 });
    expect(v.included).toBe(false);
    expect(
      v.attestations
        .filter((a) => a.included)
        .map((a) => a.digest)
        .sort(),
    ).toEqual([l.leaf.digest, l.middle.digest, l.root.digest].sort());
    expect(v.attestations.find((a) => a.digest === l.late.digest)!.included).toBe(false);
  });

  it('takes the newest checkpoint by offset, past offset 9 (offsets compare as numbers)', async () => {
    const l = ledgerOf();
    const schema = dropLater(await projected(pool, l.all));
    // Ten notes of size 3 at offsets 0..9, then size 7 at offset 10: the newest proves all three.
    await projectNotes(schema, [
      ...Array.from({ length: 10 }, () => checkpointOf(l.all, 3)),
      checkpointOf(l.all, 7),
    ]);
    const q = openQueries(pool, schema);
    const bundle = await q.bundle(l.leaf.executionId, {
      keys: [governance],
      policies: [DEFAULT_POLICY.document],
    });
    expect(bundle.checkpoints).toEqual([checkpointOf(l.all, 7)]);
  });

  it('fails offline when the proof, the leaf or the checkpoint is altered', async () => {
    const l = ledgerOf();
    const schema = dropLater(await projected(pool, l.all));
    await projectNotes(schema, [checkpointOf(l.all, 8)]);
    const q = openQueries(pool, schema);
    const bundle = await q.bundle(l.late.executionId, {
      keys: [governance],
      policies: [DEFAULT_POLICY.document],
    });
    expect(codeOf(bundle)).toBe('valid');
    const edited = (edit: (b: EvidenceBundle) => void) => {
      const b = structuredClone(bundle);
      edit(b);
      return codeOf(b);
    };
    // A proof hash altered.
    expect(
      edited((b) => {
        const h = fromBase64(b.proofs![0]!.hashes[0]!);
        h[0] = h[0]! ^ 1;
        b.proofs![0]!.hashes[0] = toBase64(h);
      }),
    ).toBe('INCLUSION_PROOF_INVALID');
    // The index altered.
    expect(edited((b) => (b.proofs![1]!.index += 1))).toBe('INCLUSION_PROOF_INVALID');
    // The leaf altered: a validly signed attestation with the same position replaces root's.
    const impostor = new LedgerBuilder(keys.signer).decide();
    expect(
      edited((b) => {
        const i = b.proofs!.findIndex((p) => p.attestation === l.root.digest);
        b.attestations.push(toDsse(attestationCodec.decode(impostor.value).envelope));
        b.proofs![i]!.attestation = impostor.digest;
      }),
    ).toBe('INCLUSION_PROOF_INVALID');
    // The checkpoint text altered (its size), or re-signed by a key that is not governance's.
    expect(edited((b) => (b.checkpoints![0] = b.checkpoints![0]!.replace('\n8\n', '\n9\n')))).toBe(
      'CHECKPOINT_INVALID',
    );
    const other = generateKeyPair();
    expect(
      edited((b) => {
        b.checkpoints![0] = checkpointOf(l.all, 8, other);
        b.keys.push(trustedKey(other, ['agent']));
      }),
    ).toBe('CHECKPOINT_INVALID');
  });

  it('skips notes that do not parse, and checkpoints whose root the projection does not reproduce', async () => {
    const l = ledgerOf();
    const schema = dropLater(await projected(pool, l.all));
    // A forked checkpoint: size 8, signed, but over other leaves (root's payload changed order).
    const forked = signCheckpoint(
      formatCheckpoint({
        origin: checkpointOrigin(LEDGER, 0),
        size: 8,
        root: merkleRoot([...l.all].reverse().map(payloadOf)),
      }),
      checkpointKeyName(keys.keyid),
      keys.signer,
      keys.publicKey,
    );
    await projectNotes(schema, [checkpointOf(l.all, 4), Buffer.from('not a note'), forked]);
    const rows = await pool.query<{ size: string }>(
      `SELECT size::text AS size FROM "${schema}".checkpoints ORDER BY "offset"`,
    );
    expect(rows.rows.map((r) => r.size)).toEqual(['4', '8']);
    const bundle = await openQueries(pool, schema).bundle(l.middle.executionId, {
      keys: [governance],
      policies: [DEFAULT_POLICY.document],
    });
    // The forked note is newer but does not match the projected leaves: the size-4 one is used.
    expect(bundle.checkpoints).toEqual([checkpointOf(l.all, 4)]);
    expect(verifyBundle(bundle, { ed25519: nobleEd25519 }).included).toBe(true);
  });
});

// Given a partition of thousands of attestations, when exporting a bundle, then its inclusion proofs
// (from the projection's stored tree, `merkle_hashes`) equal those recomputed from every leaf, the
// bundle verifies, and the rows the export reads do not grow with the partition.

/** A pool whose clients count the rows every statement returns. */
function counting(inner: Pool): { pool: Pool; rows: () => number } {
  let rows = 0;
  const connect = async (): Promise<PoolClient> => {
    const client = await inner.connect();
    const query = client.query.bind(client) as (...a: unknown[]) => Promise<QueryResult>;
    return new Proxy(client, {
      get: (target, prop, receiver) =>
        prop === 'query'
          ? async (...args: unknown[]) => {
              const result = await query(...args);
              rows += result.rows?.length ?? 0;
              return result;
            }
          : (Reflect.get(target, prop, receiver) as unknown),
    });
  };
  return {
    pool: new Proxy(inner, { get: (t, p) => (p === 'connect' ? connect : Reflect.get(t, p)) }),
    rows: () => rows,
  };
}

/** `count` decisions on partition 0, a chain of 3 through them ending at the last one. */
function longLedger(count: number) {
  const b = new LedgerBuilder(keys.signer);
  const all: LedgerRecord[] = [b.decide()];
  while (all.length < count - 2) all.push(b.decide());
  const middle = b.decide([all[Math.floor(count / 3)]!.executionId]);
  const leaf = b.decide([middle.executionId]);
  return { all: [...all, middle, leaf], leaf };
}

describe('bundle inclusion from the stored Merkle tree', () => {
  it('proves like the full recomputation and reads rows independent of the partition length', async () => {
    const sources = {
      keys: [trustedKey(keys, ['governance'])],
      policies: [DEFAULT_POLICY.document],
    };
    const read: number[] = [];
    for (const count of [40, 4_000]) {
      const l = longLedger(count);
      const payloads = l.all.map(payloadOf);
      const schema = dropLater(await projected(pool, l.all));
      // Checkpoints at a power of two, at an odd size and at the whole partition.
      await projectNotes(schema, [
        checkpointOf(l.all, 32),
        checkpointOf(l.all, count - 7),
        checkpointOf(l.all, count),
      ]);
      const spy = counting(pool);
      const bundle = await openQueries(spy.pool, schema).bundle(l.leaf.executionId, sources);
      read.push(spy.rows());
      expect(bundle.proofs).toHaveLength(3);
      expect(bundle.checkpoints).toEqual([checkpointOf(l.all, count)]);
      for (const p of bundle.proofs!) {
        expect(p.hashes).toEqual(inclusionProof(payloads, p.index).map(toBase64));
      }
      expect(verifyBundle(bundle, { ed25519: nobleEd25519 }).included).toBe(true);
    }
    // 40 → 4,000 leaves: a dozen more tree levels, never the 4,000 envelopes.
    expect(read[1]! - read[0]!).toBeLessThan(60);
  });

  it('is kept across batches and redeliveries exactly as the migration rebuilds it from the rows', async () => {
    const l = longLedger(1_000);
    // Batches of uneven sizes, each boundary inside some subtree, and two of them delivered again.
    const cuts = [0, 1, 3, 40, 41, 300, 555, 556, 999, 1_000];
    const batches = cuts.slice(1).map((end, i) => l.all.slice(cuts[i], end));
    const delivered = [...batches.slice(0, 5), batches[3]!, ...batches.slice(5), batches[6]!];
    const schema = await projectedSchema(
      pool,
      PROJECTION_MIGRATIONS,
      delivered.map((b) => ({ project: projectAttestations, records: ledgerMessages(b) })),
    );
    dropLater(schema);
    const kept = (await projectionChecksum(pool, schema)).merkle_hashes;
    expect(kept.rows).toBe(1_000 + 500 + 250 + 125 + 62 + 31 + 15 + 7 + 3 + 1);
    await pool.query(`DROP TABLE "${schema}".merkle_hashes`);
    await pool.query(`DROP INDEX "${schema}".checkpoints_newest`);
    await pool.query(`DELETE FROM "${schema}".schema_migrations WHERE version = 7`);
    await migrate(pool, schema, PROJECTION_MIGRATIONS);
    expect((await projectionChecksum(pool, schema)).merkle_hashes).toEqual(kept);
  });
});
