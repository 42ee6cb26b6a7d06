// Readers of a test ledger's topics, free of vitest so the fault suite's CLI can load them too.
import type { Kafka } from 'kafkajs';
import { attestationDigest, parseStatement } from '@lineage/protocol';
import type { Digest, Predicate, RawEnvelope } from '@lineage/protocol';
import { attestationCodec, deadLetterCodec } from '@lineage/schemas';
import type { DeadLetterRecord } from '@lineage/schemas';
import { readToEnd } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';

/** One attestation as read back from the ledger. */
export interface LedgerEntry {
  partition: number;
  offset: string;
  envelope: RawEnvelope;
  predicate: Predicate;
  subjectDigest: Digest;
  digest: Digest;
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
