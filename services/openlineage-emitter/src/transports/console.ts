import type { Transport } from './transport.js';

/** Writes each event as one NDJSON line (to stdout unless told otherwise). */
export function consoleTransport(
  write: (line: string) => void = (line) => process.stdout.write(line),
): Transport {
  return {
    name: 'console',
    async send(_event, body) {
      write(body + '\n');
      return { type: 'sent' };
    },
    async close() {},
  };
}
