// Readers of a test ledger's topics, free of vitest so the fault suite's CLI can load them too.
import type { Kafka } from 'kafkajs';
import { attestationDigest, parseStatement } from '@lineage/protocol';
import type { RawEnvelope } from '@lineage/protocol';
import { attestationCodec, deadLetterCodec } from '@lineage/schemas';
import type { DeadLetterRecord } from '@lineage/schemas';
import { readToEnd } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';

import type { ChainEntry } from '../chain.js';

/** One attestation as read back from the ledger. */
export interface LedgerEntry extends ChainEntry {
  offset: string;
  envelope: RawEnvelope;
}

/** Partitions of `topic`, each to be read from offset 0. */
async function fromStart(kafka: Kafka, topic: string): Promise<Map<number, bigint>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, 0n]));
  } finally {
    await admin.disconnect();
  }
}

/** Every attestation of the ledger as it stands, in partition and offset order (read_committed). */
export async function readAttestationsOnce(
  kafka: Kafka,
  topics: TopicNames,
): Promise<LedgerEntry[]> {
  const out: LedgerEntry[] = [];
  await readToEnd(
    kafka,
    topics.attestations,
    await fromStart(kafka, topics.attestations),
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
  return out.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

/** Every dead letter as it stands (read_committed). */
export async function readDeadLettersOnce(
  kafka: Kafka,
  topics: TopicNames,
): Promise<DeadLetterRecord[]> {
  const out: DeadLetterRecord[] = [];
  await readToEnd(
    kafka,
    topics.deadLetters,
    await fromStart(kafka, topics.deadLetters),
    (_p, m) => {
      out.push(deadLetterCodec.decode(m.value!));
    },
  );
  return out;
}

/** Polls until `check` is true; throws after `timeoutMs`, naming `what` it waited for. */
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
