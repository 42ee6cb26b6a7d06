export { createKafka } from './client.js';
export type { KafkaClientOptions } from './client.js';
export { topicNames, ensureTopics } from './topics.js';
export type { TopicNames, TopicOptions } from './topics.js';
export { readToEnd } from './restore.js';
export { TransactionalProcessor } from './transactional.js';
export type { TransactionalProcessorOptions, BatchResult } from './transactional.js';
export { LineageKafkaError } from './errors.js';
export type { KafkaErrorCode } from './errors.js';
