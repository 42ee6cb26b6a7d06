import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { Registry } from 'prom-client';
import {
  governanceTelemetry,
  loadRuntimeManifest,
  runtimeHash,
  startGovernance,
} from '@lineage/governance';
import type { GovernanceService } from '@lineage/governance';
import { nodeEd25519 } from '@lineage/keys';
import { subscribeAttestations } from '@lineage/sdk';
import { waitUntil } from '@lineage/testkit/kafka';
import { createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';

// One process holds the agent (SDK), governance and a subscriber, all exporting to one in-memory
// exporter: the trace an intent starts must reach the subscriber's span through governance's.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
let ledger: TestLedger;
let governance: GovernanceService;
let subscriber: { stop(): Promise<void> } | undefined;

beforeAll(async () => {
  provider.register();
  ledger = await createTestLedger(inject('brokers'), { partitions: 3 });
  governance = await startGovernance({
    kafka: ledger.kafka,
    topics: ledger.topics,
    groupId: ledger.groupId,
    key: ledger.governanceKey,
    trust: ledger.trust,
    policy: ledger.policy,
    ed25519: nodeEd25519(),
    runtimeHash: runtimeHash(await loadRuntimeManifest()),
    partitions: 3,
    observer: governanceTelemetry({ registry: new Registry(), groupId: ledger.groupId }),
  });
});

afterAll(async () => {
  await subscriber?.stop();
  await governance?.stop();
  await ledger?.close();
  await provider.shutdown();
  trace.disable();
});

/** The spans of one trace, by name. */
function spansOf(traceId: string): ReadableSpan[] {
  return exporter.getFinishedSpans().filter((s) => s.spanContext().traceId === traceId);
}

describe('OpenTelemetry', () => {
  it('links agent → governance → subscriber in one trace, following the messaging conventions', async () => {
    const seen: string[] = [];
    subscriber = await subscribeAttestations({
      kafka: ledger.kafka,
      topic: ledger.topics.attestations,
      groupId: `${ledger.groupId}-subscriber`,
      verify: ledger.verify,
      onAttestation: async (a) => void seen.push(a.verified.predicate.execution_id),
    });
    const agent = await ledger.agent(0);
    const answer = await agent.publishIntent({ action: 'read.item', resource: 'traced/1' });
    const executionId = answer.verified.predicate.execution_id;
    await waitUntil(() => seen.includes(executionId), 60_000, 'the subscriber saw the attestation');

    const send = exporter
      .getFinishedSpans()
      .find(
        (s) =>
          s.name === `send ${ledger.topics.intents}` &&
          s.attributes['lineage.execution_id'] === executionId,
      );
    expect(send?.kind).toBe(SpanKind.PRODUCER);
    // The traceparent the agent signed into its intent is the producer span's.
    const traceId = send!.spanContext().traceId;
    const signed = JSON.parse(
      Buffer.from(answer.verified.predicate.intent!.payload, 'base64').toString('utf8'),
    ) as { trace: string };
    expect(signed.trace).toBe(`00-${traceId}-${send!.spanContext().spanId}-01`);
    await waitUntil(() => spansOf(traceId).length >= 3, 30_000, 'three spans in the trace');

    const spans = spansOf(traceId);
    const process = spans.find((s) => s.name === `process ${ledger.topics.intents}`)!;
    const subscribed = spans.find((s) => s.name === `process ${ledger.topics.attestations}`)!;
    expect(process.kind).toBe(SpanKind.CONSUMER);
    expect(process.parentSpanContext?.spanId).toBe(send!.spanContext().spanId);
    expect(process.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.destination.name': ledger.topics.intents,
      'messaging.consumer.group.name': ledger.groupId,
      'lineage.execution_id': executionId,
      'lineage.decision': 'allow',
    });
    expect(process.attributes['messaging.destination.partition.id']).toMatch(/^\d+$/);
    expect(subscribed.kind).toBe(SpanKind.CONSUMER);
    expect(subscribed.parentSpanContext?.spanId).toBe(process.spanContext().spanId);
    expect(subscribed.attributes['messaging.destination.name']).toBe(ledger.topics.attestations);
  });
});
