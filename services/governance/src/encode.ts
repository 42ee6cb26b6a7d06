import { attestationCodec, deadLetterCodec, envelopeRecord } from '@lineage/schemas';
import type { BatchResult, TopicNames } from '@lineage/kafka';
import type { InputRecord } from './input.js';
import type { Outcome } from './outcome.js';
import type { Sealed } from './seal.js';

/** The messages of one topic that a batch's transaction appends (kafkajs' `TopicMessages`). */
type TopicMessages = BatchResult['sends'][number];
type Message = TopicMessages['messages'][number];

/** Where a batch was read: its topic and partition, which is also the one its appends go to. */
export interface BatchSource {
  topic: string;
  partition: number;
}

/**
 * The Kafka edge of a batch: its sealed attestations and its dead letters as the messages of one
 * transaction, both to the partition the batch was read from.
 */
export function encodeBatch(
  topics: Pick<TopicNames, 'attestations' | 'deadLetters'>,
  source: BatchSource,
  inputs: readonly InputRecord[],
  outcomes: readonly Outcome[],
  sealed: readonly Sealed[],
  failedAt: () => Date,
): TopicMessages[] {
  const deadLetters = outcomes.flatMap((o, i) =>
    o.type === 'dead-letter' ? [deadLetterMessage(source, inputs[i]!, o, failedAt())] : [],
  );
  return [
    { topic: topics.attestations, messages: sealed.map((s) => attestationMessage(source, s)) },
    { topic: topics.deadLetters, messages: deadLetters },
  ];
}

/** An attestation record, keyed by its execution id. */
function attestationMessage(source: BatchSource, sealed: Sealed): Message {
  return {
    key: sealed.predicate.execution_id,
    partition: source.partition,
    value: attestationCodec.encode({
      execution_id: sealed.predicate.execution_id,
      envelope: envelopeRecord(sealed.envelope),
    }),
  };
}

/** A dead letter: the raw record, where it was read, and why it could not be decided. */
function deadLetterMessage(
  source: BatchSource,
  input: InputRecord,
  outcome: Extract<Outcome, { type: 'dead-letter' }>,
  failedAt: Date,
): Message {
  return {
    key: input.key,
    partition: source.partition,
    value: deadLetterCodec.encode({
      source_topic: source.topic,
      source_partition: source.partition,
      source_offset: input.offset,
      raw_key: input.key ?? null,
      raw_value: input.value ?? null,
      reason: outcome.reason,
      detail: outcome.detail,
      failed_at: failedAt.toISOString(),
    }),
  };
}
