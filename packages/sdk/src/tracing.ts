import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  context,
  trace,
} from '@opentelemetry/api';
import type { Context, Span } from '@opentelemetry/api';

/** The SDK's tracer: a no-op until the application registers an OpenTelemetry SDK. */
const tracer = () => trace.getTracer('lineage-sdk');

/** Messaging attributes of the OpenTelemetry semantic conventions for a Kafka topic. */
function messaging(operation: 'send' | 'process', topic: string): Record<string, string> {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': operation,
    'messaging.operation.name': operation,
    'messaging.destination.name': topic,
  };
}

/** The W3C traceparent of a recording span, or null when tracing is off. */
function traceparentOf(span: Span): string | null {
  const c = span.spanContext();
  if (!trace.isSpanContextValid(c)) return null;
  return `00-${c.traceId}-${c.spanId}-0${(c.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

/**
 * Runs `send` inside a `send <topic>` producer span (child of the active span) and hands it the
 * span's traceparent, which the agent signs into the intent: governance continues that trace.
 */
export async function inProducerSpan<T>(
  topic: string,
  executionId: string,
  send: (traceparent: string | null) => Promise<T>,
): Promise<T> {
  const span = tracer().startSpan(`send ${topic}`, {
    kind: SpanKind.PRODUCER,
    attributes: { ...messaging('send', topic), 'lineage.execution_id': executionId },
  });
  try {
    return await context.with(trace.setSpan(context.active(), span), () =>
      send(traceparentOf(span)),
    );
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** The context a record's `traceparent` header names (governance's span for an attestation). */
function fromHeader(headers: Record<string, unknown> | undefined): Context {
  const raw = headers?.traceparent;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(text);
  if (!m) return ROOT_CONTEXT;
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: parseInt(m[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  });
}

/** Runs `work` inside a `process <topic>` consumer span continuing the record's trace. */
export async function inConsumerSpan<T>(
  topic: string,
  partition: number,
  offset: string,
  headers: Record<string, unknown> | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const span = tracer().startSpan(
    `process ${topic}`,
    {
      kind: SpanKind.CONSUMER,
      attributes: {
        ...messaging('process', topic),
        'messaging.destination.partition.id': String(partition),
        'messaging.kafka.offset': Number(offset),
      },
    },
    fromHeader(headers),
  );
  try {
    return await context.with(trace.setSpan(ROOT_CONTEXT, span), work);
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}
