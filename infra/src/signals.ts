/** The logging a service's shutdown needs (pino's call shape). */
export interface ShutdownLogger {
  info(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

/**
 * Stops a service once on SIGINT or SIGTERM: logs the signal (with `fields()`), awaits `stop`, and
 * exits 0 — or 1 when stopping fails. A second signal while stopping is ignored.
 */
export function stopOnSignals(
  stop: () => Promise<unknown>,
  logger: ShutdownLogger,
  fields: () => object = () => ({}),
): void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, ...fields() }, 'stopping');
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
