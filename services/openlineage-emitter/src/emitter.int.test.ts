import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKafka, ensureTopics, readToEnd, topicNames } from '@lineage/kafka';
import { encodeEvent, EventMapper, readAttestation } from '@lineage/openlineage';
import type { RunEvent } from '@lineage/openlineage';
import { fromDsse } from '@lineage/protocol';
import type { DsseEnvelope } from '@lineage/protocol';
import { attestationCodec, envelopeRecord } from '@lineage/schemas';
import { startEmitter } from './service.js';
import type { EmitterService } from './service.js';
import { kafkaTransport } from './transports/kafka.js';
import type { Transport } from './transports/transport.js';

// The recorded ledger of a demo run: real governance-signed attestations, in partition order.
const recorded = JSON.parse(
  readFileSync(
    new URL('../../../packages/openlineage/test-data/demo-ledger.json', import.meta.url),
    'utf8',
  ),
) as { records: { partition: number; envelope: DsseEnvelope }[] };

const kafka = createKafka({ brokers: inject('brokers'), clientId: 'openlineage-emitter-test' });
const topics = topicNames(`t-${randomUUID().slice(0, 8)}-`);
const outTopic = `${topics.attestations}.openlineage`;
const running: EmitterService[] = [];

/** A transport that keeps what it is given. */
function memoryTransport(): Transport & { bodies: string[]; events: RunEvent[] } {
  const bodies: string[] = [];
  const events: RunEvent[] = [];
  return {
    name: 'memory',
    bodies,
    events,
    async send(event, body) {
      events.push(event);
      bodies.push(body);
      return { type: 'sent' };
    },
    async close() {},
  };
}

async function until(ready: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  // Given the demo's ledger on fresh topics of the real broker, each record on its own partition.
  await ensureTopics(kafka, topics, { partitions: 3 });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic: outTopic, numPartitions: 3 }],
  });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (const r of recorded.records) {
    const envelope = fromDsse(r.envelope);
    const executionId = readAttestation(r.envelope).statement.predicate.execution_id;
    await producer.send({
      topic: topics.attestations,
      acks: -1,
      messages: [
        {
          partition: r.partition,
          key: executionId,
          value: attestationCodec.encode({
            execution_id: executionId,
            envelope: envelopeRecord(envelope),
          }),
        },
      ],
    });
  }
  await producer.disconnect();
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
});

describe('streaming OpenLineage emitter on a real broker', () => {
  // What the pure mapping makes of the whole ledger: the events every emitter must send.
  const expected = (() => {
    const attested = recorded.records.map((r) => readAttestation(r.envelope));
    const mapper = new EventMapper({ ledger: topics.attestations });
    for (const a of attested) mapper.learn(a);
    return attested.map((a) => encodeEvent(mapper.map(a))).sort();
  })();

  it('sends one event per attestation to a Kafka topic, keyed by runId', async () => {
    const service = await startEmitter({
      kafka,
      topics,
      groupId: `${topics.attestations}-kafka`,
      transport: await kafkaTransport(kafka, outTopic),
    });
    running.push(service);
    await until(() => service.stats.sent === expected.length);
    const received: { key: string; value: string }[] = [];
    await readToEnd(kafka, outTopic, new Map([0, 1, 2].map((p) => [p, 0n])), (_, m) => {
      received.push({ key: m.key!.toString(), value: m.value!.toString() });
    });
    expect(received.map((r) => r.value).sort()).toEqual(expected);
    for (const r of received) expect(r.key).toBe((JSON.parse(r.value) as RunEvent).run.runId);
    expect(service.stats).toMatchObject({ deadLetters: 0, skipped: 0 });
  });

  it('sends the identical bytes again when the ledger is delivered again (a new group)', async () => {
    const transport = memoryTransport();
    const service = await startEmitter({
      kafka,
      topics,
      groupId: `${topics.attestations}-again`,
      transport,
    });
    running.push(service);
    await until(() => transport.bodies.length === expected.length);
    expect([...transport.bodies].sort()).toEqual(expected);
    const digests = transport.events.map((e) => e.run.facets.lineage_attestation.digest);
    expect(new Set(digests).size).toBe(recorded.records.length);
  });
});
