import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { attestationDigest, parseStatement } from '@lineage/protocol';
import { attestationCodec } from '@lineage/schemas';
import { readToEnd } from '@lineage/kafka';
import { GovernanceError } from './errors.js';
import { PartitionLedger } from './ledger.js';
import type { Log } from './policy-feed.js';
import type { IndexEntry, LedgerIndex } from './state.js';

/** How long a restore waits before checking that the ledger's end has stopped growing. */
const SETTLE_MS = 300;

/** Index entries are written in batches of about this many while restoring. */
const RESTORE_FLUSH = 2_000;

/**
 * The restore step of the transactional processor: brings freshly acquired partitions up to the
 * end of the attestation ledger and logs how long it took.
 */
export function restorer(
  kafka: Kafka,
  topic: string,
  index: LedgerIndex,
  log: Log,
): (partitions: number[]) => Promise<Map<number, PartitionLedger>> {
  return async (partitions) => {
    const started = Date.now();
    const { ledgers, read } = await restorePartitions(kafka, topic, index, partitions, log);
    log('partitions restored', {
      partitions,
      attestations: [...ledgers.values()].reduce((n, l) => n + l.nextSequence, 0),
      read,
      ms: Date.now() - started,
    });
    return ledgers;
  };
}

/**
 * Brings each partition's ledger state from where the index stands to the end of the attestation
 * ledger. The index is trusted only as a prefix of the ledger: the read starts at the last
 * attestation it folded, which must be the one it names. A partition whose stored state is not a
 * prefix (a recreated topic, a store from another cluster) is cleared and rebuilt from offset 0.
 * @returns the partitions' ledgers and how many attestations were read to bring them up to date.
 * @throws GovernanceError LEDGER_BROKEN when the ledger does not chain.
 */
export async function restorePartitions(
  kafka: Kafka,
  topic: string,
  index: LedgerIndex,
  partitions: number[],
  log: Log,
): Promise<{ ledgers: Map<number, PartitionLedger>; read: number }> {
  try {
    const restoring = await Restoring.open(index, partitions);
    // Read the ledger from where the index stands to its settled end, folding what is new.
    await readToSettledEnd(kafka, topic, restoring.from(), (p, m) => restoring.fold(p, m));
    // The ledger must reach the attestation each stored state ends with.
    restoring.checkReached();
    await restoring.flushAll();
    return { ledgers: restoring.ledgers, read: restoring.read };
  } catch (error) {
    if (!(error instanceof GovernanceError) || error.code !== 'STATE_MISMATCH') throw error;
    log('state store mismatch, rebuilding from offset 0', { detail: error.message });
    for (const p of partitions) await index.clear(p);
    return restorePartitions(kafka, topic, index, partitions, log);
  }
}

// After a leader moves, the new leader's high watermark can trail the records it holds for a
// moment: what was read is the whole ledger only once its end stops growing.
async function readToSettledEnd(
  kafka: Kafka,
  topic: string,
  start: Map<number, bigint>,
  onRecord: (p: number, m: KafkaMessage) => Promise<void>,
): Promise<void> {
  let from = start;
  for (let first = true; ; first = false) {
    const reached = await readToEnd(kafka, topic, from, onRecord);
    if (!first && [...reached].every(([p, end]) => end === from.get(p))) return;
    await sleep(SETTLE_MS);
    from = reached;
  }
}

/** The partitions being restored: their ledgers, the entries not yet persisted, what was read. */
class Restoring {
  /** Partitions with stored state, until the attestation it ends with has been read back. */
  private readonly unchecked: Set<number>;
  private readonly buffers: Map<number, IndexEntry[]>;
  read = 0;

  private constructor(readonly ledgers: Map<number, PartitionLedger>) {
    const partitions = [...ledgers.keys()];
    this.unchecked = new Set(partitions.filter((p) => ledgers.get(p)!.lastOffset >= 0n));
    this.buffers = new Map(partitions.map((p) => [p, []]));
  }

  static async open(index: LedgerIndex, partitions: number[]): Promise<Restoring> {
    const ledgers = new Map<number, PartitionLedger>();
    for (const p of partitions) ledgers.set(p, await PartitionLedger.open(p, index));
    return new Restoring(ledgers);
  }

  /** Where each partition's read starts: the last attestation the index folded (or 0). */
  from(): Map<number, bigint> {
    return new Map([...this.ledgers].map(([p, l]) => [p, l.lastOffset > 0n ? l.lastOffset : 0n]));
  }

  /**
   * Folds one attestation read back from partition `p`.
   * @throws GovernanceError STATE_MISMATCH when the stored state is not a prefix of what is read.
   */
  async fold(p: number, m: KafkaMessage): Promise<void> {
    const ledger = this.ledgers.get(p)!;
    this.read++;
    // Our own ledger, read to rebuild state; integrity of the log is audited separately.
    const record = attestationCodec.decode(m.value!);
    const digest = attestationDigest(record.envelope);
    const offset = BigInt(m.offset);
    if (offset === ledger.lastOffset) {
      // The stored state ends with this very attestation.
      if (digest !== ledger.prev) throw mismatch(p, offset);
      this.unchecked.delete(p);
      return;
    }
    // The stored state is a prefix of what is read: its last attestation came first.
    if (this.unchecked.has(p)) throw mismatch(p, offset);
    const statement = parseStatement(record.envelope.payload);
    const buffer = this.buffers.get(p)!;
    buffer.push(
      ...ledger.fold(statement.predicate, statement.subject[0].digest.sha256, digest, offset),
    );
    if (buffer.length >= RESTORE_FLUSH) await this.flush(p);
  }

  /**
   * Checks that every stored state's last attestation was read back.
   * @throws GovernanceError STATE_MISMATCH when the ledger ends before it.
   */
  checkReached(): void {
    for (const p of this.unchecked) throw mismatch(p, this.ledgers.get(p)!.lastOffset);
  }

  /** Persists what every partition folded and not yet persisted. */
  async flushAll(): Promise<void> {
    for (const p of this.ledgers.keys()) await this.flush(p);
  }

  private async flush(p: number): Promise<void> {
    await this.ledgers.get(p)!.persist(this.buffers.get(p)!);
    this.buffers.set(p, []);
  }
}

function mismatch(partition: number, offset: bigint): GovernanceError {
  return new GovernanceError(
    'STATE_MISMATCH',
    `the state stored for partition ${partition} is not a prefix of its ledger (at offset ${offset})`,
  );
}
