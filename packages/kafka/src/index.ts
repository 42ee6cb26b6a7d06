export { connectOrderedProducer, createKafka, retriableAnswers, retriedAnswer } from './client.js';
export type { KafkaClientOptions, KafkaLogEntry } from './client.js';
export { topicNames, ensureTopics } from './topics.js';
export type { TopicNames, TopicOptions } from './topics.js';
export { readToEnd } from './restore.js';
export { TransactionalProcessor, isFenced } from './transactional.js';
export { isKafkaUnavailable, retryWhile, untilKafkaAnswers } from './retry.js';
export type { RetryOptions } from './retry.js';
export type {
  TransactionalProcessorOptions,
  TransactionOutcome,
  BatchResult,
} from './transactional.js';
export { copartitionedAssigner, copartitionPlan, COPARTITIONED_ASSIGNER } from './assigner.js';
export { LineageKafkaError } from './errors.js';
export type { KafkaErrorCode } from './errors.js';
