import { pino } from 'pino';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { FlagMap } from '../load-settings.js';
import { settingsFromArgs } from '../load-settings.js';
import type { Settings } from '../settings.js';
import { stopOnSignals } from '../signals.js';
import { kafkaLogSink } from './metrics.js';
import type { KafkaLogEntry } from '@lineage/kafka';
import type { ReadinessCheck } from './server.js';
import { startTracing, traceLogFields } from './tracing.js';

/** A service's logger: pino JSON lines, each carrying `trace_id`/`span_id` inside a span. */
export function serviceLogger(name: string): Logger {
  return pino({ name, level: process.env.LOG_LEVEL ?? 'info', mixin: traceLogFields });
}

/** A role started by `lineage serve` or its own `main.ts`. */
export interface RunningService {
  readonly name: string;
  /** Where its `/healthz`, `/readyz` and `/metrics` answer. */
  readonly port: number;
  /** Drains: stops taking work, finishes (commits or aborts) what is in flight, leaves its group. */
  stop(): Promise<void>;
}

/** How a role is started from settings (`serveGovernance`, `serveProjector`, ...). */
export type ServeRole<R extends RunningService = RunningService> = (
  settings: Settings,
  logger: Logger,
) => Promise<R>;

/**
 * A service's `main`: settings from its command line (`flags`, `--config`), its logger, tracing
 * from the `OTEL_*` environment, the role started, and SIGINT/SIGTERM draining it.
 */
export async function runServiceMain(
  name: string,
  flags: FlagMap,
  serve: ServeRole,
): Promise<void> {
  const settings = settingsFromArgs(flags);
  const logger = serviceLogger(name);
  const tracing = await startTracing(`lineage-${name}`);
  const service = await serve(settings, logger);
  stopOnSignals(async () => {
    await service.stop();
    await tracing?.shutdown();
  }, logger);
}

/** {@link kafkaLogSink} writing to a service's logger: retried answers at debug, the rest as kafkajs said. */
export function kafkaLog(registry: Registry, logger: Logger): (entry: KafkaLogEntry) => void {
  return kafkaLogSink(
    registry,
    (e) => logger.debug({ source: 'kafkajs', ...e }, 'retriable broker answer'),
    (e) => logger[e.level]({ source: 'kafkajs', ...e }, e.message),
  );
}

/** A readiness check that passes once `set(true)` was called (e.g. the consumer joined its group). */
export function flagCheck(
  name: string,
  waiting: string,
): ReadinessCheck & { set(up: boolean): void } {
  let up = false;
  return {
    name,
    check: () => (up ? Promise.resolve() : Promise.reject(new Error(waiting))),
    set: (value) => void (up = value),
  };
}
