import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createRegistry, kafkaLogSink } from './metrics.js';
import { readiness, startOpsServer } from './server.js';
import { contextOf, traceLogFields, traceparentOf } from './tracing.js';

describe('readiness', () => {
  it('is ready only when every check passes; a slow check fails with its reason', async () => {
    const ok = { name: 'a', check: () => Promise.resolve() };
    const down = { name: 'b', check: () => Promise.reject(new Error('refused')) };
    const slow = { name: 'c', check: () => new Promise<void>(() => undefined) };
    expect(await readiness([ok])).toEqual({ ready: true, checks: { a: 'ok' } });
    const r = await readiness([ok, down, slow], 50);
    expect(r.ready).toBe(false);
    expect(r.checks).toMatchObject({ a: 'ok', b: 'refused' });
    expect(r.checks.c).toMatch(/50 ms/);
  });

  it('serves /healthz, /readyz (503 when not ready) and /metrics', async () => {
    const registry = createRegistry();
    let up = false;
    const server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      registry,
      checks: [
        { name: 'x', check: () => (up ? Promise.resolve() : Promise.reject(new Error('no'))) },
      ],
    });
    const url = `http://127.0.0.1:${server.port}`;
    try {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const before = await fetch(`${url}/readyz`);
      expect(before.status).toBe(503);
      up = true;
      expect((await fetch(`${url}/readyz`)).status).toBe(200);
      const metrics = await fetch(`${url}/metrics`);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await metrics.text();
      expect(text).toContain('process_cpu_seconds_total');
      expect(text).not.toContain('nodejs_active_handles_total');
      expect((await fetch(`${url}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe('kafkaLogSink', () => {
  it('counts a retried broker answer by type at debug; anything else passes through', async () => {
    const registry = createRegistry();
    const debug: string[] = [];
    const other: string[] = [];
    const sink = kafkaLogSink(
      registry,
      (e) => debug.push(e.retried),
      (e) => other.push(e.message),
    );
    sink({
      level: 'debug',
      namespace: 'Producer',
      message: 'retrying',
      retried: 'CONCURRENT_TRANSACTIONS',
    });
    sink({ level: 'error', namespace: 'Consumer', message: 'crash', error: 'something else' });
    expect(debug).toEqual(['CONCURRENT_TRANSACTIONS']);
    expect(other).toEqual(['crash']);
    expect(
      await registry.getSingleMetricAsString('lineage_kafka_retriable_answers_total'),
    ).toContain('lineage_kafka_retriable_answers_total{type="CONCURRENT_TRANSACTIONS"} 1');
  });
});

describe('trace context', () => {
  const provider = new NodeTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new InMemorySpanExporter())],
  });
  provider.register();
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
  });

  it('puts trace_id and span_id on log lines inside a span, nothing outside one', () => {
    expect(traceLogFields()).toEqual({});
    trace.getTracer('t').startActiveSpan('s', (span) => {
      const { traceId, spanId } = span.spanContext();
      expect(traceLogFields()).toEqual({ trace_id: traceId, span_id: spanId });
      span.end();
    });
  });

  it('reads and writes W3C traceparents', () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const ctx = trace.getSpanContext(contextOf(parent))!;
    expect(traceparentOf(ctx)).toBe(parent);
    expect(trace.getSpanContext(contextOf('not a traceparent'))).toBeUndefined();
    expect(trace.getSpanContext(contextOf(null))).toBeUndefined();
  });
});
