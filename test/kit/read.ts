import type { Kafka } from 'kafkajs';
import { expect } from 'vitest';
import type { DeadLetterRecord } from '@lineage/schemas';
import type { TopicNames } from '@lineage/kafka';
import { readAttestationsOnce, readDeadLettersOnce } from './topics.js';
import type { LedgerEntry } from './topics.js';

export type { LedgerEntry } from './topics.js';

/**
 * Every attestation on the ledger, in partition order, once at least `expected` are readable.
 * A reader stops at the last stable offset, and a transaction's markers land a moment after its
 * commit returns, so reading right after a commit can briefly see fewer records.
 */
export async function readLedger(
  kafka: Kafka,
  topics: TopicNames,
  expected: number,
): Promise<LedgerEntry[]> {
  let entries: LedgerEntry[] = [];
  await waitUntil(
    async () => (entries = await readAttestationsOnce(kafka, topics)).length >= expected,
    60_000,
    `${expected} attestations`,
  );
  return entries;
}

/** Every dead letter, once at least `expected` are readable (see {@link readLedger}). */
export async function readDeadLetters(
  kafka: Kafka,
  topics: TopicNames,
  expected: number,
): Promise<DeadLetterRecord[]> {
  let letters: DeadLetterRecord[] = [];
  await waitUntil(
    async () => (letters = await readDeadLettersOnce(kafka, topics)).length >= expected,
    60_000,
    `${expected} dead letters`,
  );
  return letters;
}

/** Polls until `check` is true. */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Asserts that every partition of the ledger is one gap-free hash chain: sequence 0, 1, … and prev. */
export function expectChains(entries: readonly LedgerEntry[]): void {
  for (const p of new Set(entries.map((e) => e.partition))) {
    const chain = entries.filter((e) => e.partition === p);
    chain.forEach((e, i) =>
      expect([e.predicate.sequence, e.predicate.prev]).toEqual([
        i,
        i === 0 ? null : chain[i - 1]!.digest,
      ]),
    );
  }
}
