import type { Kafka, KafkaMessage } from 'kafkajs';
import {
  ATTESTATION_PAYLOAD_TYPE,
  canonicalBytes,
  checkpointKeyName,
  checkpointOrigin,
  formatCheckpoint,
  parseCheckpoint,
  parseSignedNote,
  parseStatement,
  signCheckpoint,
  signEnvelope,
} from '@lineage/protocol';
import type { JsonValue, Signer, Statement } from '@lineage/protocol';
import { ensureTopics, readToEnd } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { attestationCodec, envelopeRecord } from '@lineage/schemas';

/** One record as an attacker with admin rights copies it: key and value bytes. */
export interface CopiedRecord {
  key: Buffer | null;
  value: Buffer | null;
}

/** A ledger's two topics as read: attestation records per partition, and the checkpoint records. */
export interface LedgerCopy {
  partitions: Map<number, CopiedRecord[]>;
  checkpoints: CopiedRecord[];
}

async function readTopic(kafka: Kafka, topic: string): Promise<Map<number, CopiedRecord[]>> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const out = new Map<number, CopiedRecord[]>(offsets.map((o) => [o.partition, []]));
  await readToEnd(
    kafka,
    topic,
    new Map(offsets.map((o) => [o.partition, 0n])),
    (p, m: KafkaMessage) => out.get(p)!.push({ key: m.key, value: m.value }),
  );
  return out;
}

/** Reads a ledger's attestations and checkpoints topics end to end (read_committed). */
export async function readLedgerCopy(kafka: Kafka, topics: TopicNames): Promise<LedgerCopy> {
  const partitions = await readTopic(kafka, topics.attestations);
  const checkpoints = (await readTopic(kafka, topics.checkpoints)).get(0) ?? [];
  return { partitions, checkpoints };
}

/**
 * Writes a (doctored) copy of a ledger to the topics `to`, as an attacker with admin rights would
 * rewrite it: every attestation partition in the given order onto the same partition number, and the
 * checkpoints in the given order. The copy's offsets are the list indexes.
 */
export async function writeLedgerCopy(
  kafka: Kafka,
  to: TopicNames,
  copy: LedgerCopy,
): Promise<void> {
  await ensureTopics(kafka, to, { partitions: copy.partitions.size });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (const [partition, records] of copy.partitions) {
      if (records.length > 0)
        await producer.send({
          topic: to.attestations,
          acks: -1,
          messages: records.map((r) => ({ partition, key: r.key, value: r.value })),
        });
    }
    if (copy.checkpoints.length > 0)
      await producer.send({
        topic: to.checkpoints,
        acks: -1,
        messages: copy.checkpoints.map((r) => ({ partition: 0, key: r.key, value: r.value })),
      });
  } finally {
    await producer.disconnect();
  }
}

/** A copy of the copy with partition `p`'s records replaced by `edit(records)`. */
export function editPartition(
  copy: LedgerCopy,
  p: number,
  edit: (records: CopiedRecord[]) => CopiedRecord[],
): LedgerCopy {
  const partitions = new Map(copy.partitions);
  partitions.set(p, edit([...(copy.partitions.get(p) ?? [])]));
  return { partitions, checkpoints: copy.checkpoints };
}

/** A copy of the copy with the checkpoint records replaced by `edit(records)`. */
export function editCheckpoints(
  copy: LedgerCopy,
  edit: (records: CopiedRecord[]) => CopiedRecord[],
): LedgerCopy {
  return { partitions: copy.partitions, checkpoints: edit([...copy.checkpoints]) };
}

/** The statement an attestation record carries (unverified). */
export function statementOf(record: CopiedRecord): Statement {
  return parseStatement(attestationCodec.decode(record.value!).envelope.payload);
}

/**
 * The record with its statement's JSON edited and, when `signer` is given, signed again: without a
 * signer the old signature stays (an attacker without the key), with one it is a validly signed
 * record a compromised or faulty governance could write.
 */
export function rewriteAttestation(
  record: CopiedRecord,
  edit: (statement: Record<string, JsonValue>) => void,
  signer?: Signer,
): CopiedRecord {
  const decoded = attestationCodec.decode(record.value!);
  const statement = JSON.parse(Buffer.from(decoded.envelope.payload).toString('utf8')) as Record<
    string,
    JsonValue
  >;
  edit(statement);
  const payload = canonicalBytes(statement);
  const envelope =
    signer === undefined
      ? { ...decoded.envelope, payload: Buffer.from(payload) }
      : envelopeRecord(signEnvelope(ATTESTATION_PAYLOAD_TYPE, payload, signer));
  return {
    key: record.key,
    value: attestationCodec.encode({ execution_id: decoded.execution_id, envelope }),
  };
}

/** The attestation partition a checkpoint record is keyed by. */
export function checkpointPartition(record: CopiedRecord): number {
  return Number(record.key?.toString('utf8'));
}

/** The tree size a checkpoint record signs (unverified). */
export function checkpointSize(record: CopiedRecord): number {
  return parseCheckpoint(parseSignedNote(record.value!.toString('utf8')).text).size;
}

/** The checkpoint record with its note's text edited and its signature lines kept. */
export function alterCheckpoint(
  record: CopiedRecord,
  edit: (text: string) => string,
): CopiedRecord {
  const note = record.value!.toString('utf8');
  const split = note.lastIndexOf('\n\n');
  return {
    key: record.key,
    value: Buffer.from(edit(note.slice(0, split + 1)) + note.slice(split + 1)),
  };
}

/** A checkpoint record of partition `p` of `attestationsTopic` signed by `signer` over any tree head. */
export function signedCheckpoint(
  attestationsTopic: string,
  p: number,
  head: { size: number; root: Uint8Array },
  key: { keyid: string; publicKey: Uint8Array; signer: Signer },
): CopiedRecord {
  const body = formatCheckpoint({ origin: checkpointOrigin(attestationsTopic, p), ...head });
  const note = signCheckpoint(body, checkpointKeyName(key.keyid), key.signer, key.publicKey);
  return { key: Buffer.from(String(p)), value: Buffer.from(note) };
}
