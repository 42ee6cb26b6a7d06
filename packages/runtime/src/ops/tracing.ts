import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import type { Context, SpanContext } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';

/** A tracer provider this process registered, to flush on exit. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * The exporter the standard `OTEL_*` variables ask for: `OTEL_TRACES_EXPORTER` (`otlp`, `console`,
 * `none`), else OTLP over HTTP when an `OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT` is set; none when
 * `OTEL_SDK_DISABLED=true` or nothing is configured (tracing then costs nothing).
 */
async function exporterFromEnv(env: NodeJS.ProcessEnv): Promise<SpanExporter | undefined> {
  if (env.OTEL_SDK_DISABLED === 'true') return undefined;
  const chosen = env.OTEL_TRACES_EXPORTER?.split(',')[0]?.trim();
  if (chosen === 'none') return undefined;
  if (chosen === 'console')
    return new (await import('@opentelemetry/sdk-trace-base')).ConsoleSpanExporter();
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (chosen === 'otlp' || endpoint !== undefined)
    return new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  return undefined;
}

/**
 * Registers an OpenTelemetry tracer provider for this process when the environment configures an
 * exporter (see {@link exporterFromEnv}); its resource is `service.name` (`OTEL_SERVICE_NAME` wins)
 * plus `OTEL_RESOURCE_ATTRIBUTES`. Without one, spans are not recorded, and the SDK is not even
 * loaded (it weighs on every start).
 */
export async function startTracing(
  serviceName: string,
  env = process.env,
): Promise<Tracing | undefined> {
  const exporter = await exporterFromEnv(env);
  if (exporter === undefined) return undefined;
  const [
    { NodeTracerProvider },
    { BatchSpanProcessor },
    { defaultResource, resourceFromAttributes },
  ] = await Promise.all([
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/resources'),
  ]);
  const provider = new NodeTracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? serviceName }),
    ),
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  provider.register();
  return { shutdown: () => provider.shutdown() };
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The remote span a W3C `traceparent` names, as the context to continue it in (root if none). */
export function contextOf(traceparent: string | null | undefined): Context {
  const m = traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!m) return ROOT_CONTEXT;
  const spanContext: SpanContext = {
    traceId: m[1]!,
    spanId: m[2]!,
    traceFlags: parseInt(m[3]!, 16) & TraceFlags.SAMPLED,
    isRemote: true,
  };
  return trace.setSpanContext(ROOT_CONTEXT, spanContext);
}

/** The W3C `traceparent` of a span context, or null when it is not a valid (recorded) one. */
export function traceparentOf(spanContext: SpanContext): string | null {
  if (!trace.isSpanContextValid(spanContext)) return null;
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`;
}

/** `trace_id` and `span_id` of the active span, for log lines (empty outside a span). */
export function traceLogFields(): { trace_id?: string; span_id?: string } {
  const span = trace.getActiveSpan();
  const ctx = span?.spanContext();
  return ctx && trace.isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
}
