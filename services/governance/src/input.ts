import { sha256Hex } from '@lineage/protocol';
import type { Digest, Sha256 } from '@lineage/protocol';
import { SchemaError, intentCodec } from '@lineage/schemas';
import type { IntentRecord } from '@lineage/schemas';
import { subjectName } from './ledger.js';
import type { Outcome } from './outcome.js';

/**
 * An input record as the decision code sees it: its bytes, where it was read and when the broker
 * appended it. A consumed Kafka message has this shape; nothing here depends on Kafka.
 */
export interface InputRecord {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Offset in its partition, a decimal string. */
  readonly offset: string;
  /** Broker time in milliseconds since the epoch, a decimal string. */
  readonly timestamp: string;
}

/** A dead letter: what a record that could not be read became. */
type DeadLetter = Extract<Outcome, { type: 'dead-letter' }>;

/** An intent record as read: the record, its routing id and the digest of its signed payload. */
export interface ReadIntent {
  type: 'intent';
  record: IntentRecord;
  subject: string;
  intentDigest: Digest;
}

/** Decodes a record's value with `codec`, or says which dead letter it is. */
export function decodeRecord<T>(
  input: InputRecord,
  codec: { decode(bytes: Buffer): T },
): { type: 'record'; record: T } | DeadLetter {
  if (!input.value || input.value.length === 0)
    return { type: 'dead-letter', reason: 'EMPTY_RECORD', detail: 'record has no value' };
  // Attacker-controlled bytes: anything the codec cannot read is a dead letter, never a crash.
  try {
    return { type: 'record', record: codec.decode(input.value) };
  } catch (error) {
    return undecodable(error);
  }
}

/** Decodes an intent record, or says which dead letter it is; `hash` is the SHA-256 primitive. */
export function readIntent(input: InputRecord, hash?: Sha256): ReadIntent | DeadLetter {
  const decoded = decodeRecord(input, intentCodec);
  if (decoded.type !== 'record') return decoded;
  const { record } = decoded;
  return {
    type: 'intent',
    record,
    subject: subjectName(record.execution_id),
    intentDigest: sha256Hex(record.envelope.payload, hash),
  };
}

/** The broker's timestamp of a record (LogAppendTime on the input topics), as RFC 3339. */
export function receivedAt(input: InputRecord): string | undefined {
  const ms = Number(input.timestamp);
  return Number.isSafeInteger(ms) && ms >= 0 ? new Date(ms).toISOString() : undefined;
}

// A codec's refusal is a dead letter; anything else is unexpected and thrown on.
function undecodable(error: unknown): DeadLetter {
  if (error instanceof SchemaError)
    return {
      type: 'dead-letter',
      reason: 'UNDECODABLE',
      detail: `${error.code}: ${error.message}`.slice(0, 1000),
    };
  throw error;
}
