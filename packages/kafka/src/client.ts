import { Kafka, logLevel } from 'kafkajs';
import type { LogEntry } from 'kafkajs';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  /**
   * Receives kafkajs' warnings and errors, and at `debug` the retriable broker answers kafkajs
   * retries by itself (counted by {@link retriableAnswers}); defaults to one JSON line on stderr
   * for warnings and errors, nothing for debug.
   */
  log?: (entry: {
    level: 'debug' | 'warn' | 'error';
    namespace: string;
    message: string;
    /** kafkajs' error text, when the entry is about one (a refused write says "fenced" here). */
    error?: string;
  }) => void;
}

/** Retriable broker answers each client's kafkajs retried, by client. */
const retried = new WeakMap<Kafka, { count: number }>();

/**
 * How many retriable broker answers (CONCURRENT_TRANSACTIONS, a leader moving, …) kafkajs met and
 * retried by itself for clients made by {@link createKafka}; 0 for any other client.
 */
export function retriableAnswers(kafka: Kafka): number {
  return retried.get(kafka)?.count ?? 0;
}

// kafkajs logs an answer it is about to retry at error level, with the retry's count and delay
// (producer sends: "Failed to send messages: …"). It is not a failure: if the retries run out, the
// caller gets the exception.
function isRetry(namespace: string, log: LogEntry['log']): boolean {
  return (
    namespace === 'Producer' && typeof (log as { retryCount?: unknown }).retryCount === 'number'
  );
}

/** A kafkajs client with quiet, structured logging. */
export function createKafka(options: KafkaClientOptions): Kafka {
  const counter = { count: 0 };
  const sink =
    options.log ??
    ((e) =>
      e.level !== 'debug' &&
      process.stderr.write(
        JSON.stringify({
          level: e.level,
          source: 'kafkajs',
          namespace: e.namespace,
          msg: e.message,
          error: e.error,
        }) + '\n',
      ));
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: options.brokers,
    logLevel: logLevel.ERROR,
    retry: { initialRetryTime: 100, retries: 10 },
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        // Per-request protocol errors ("Response InitProducerId…" while a coordinator loads) are
        // retried by kafkajs itself; a real failure surfaces as an exception to the caller.
        if (namespace === 'Connection' && log.message.startsWith('Response ')) return;
        const retry = isRetry(namespace, log);
        if (retry) counter.count++;
        sink({
          level: retry ? 'debug' : level <= logLevel.ERROR ? 'error' : 'warn',
          namespace,
          message: log.message,
          error: typeof log.error === 'string' ? log.error : undefined,
        });
      },
  });
  retried.set(kafka, counter);
  return kafka;
}
