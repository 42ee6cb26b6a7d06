import type { Kafka } from 'kafkajs';
import type { DeadLetterRecord } from '@lineage/schemas';
import type { TopicNames } from '@lineage/kafka';
import { waitUntil } from '@lineage/runtime';
import { readAttestationsOnce, readDeadLettersOnce } from '@lineage/testkit/kafka';
import type { LedgerEntry } from '@lineage/testkit/kafka';

/** One attestation as read back from the ledger. */
export type LedgerRecord = LedgerEntry;

/** Breaks found in the partition chains: each record that is not where the chain says it must be. */
export interface ChainBreaks {
  /** Records whose `sequence` is not their index in the partition (a gap, a repeat or a fork). */
  sequence: number;
  /** Records whose `prev` is not the digest of the record before them. */
  prev: number;
  /** The first break of each broken partition: where, and when it was issued. */
  first: { partition: number; offset: string; index: number; sequence: number; issuedAt: string }[];
}

/**
 * Polls `read` until it returns at least `expected` items or `timeoutMs` passes, and returns the last
 * reading either way (a read that fails is retried; the last failure is thrown at the deadline): a transaction's markers land a moment after its commit returns, so a read right
 * after a commit can briefly see fewer records, and a shortfall that stays is a figure, not an error.
 */
async function readAtLeast<T>(
  read: () => Promise<T[]>,
  expected: number,
  timeoutMs: number,
): Promise<T[]> {
  const end = Date.now() + timeoutMs;
  let items: T[] = [];
  for (;;) {
    // A broker that is down or a leader moving fails the read: try again until the deadline.
    try {
      items = await read();
      if (items.length >= expected) return items;
    } catch (error) {
      if (Date.now() > end) throw error;
    }
    if (Date.now() > end) return items;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every attestation of the ledger in partition and offset order (read_committed). */
export function readAttestations(
  kafka: Kafka,
  topics: TopicNames,
  expected: number,
  timeoutMs = 60_000,
): Promise<LedgerRecord[]> {
  return readAtLeast(() => readAttestationsOnce(kafka, topics), expected, timeoutMs);
}

/** Every dead letter (read_committed). */
export function readDeadLetterRecords(
  kafka: Kafka,
  topics: TopicNames,
  expected: number,
  timeoutMs = 60_000,
): Promise<DeadLetterRecord[]> {
  return readAtLeast(() => readDeadLettersOnce(kafka, topics), expected, timeoutMs);
}

/**
 * Counts the breaks of every partition's hash chain: record i of a partition must carry `sequence` i
 * and `prev` = the digest of record i − 1 (null for the first).
 */
export function chainBreaks(records: readonly LedgerRecord[]): ChainBreaks {
  const breaks: ChainBreaks = { sequence: 0, prev: 0, first: [] };
  const byPartition = new Map<number, LedgerRecord[]>();
  for (const r of records) {
    const chain = byPartition.get(r.partition) ?? [];
    chain.push(r);
    byPartition.set(r.partition, chain);
  }
  for (const chain of byPartition.values())
    chain.forEach((r, i) => {
      const badSequence = r.predicate.sequence !== i;
      const badPrev = r.predicate.prev !== (i === 0 ? null : chain[i - 1]!.digest);
      if (badSequence) breaks.sequence += 1;
      if (badPrev) breaks.prev += 1;
      if ((badSequence || badPrev) && !breaks.first.some((f) => f.partition === r.partition))
        breaks.first.push({
          partition: r.partition,
          offset: r.offset,
          index: i,
          sequence: r.predicate.sequence,
          issuedAt: r.predicate.issued_at,
        });
    });
  return breaks;
}

/** Polls until `check` is true. @throws RuntimeError WAIT_TIMEOUT naming `what` after `timeoutMs`. */
export function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  return waitUntil(check, { timeoutMs, intervalMs: 100, what });
}
