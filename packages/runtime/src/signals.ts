/** The logging a service's shutdown needs (pino's call shape). */
export interface ShutdownLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/** How long a service may take to stop before it exits anyway. */
const STOP_GRACE_MS = 30_000;

/**
 * Stops a service once on SIGINT or SIGTERM: logs the signal (with `fields()`), awaits `stop`, and
 * exits 0 — or 1 when stopping fails or takes longer than `graceMs` (a client stuck retrying a
 * cluster that is gone must not keep the process alive). A second signal while stopping is ignored.
 */
export function stopOnSignals(
  stop: () => Promise<unknown>,
  logger: ShutdownLogger,
  fields: () => object = () => ({}),
  graceMs = STOP_GRACE_MS,
): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, ...fields() }, 'stopping');
    setTimeout(() => {
      logger.error({ graceMs }, 'stop timed out');
      process.exit(1);
    }, graceMs).unref();
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}
