export type KafkaErrorCode = 'TOPICS_NOT_COPARTITIONED' | 'RESTORE_TIMEOUT';

/** A Kafka-side condition the services cannot work under. */
export class LineageKafkaError extends Error {
  readonly code: KafkaErrorCode;
  constructor(code: KafkaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'LineageKafkaError';
  }
}
