import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { encodeEvent, EventMapper } from '@lineage/openlineage';
import type { Attested, MappingOptions } from '@lineage/openlineage';
import { verifyAttestation, VerificationError } from '@lineage/protocol';
import type { VerifyContext } from '@lineage/protocol';
import type { TopicNames } from '@lineage/kafka';
import { attestationCodec } from '@lineage/schemas';
import { EmitterError } from './errors.js';
import { decode, startGraphFeed } from './feed.js';
import type { GraphFeed } from './feed.js';
import type { Transport } from './transports/transport.js';

/** How the emitter runs. */
export interface EmitterOptions {
  kafka: Kafka;
  topics: TopicNames;
  transport: Transport;
  /** The consumer group (default `lineage-openlineage-emitter`); one per receiver. */
  groupId?: string;
  /** Event naming; `ledger` defaults to the attestations topic. */
  mapping?: MappingOptions;
  /** When set, only attestations that verify against it are sent (the rest are counted). */
  verify?: VerifyContext;
  /** How long an event may wait for a parent's decision to be read (default 60 000 ms). */
  graphTimeoutMs?: number;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

/** Counters of a running emitter. */
export interface EmitterStats {
  /** Events the transport accepted. */
  sent: number;
  /** Events the transport gave up on. */
  deadLetters: number;
  /** Records that are not attestations. */
  skipped: number;
  /** Attestations that do not verify (only with `verify`). */
  unverified: number;
}

/** A running emitter. */
export interface EmitterService {
  readonly stats: EmitterStats;
  stop(): Promise<void>;
}

/**
 * Starts the streaming emitter: a consumer group on the attestations topic that maps each
 * attestation to its OpenLineage RunEvent and hands it to the transport, committing the offset
 * after the transport is done with it. A redelivered attestation maps to the identical event.
 * @throws kafkajs errors when the broker is unreachable.
 */
export async function startEmitter(options: EmitterOptions): Promise<EmitterService> {
  const log = options.log ?? (() => undefined);
  const mapper = new EventMapper({ ledger: options.topics.attestations, ...options.mapping });
  const stats: EmitterStats = { sent: 0, deadLetters: 0, skipped: 0, unverified: 0 };
  const feed = await startGraphFeed(options.kafka, options.topics.attestations, (a) =>
    mapper.learn(a),
  );
  const consumer = options.kafka.consumer({
    groupId: options.groupId ?? 'lineage-openlineage-emitter',
    readUncommitted: false,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topics.attestations, fromBeginning: true });
  const emit = emitter(options, mapper, feed, stats, log);
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        await emit(batch.partition, message, heartbeat);
        resolveOffset(message.offset);
        await heartbeat();
      }
    },
  });
  return {
    stats,
    async stop() {
      await consumer.disconnect();
      await feed.stop();
      await options.transport.close();
    },
  };
}

// The handling of one record: read, check, wait for what its event names, map, send.
function emitter(
  options: EmitterOptions,
  mapper: EventMapper,
  feed: GraphFeed,
  stats: EmitterStats,
  log: NonNullable<EmitterOptions['log']>,
) {
  const timeoutMs = options.graphTimeoutMs ?? 60_000;
  return async (partition: number, message: KafkaMessage, heartbeat: () => Promise<void>) => {
    const where = { partition, offset: message.offset };
    // The record must be an attestation (and, when asked, one that verifies).
    const attested = decode(message.value);
    if (attested === null || !verified(message, options.verify)) {
      stats[attested === null ? 'skipped' : 'unverified']++;
      log(attested === null ? 'not an attestation' : 'attestation does not verify', where);
      return;
    }
    // The graph must hold this partition up to here, and every run the event names.
    const ready = () =>
      feed.reached(partition, BigInt(message.offset)) && mapper.missing(attested) === null;
    await until(ready, timeoutMs, heartbeat, () => missingOf(mapper, attested));
    const event = mapper.map(attested);
    const outcome = await options.transport.send(event, encodeEvent(event));
    if (outcome.type === 'sent') stats.sent++;
    else {
      stats.deadLetters++;
      log('event dead-lettered', { ...where, runId: event.run.runId, reason: outcome.reason });
    }
  };
}

// Whether a record's envelope verifies; true when no verification was asked for.
function verified(message: KafkaMessage, ctx: VerifyContext | undefined): boolean {
  if (ctx === undefined) return true;
  try {
    verifyAttestation(attestationCodec.decode(message.value!).envelope, ctx);
    return true;
  } catch (e) {
    if (e instanceof VerificationError) return false;
    throw e;
  }
}

function missingOf(mapper: EventMapper, attested: Attested): string {
  return mapper.missing(attested) ?? 'the partition so far';
}

// Polls `ready` (heart-beating meanwhile) until it holds or the time is up.
async function until(
  ready: () => boolean,
  timeoutMs: number,
  heartbeat: () => Promise<void>,
  what: () => string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline)
      throw new EmitterError('GRAPH_TIMEOUT', `the run graph still lacks ${what()}`);
    await sleep(25);
    await heartbeat();
  }
}
