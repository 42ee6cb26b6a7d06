import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SpanKind, trace } from '@opentelemetry/api';
import type { Span } from '@opentelemetry/api';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { TransactionOutcome } from '@lineage/kafka';
import { contextOf, traceparentOf } from '@lineage/runtime';
import type { DecidedBatch, GovernanceObserver } from './observe.js';
import type { Attest, Outcome } from './outcome.js';

const TRANSACTION_OUTCOMES: readonly TransactionOutcome[] = ['committed', 'aborted', 'fenced'];

/** Latency buckets (seconds) from a millisecond to a minute. */
const LATENCY = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The reason code a decision is counted under: its first code that names no policy rule. */
function reasonCode(outcome: Attest): string {
  return outcome.draft.reasons.find((r) => !r.startsWith('rule:')) ?? 'none';
}

/** The W3C traceparent the agent signed into the intent an attestation answers, if any. */
function intentTrace(outcome: Attest): string | null {
  const intent = outcome.draft.intent;
  if (intent === null) return null;
  try {
    const body = JSON.parse(Buffer.from(intent.payload, 'base64').toString('utf8')) as {
      trace?: unknown;
    };
    return typeof body.trace === 'string' ? body.trace : null;
  } catch {
    return null;
  }
}

export interface GovernanceTelemetryOptions {
  registry: Registry;
  groupId: string;
}

/**
 * Governance's metrics (`lineage_governance_*`) and spans: per attestation, a `process <topic>`
 * consumer span continuing the agent's signed traceparent (OpenTelemetry messaging conventions),
 * from decision to commit; its context travels on to subscribers in the attestation's
 * `traceparent` header.
 */
export function governanceTelemetry(options: GovernanceTelemetryOptions): GovernanceObserver {
  const m = governanceMetrics(options.registry);
  const tracer = trace.getTracer('lineage-governance');
  return {
    decided(batch) {
      const started = performance.now();
      const spans = startSpans(tracer, batch, options.groupId);
      return {
        committed() {
          const now = Date.now();
          m.decideCommit.observe((performance.now() - started) / 1000);
          batch.outcomes.forEach((o, i) => count(m, o, now - Number(batch.inputs[i]!.timestamp)));
          for (const span of spans) span.end();
        },
      };
    },
    transaction(outcome) {
      m.transactions.inc({ outcome });
    },
  };
}

type Metrics = ReturnType<typeof governanceMetrics>;

function governanceMetrics(registry: Registry) {
  const registers = [registry];
  return {
    decisions: new Counter({
      name: 'lineage_governance_decisions_total',
      help: 'Attestations appended, by kind (decision, override, replay_rejection, override_rejection), decision and reason code',
      labelNames: ['kind', 'decision', 'reason'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'lineage_governance_dead_letters_total',
      help: 'Input records that could not be decided, by reason',
      labelNames: ['reason'],
      registers,
    }),
    redeliveries: new Counter({
      name: 'lineage_governance_redeliveries_total',
      help: 'Input records answered by the attestation already issued (identical redeliveries)',
      registers,
    }),
    transactions: transactionsCounter(registry),
    decideCommit: new Histogram({
      name: 'lineage_governance_decide_commit_seconds',
      help: 'From the start of deciding a batch to the commit of its transaction',
      buckets: LATENCY,
      registers,
    }),
    appendAttested: new Histogram({
      name: 'lineage_governance_append_attested_seconds',
      help: 'From the broker appending an input record to the commit of what it became',
      buckets: LATENCY,
      registers,
    }),
  };
}

/**
 * `lineage_governance_transactions_total{outcome}`: every outcome exposed from the start (at 0), so
 * an alert on aborted or fenced transactions sees a series before the first one happens.
 */
function transactionsCounter(registry: Registry): Counter<'outcome'> {
  const counter = new Counter({
    name: 'lineage_governance_transactions_total',
    help: 'Kafka transactions of decided batches, by outcome (committed, aborted, fenced)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  for (const outcome of TRANSACTION_OUTCOMES) counter.inc({ outcome }, 0);
  return counter;
}

function count(m: Metrics, outcome: Outcome, appendedMs: number): void {
  if (outcome.type === 'redelivery') m.redeliveries.inc();
  else if (outcome.type === 'dead-letter') m.deadLetters.inc({ reason: outcome.reason });
  else {
    const { kind, decision } = outcome.draft;
    m.decisions.inc({ kind, decision, reason: reasonCode(outcome) });
  }
  m.appendAttested.observe(Math.max(0, appendedMs) / 1000);
}

/** One span per attestation; its context is set as the `traceparent` header of the attestation. */
function startSpans(
  tracer: ReturnType<typeof trace.getTracer>,
  batch: DecidedBatch,
  groupId: string,
): Span[] {
  const attestations = batch.sends[0]?.messages ?? [];
  const spans: Span[] = [];
  batch.outcomes.forEach((outcome, i) => {
    if (outcome.type !== 'attest') return;
    const { execution_id, kind, decision } = outcome.draft;
    const span = tracer.startSpan(
      `process ${batch.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'messaging.system': 'kafka',
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
          'messaging.destination.name': batch.topic,
          'messaging.destination.partition.id': String(batch.partition),
          'messaging.consumer.group.name': groupId,
          'messaging.kafka.offset': Number(batch.inputs[i]!.offset),
          'messaging.kafka.message.key': execution_id,
          'lineage.execution_id': execution_id,
          'lineage.kind': kind,
          'lineage.decision': decision,
        },
      },
      contextOf(intentTrace(outcome)),
    );
    const header = traceparentOf(span.spanContext());
    const message = attestations[spans.length];
    if (header !== null && message !== undefined)
      message.headers = { ...message.headers, traceparent: header };
    spans.push(span);
  });
  return spans;
}

/** `lineage_governance_state_store_bytes` and `lineage_governance_partitions_owned`, read at scrape. */
export function governanceGauges(
  registry: Registry,
  stateDir: string | undefined,
  partitions: () => number[],
): void {
  new Gauge({
    name: 'lineage_governance_partitions_owned',
    help: 'Input partitions this instance owns',
    registers: [registry],
    collect() {
      this.set(partitions().length);
    },
  });
  if (stateDir === undefined) return;
  new Gauge({
    name: 'lineage_governance_state_store_bytes',
    help: 'Size of the state store directory (LevelDB) on disk',
    registers: [registry],
    async collect() {
      this.set(await directoryBytes(stateDir));
    },
  });
}

async function directoryBytes(dir: string): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const sizes = await Promise.all(
    names.map((n) =>
      stat(join(dir, n)).then(
        (s) => (s.isFile() ? s.size : 0),
        () => 0,
      ),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}
