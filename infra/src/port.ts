import { createServer } from 'node:net';
import { InfraError } from './errors.js';

/** The only interface the local broker binds: loopback. */
export const LOOPBACK = '127.0.0.1';

/**
 * Parses a TCP port from an option or environment value.
 * @throws InfraError `INVALID_PORT` when the value is not an integer in 1..65535.
 */
export function parsePort(value: string | number, name: string): number {
  const port = typeof value === 'number' ? value : Number(value.trim());
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new InfraError('INVALID_PORT', `${name}=${String(value)} is not a TCP port (1-65535).`);
  }
  return port;
}

/** Reads a port from the environment variable `name`, or returns `fallback` when it is unset or empty. */
export function envPort(name: string, fallback: number): number {
  const value = process.env[name];
  return value === undefined || value.trim() === '' ? fallback : parsePort(value, name);
}

/** The one-line error for a port held by a process that is not our broker; `envVar` is the knob that moves it. */
export function portTakenError(port: number, envVar: string): InfraError {
  const useIt =
    envVar === 'KAFKA_PORT'
      ? `; if it is a Kafka broker you want to use, set KAFKA_BROKERS=${LOOPBACK}:${port} instead`
      : '';
  return new InfraError(
    'PORT_TAKEN',
    `Port ${port} on ${LOOPBACK} is already in use by another process: set ${envVar} to a free port, ` +
      `or stop that process (\`ss -ltnp 'sport = :${port}'\` shows it)${useIt}.`,
  );
}

/** True when nothing listens on `host:port`, tested by binding it the way the broker will. */
export function portIsFree(port: number, host: string = LOOPBACK): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
