import { Kafka, logLevel } from 'kafkajs';
import type { LogEntry } from 'kafkajs';

export interface KafkaClientOptions {
  brokers: string[];
  clientId: string;
  /** Receives kafkajs' warnings and errors; defaults to one JSON line on stderr. */
  log?: (entry: {
    level: 'warn' | 'error';
    namespace: string;
    message: string;
    /** kafkajs' error text, when the entry is about one (a refused write says "fenced" here). */
    error?: string;
  }) => void;
}

/** A kafkajs client with quiet, structured logging. */
export function createKafka(options: KafkaClientOptions): Kafka {
  const sink =
    options.log ??
    ((e) =>
      process.stderr.write(
        JSON.stringify({
          level: e.level,
          source: 'kafkajs',
          namespace: e.namespace,
          msg: e.message,
          error: e.error,
        }) + '\n',
      ));
  return new Kafka({
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
        sink({
          level: level <= logLevel.ERROR ? 'error' : 'warn',
          namespace,
          message: log.message,
          error: typeof log.error === 'string' ? log.error : undefined,
        });
      },
  });
}
