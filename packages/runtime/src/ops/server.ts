import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

/** One thing a service needs to do its work (the broker answers, Postgres answers, it joined its group). */
export interface ReadinessCheck {
  readonly name: string;
  /** Resolves when ready; rejects (or outlasts the timeout) when not, its message saying why. */
  check(): Promise<void>;
}

/** What `/readyz` answers: ready only if every check passed, each check's result by name. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | string>;
}

/** How long one readiness check may take before it counts as failed. */
const CHECK_TIMEOUT_MS = 2_000;

/** Runs every check at once, each bounded by `timeoutMs`. */
export async function readiness(
  checks: readonly ReadinessCheck[],
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<Readiness> {
  const results = await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      try {
        await Promise.race([c.check(), timeout]);
        return [c.name, 'ok'] as const;
      } catch (error) {
        return [c.name, error instanceof Error ? error.message : String(error)] as const;
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  return {
    ready: results.every(([, r]) => r === 'ok'),
    checks: Object.fromEntries(results),
  };
}

export interface OpsServerOptions {
  port: number;
  host: string;
  registry: Registry;
  checks: readonly ReadinessCheck[];
}

/** A listening health and metrics endpoint. */
export interface OpsServer {
  /** The port it listens on (the one asked for, or the one given for port 0). */
  readonly port: number;
  /** Stops accepting connections and waits for open ones to finish. */
  close(): Promise<void>;
}

/**
 * Serves `/healthz` (the process is alive: no I/O), `/readyz` (every check passes: 200, else 503,
 * with each check's result as JSON) and `/metrics` (the registry, Prometheus text format).
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const reply = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return reply(405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') return reply(200, 'application/json', '{"status":"alive"}\n');
    if (path === '/readyz')
      return void readiness(options.checks).then((r) =>
        reply(r.ready ? 200 : 503, 'application/json', JSON.stringify(r) + '\n'),
      );
    if (path === '/metrics')
      return void options.registry.metrics().then(
        (text) => reply(200, options.registry.contentType, text),
        (error: unknown) => reply(500, 'text/plain', `${String(error)}\n`),
      );
    reply(404, 'text/plain', 'not found\n');
  });
  // Scrapers keep connections alive; closing must not wait for their idle sockets.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
