import { LineageError } from '@lineage/protocol';

/**
 * Kafka-side conditions the services cannot work under. Tests assert these, never the message text.
 *
 * - `TOPICS_NOT_COPARTITIONED`: intents and attestations have different partition counts.
 * - `RESTORE_TIMEOUT`: reading a topic back to its end took longer than allowed.
 */
export type KafkaErrorCode = 'TOPICS_NOT_COPARTITIONED' | 'RESTORE_TIMEOUT';

/** A Kafka-side condition the services cannot work under. */
export class LineageKafkaError extends LineageError<KafkaErrorCode> {}
