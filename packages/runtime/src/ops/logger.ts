import { pino } from 'pino';
import type { Logger } from 'pino';
import { traceLogFields } from './tracing.js';

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
