// The agents and the auditor of one bench:e2e pipeline, in their own process (as real agents are):
// started by lib/measure.ts with `fork`, it preloads the backlog, watches the output topic, paces
// the latency phase and reports by IPC. Nothing here runs in the process under test.
import { setTimeout as sleep } from 'node:timers/promises';
import { connectOrderedProducer, createKafka } from '@lineage/kafka';
import { OutputObserver } from './observer.js';
import type { Phase } from './observer.js';
import { summarize } from './percentiles.js';
import { publishBurst, publishPaced } from './publish.js';
import type { BenchRecord } from './publish.js';
import type { LoadReport, LoadRequest, ParentMessage } from './load-protocol.js';

const send = (message: LoadReport) => process.send!(message);

/** The records as kafkajs wants them (IPC hands Buffers back as plain Uint8Arrays). */
function asBuffers(records: readonly BenchRecord[]): BenchRecord[] {
  return records.map((r) => ({ id: r.id, value: Buffer.from(r.value) }));
}

/**
 * Drain rate of a preloaded backlog: outputs after the first arrival ÷ time from the first arrival
 * to the last (the first arrival's own batch is not counted, as no interval produced it).
 */
function drainRate(phase: Phase): { perSecond: number; ms: number } {
  const seen = [...phase.seenAt.values()];
  const first = Math.min(...seen);
  const last = Math.max(...seen);
  const later = seen.filter((t) => t > first).length;
  return { perSecond: (later / (last - first)) * 1000, ms: last - first };
}

async function run(request: LoadRequest, started: Promise<void>): Promise<void> {
  const { config, spec } = request;
  const kafka = createKafka({ brokers: request.brokers, clientId: 'lineage-bench-load' });
  const observer = await OutputObserver.start(kafka, spec.outputTopic);
  const producer = await connectOrderedProducer(kafka);
  try {
    const warmup = asBuffers(request.warmup);
    const backlog = asBuffers(request.throughput);
    const paced = asBuffers(request.latency);
    const ids = (records: readonly BenchRecord[]) => records.map((r) => r.id);
    const warm = observer.track(`${spec.name} warm-up`, ids(warmup));
    const drain = observer.track(`${spec.name} drain`, ids(backlog));
    // The backlog is in the input topic before the pipeline starts: warm-up records first.
    await publishBurst(producer, spec.inputTopic, warmup, warm, config.batchSize);
    await publishBurst(producer, spec.inputTopic, backlog, drain, config.batchSize);
    send({ type: 'preloaded' });
    await started;
    await warm.done(config.timeoutMs);
    await drain.done(config.timeoutMs);
    send({ type: 'drained', ...drainRate(drain) });
    const latency = observer.track(`${spec.name} latency`, ids(paced));
    const pacedRate = await publishPaced(producer, spec.inputTopic, paced, latency, config.rate);
    await latency.done(config.timeoutMs);
    await sleep(config.settleMs);
    send({
      type: 'done',
      latency: summarize(latency.latencies()),
      pacedRate,
      duplicates: observer.duplicates,
      unknown: observer.unknown,
      outputBytes: observer.meanBytes(),
    });
  } finally {
    await producer.disconnect();
    await observer.stop();
  }
}

let go: () => void = () => undefined;
const started = new Promise<void>((resolve) => (go = resolve));
process.on('message', (message: ParentMessage) => {
  if (message.type === 'started') go();
  else
    run(message, started).then(
      () => process.exit(0),
      (error: unknown) => {
        send({ type: 'failed', error: String(error instanceof Error ? error.stack : error) });
        process.exit(1);
      },
    );
});
