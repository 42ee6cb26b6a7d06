import type { Admin, Kafka } from 'kafkajs';
import type { KafkaLogEntry } from '@lineage/kafka';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReadinessCheck } from './server.js';

/**
 * prom-client's default gauges whose names end in `_total`, which Prometheus keeps for counters
 * (`promtool check metrics` refuses them): left out.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/** A registry with the process's own metrics (CPU, memory, event loop, GC), Prometheus' names. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  return registry;
}

/**
 * A `createKafka` log sink that counts the broker answers kafkajs retries (entries `createKafka`
 * marks `retried`) by their type (`lineage_kafka_retriable_answers_total{type}`) and hands them to
 * `debug`; every other entry goes to `other` as it came. A healthy run then logs no error line for a
 * retried answer.
 */
export function kafkaLogSink(
  registry: Registry,
  debug: (entry: KafkaLogEntry & { retried: string }) => void,
  other: (entry: KafkaLogEntry) => void,
): (entry: KafkaLogEntry) => void {
  const retriable = new Counter({
    name: 'lineage_kafka_retriable_answers_total',
    help: 'Broker answers the client retried (CONCURRENT_TRANSACTIONS, NOT_COORDINATOR, ...), by type',
    labelNames: ['type'],
    registers: [registry],
  });
  return (entry) => {
    const { retried } = entry;
    if (retried === undefined) return other(entry);
    retriable.inc({ type: retried });
    debug({ ...entry, retried });
  };
}

/** An admin client connected on first use and reused; `close` disconnects it if it was connected. */
export interface LazyAdmin {
  get(): Promise<Admin>;
  close(): Promise<void>;
}

/** A {@link LazyAdmin} of `kafka`. */
export function lazyAdmin(kafka: Kafka): LazyAdmin {
  let admin: Promise<Admin> | undefined;
  return {
    get: () => {
      admin ??= (async () => {
        const a = kafka.admin();
        await a.connect();
        return a;
      })().catch((error: unknown) => {
        admin = undefined;
        throw error;
      });
      return admin;
    },
    close: async () => {
      const a = await admin?.catch(() => undefined);
      admin = undefined;
      await a?.disconnect();
    },
  };
}

/** Ready when the cluster answers a metadata request. */
export function brokerCheck(admin: { get(): Promise<Admin> }): ReadinessCheck {
  return {
    name: 'kafka',
    check: async () => {
      await (await admin.get()).describeCluster();
    },
  };
}

/** Where a consumer stands in a topic: partition → next offset to read. */
export type Positions = () => Promise<ReadonlyMap<number, bigint>>;

/** What a lag gauge watches: a topic, the group reading it, and where that group's positions are kept. */
export interface LagSource {
  group: string;
  topic: string;
  /** Default: the group's offsets committed to Kafka. */
  positions?: Positions;
}

/**
 * A gauge (default `lineage_consumer_lag_records{group,topic,partition}`) of the records between each
 * partition's end and the group's position, read from the broker (and the positions' store) at each
 * scrape.
 */
export function consumerLagGauge(
  registry: Registry,
  admin: { get(): Promise<Admin> },
  sources: readonly LagSource[],
  name = 'lineage_consumer_lag_records',
): Gauge {
  return new Gauge({
    name,
    help: 'Records between a consumer position and the end of the partition',
    labelNames: ['group', 'topic', 'partition'],
    registers: [registry],
    async collect() {
      this.reset();
      const a = await admin.get().catch(() => undefined);
      if (a === undefined) return;
      for (const { group, topic, positions } of sources) {
        const read = positions ?? (() => committedOffsets(a, group, topic));
        const [ends, at] = await Promise.all([a.fetchTopicOffsets(topic), read()]).catch(
          () => [[], new Map<number, bigint>()] as const,
        );
        for (const end of ends) {
          const from = at.get(end.partition) ?? BigInt(end.low);
          const lag = BigInt(end.high) - (from < BigInt(end.low) ? BigInt(end.low) : from);
          this.set({ group, topic, partition: String(end.partition) }, Number(lag));
        }
      }
    },
  });
}

/** A group's offsets committed to Kafka for `topic` (partitions without one are left out). */
async function committedOffsets(
  admin: Admin,
  group: string,
  topic: string,
): Promise<Map<number, bigint>> {
  const [committed] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  return new Map(
    (committed?.partitions ?? [])
      .filter((p) => BigInt(p.offset) >= 0n)
      .map((p) => [p.partition, BigInt(p.offset)]),
  );
}
