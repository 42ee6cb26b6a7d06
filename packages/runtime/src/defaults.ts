/** KAFKA_BROKERS if set, else the local broker on KAFKA_PORT (default 9092): a `--brokers` default. */
export function defaultBrokers(): string {
  return process.env.KAFKA_BROKERS ?? `127.0.0.1:${process.env.KAFKA_PORT ?? '9092'}`;
}
