import { createRequire } from 'node:module';
import { Kafka, logLevel } from 'kafkajs';
import type { LogEntry, Producer } from 'kafkajs';

/** What kafkajs logged, as {@link KafkaClientOptions.log} receives it. */
export interface KafkaLogEntry {
  level: 'debug' | 'warn' | 'error';
  namespace: string;
  message: string;
  /** kafkajs' error text, when the entry is about one (a refused write says "fenced" here). */
  error?: string;
  /** The broker answer kafkajs retries by itself (`CONCURRENT_TRANSACTIONS`, …); such entries come at `debug`. */
  retried?: string;
}

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  /**
   * Receives kafkajs' warnings and errors, and at `debug` the retriable broker answers kafkajs
   * retries by itself (counted by {@link retriableAnswers}); defaults to one JSON line on stderr
   * for warnings and errors, nothing for debug.
   */
  log?: (entry: KafkaLogEntry) => void;
}

/** Retriable broker answers retried for each client, and where its log goes, by client. */
const retried = new WeakMap<Kafka, { count: number; sink: (entry: KafkaLogEntry) => void }>();

/**
 * How many retriable broker answers (CONCURRENT_TRANSACTIONS, a leader moving, …) kafkajs met and
 * retried by itself, or the project's code retried ({@link noteRetried}), for clients made by
 * {@link createKafka}; 0 for any other client.
 */
export function retriableAnswers(kafka: Kafka): number {
  return retried.get(kafka)?.count ?? 0;
}

/**
 * Counts and logs at debug a retriable broker answer that the project's own code retried (where
 * kafkajs does not), as kafkajs' own retries are.
 */
export function noteRetried(kafka: Kafka, namespace: string, message: string, answer: string) {
  const client = retried.get(kafka);
  if (client === undefined) return;
  client.count++;
  client.sink({ level: 'debug', namespace, message, retried: answer });
}

/** kafkajs' protocol errors: the broker's answer type (`CONCURRENT_TRANSACTIONS`) by its message text. */
const BROKER_ANSWERS: ReadonlyMap<string, { type: string; retriable: boolean }> = (() => {
  // kafkajs exports no table of its protocol errors; this one is its own (the version is pinned).
  const { errorCodes } = createRequire(import.meta.url)('kafkajs/src/protocol/error') as {
    errorCodes: { type: string; message: string; retriable: boolean }[];
  };
  return new Map(errorCodes.map((e) => [e.message, { type: e.type, retriable: e.retriable }]));
})();

/**
 * The broker answer a kafkajs log entry reports as one kafkajs retries by itself (by its type, or
 * `UNKNOWN` for a retried send whose error is no protocol answer); undefined for anything else.
 * Such an entry is not a failure: if the retries run out, the caller gets the exception.
 */
export function retriedAnswer(
  namespace: string,
  log: { readonly [field: string]: unknown },
): string | undefined {
  const answer = typeof log.error === 'string' ? BROKER_ANSWERS.get(log.error) : undefined;
  // CONCURRENT_TRANSACTIONS is marked not retriable by the protocol, but the client retries it.
  if (answer && (answer.retriable || answer.type === 'CONCURRENT_TRANSACTIONS')) return answer.type;
  // kafkajs logs a send it is about to retry at error level, with the retry's count and delay
  // ("Failed to send messages: …").
  if (namespace === 'Producer' && typeof log.retryCount === 'number')
    return answer?.type ?? 'UNKNOWN';
  return undefined;
}

/** A kafkajs client with quiet, structured logging. */
export function createKafka(options: KafkaClientOptions): Kafka {
  const sink: (entry: KafkaLogEntry) => void =
    options.log ??
    ((e) => {
      if (e.level !== 'debug')
        process.stderr.write(
          JSON.stringify({
            level: e.level,
            source: 'kafkajs',
            namespace: e.namespace,
            msg: e.message,
            error: e.error,
          }) + '\n',
        );
    });
  const counter = { count: 0, sink };
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
        const retried = retriedAnswer(namespace, log);
        if (retried !== undefined) counter.count++;
        sink({
          level: retried !== undefined ? 'debug' : level <= logLevel.ERROR ? 'error' : 'warn',
          namespace,
          message: log.message,
          error: typeof log.error === 'string' ? log.error : undefined,
          ...(retried !== undefined && { retried }),
        });
      },
  });
  retried.set(kafka, counter);
  return kafka;
}

/**
 * A connected idempotent producer that keeps send order (one request in flight) and never creates a
 * topic: for writers whose records must land in the order sent.
 */
export async function connectOrderedProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return producer;
}
