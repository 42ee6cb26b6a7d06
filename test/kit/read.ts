import type { Kafka } from 'kafkajs';
import { expect } from 'vitest';
import { attestationDigest, parseStatement } from '@lineage/protocol';
import type { Digest, Predicate, RawEnvelope } from '@lineage/protocol';
import { attestationCodec, deadLetterCodec } from '@lineage/schemas';
import type { DeadLetterRecord } from '@lineage/schemas';
import { readToEnd } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';

export interface LedgerEntry {
  partition: number;
  offset: string;
  envelope: RawEnvelope;
  predicate: Predicate;
  subjectDigest: Digest;
  digest: Digest;
}

async function partitionsOf(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, 0n]));
  } finally {
    await admin.disconnect();
  }
}

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
    async () => (entries = await readLedgerOnce(kafka, topics)).length >= expected,
    60_000,
    `${expected} attestations`,
  );
  return entries;
}

async function readLedgerOnce(kafka: Kafka, topics: TopicNames): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  await readToEnd(
    kafka,
    topics.attestations,
    await partitionsOf(kafka, topics.attestations),
    (partition, m) => {
      const envelope = attestationCodec.decode(m.value!).envelope;
      const statement = parseStatement(envelope.payload);
      out.push({
        partition,
        offset: m.offset,
        envelope,
        predicate: statement.predicate,
        subjectDigest: statement.subject[0].digest.sha256,
        digest: attestationDigest(envelope),
      });
    },
  );
  return out;
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

async function readDeadLettersOnce(kafka: Kafka, topics: TopicNames): Promise<DeadLetterRecord[]> {
  const out: DeadLetterRecord[] = [];
  await readToEnd(
    kafka,
    topics.deadLetters,
    await partitionsOf(kafka, topics.deadLetters),
    (_p, m) => out.push(deadLetterCodec.decode(m.value!)),
  );
  return out;
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
