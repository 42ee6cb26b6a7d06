// API hostile-load benchmark: the query API as a child process over a fresh projection schema holding
// a root execution with 200,000 children (built by INSERT ... SELECT generate_series), driven by 100
// concurrent heavy requests (descendants and agent blast radius, limit=1) for 20 s while /healthz is
// probed. `pnpm bench:api`; settings BENCH_API_CHILDREN, BENCH_API_CLIENTS, BENCH_API_SECONDS,
// BENCH_API_TOKENS, BENCH_API_NODE_ARGS. Clients wait the Retry-After of a 429/503 (capped at 1 s) before the next request.
// Last line: `api 500s=<n> peak_rss_mb=<n> healthz_p99_ms=<n> p99_ms=<n>`.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { Pool } from 'pg';
import { databaseUrl, ensureDatabase } from '@lineage/infra';
import { PROJECTION_MIGRATIONS } from '@lineage/projection';
import { createToken, limitsFromEnv } from '@lineage/query-api';
import { createPool, migrate, qualifiedName, quoteSchema } from '@lineage/store';

const env = (name: string, fallback: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${name} must be > 0`);
  return value;
};
const CHILDREN = env('BENCH_API_CHILDREN', 200_000);
const CLIENTS = env('BENCH_API_CLIENTS', 100);
const SECONDS = env('BENCH_API_SECONDS', 20);
const TOKENS = env('BENCH_API_TOKENS', 4);
const AGENT = 'a'.repeat(64);
// A UUIDv7-shaped id for row i (the root is 0).
const ID = (i: string) =>
  `lpad(to_hex(${i}), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(${i}), 12, '0')`;

/** Migrates a fresh schema and fills it: one root, `CHILDREN` children of it, one agent for all. */
async function buildGraph(pool: Pool, schema: string): Promise<string> {
  await migrate(pool, schema, PROJECTION_MIGRATIONS);
  const executions = qualifiedName(schema, 'executions');
  await pool.query(
    `INSERT INTO ${executions} (execution_id, attestation_digest, kind, decision, reasons, agent,
       action, resource, policy_id, policy_version, policy_hash, runtime_hash, fingerprint, issued_at,
       issuer, partition, "offset", sequence, envelope)
     SELECT ${ID('i')}, encode(sha256(('e' || i)::bytea), 'hex'), 'decision', 'allow', '{}', $1,
       'act', 'res', 'default', 1, repeat('0', 64), repeat('0', 64),
       encode(sha256(('f' || i)::bytea), 'hex'), now() - i * interval '1 ms', 'bench', 0, i, i, '{}'::jsonb
     FROM generate_series(0, $2::int) i`,
    [AGENT, CHILDREN],
  );
  await pool.query(
    `INSERT INTO ${qualifiedName(schema, 'lineage_edges')} (child_id, parent_id, parent_attestation)
     SELECT ${ID('i')}, ${ID('0')}, encode(sha256('e0'::bytea), 'hex') FROM generate_series(1, $1::int) i`,
    [CHILDREN],
  );
  await pool.query(`ANALYZE ${executions}`);
  const { rows } = await pool.query<{ id: string }>(`SELECT ${ID('0')} AS id`);
  return rows[0]!.id;
}

/** A free loopback port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts the API (`main.ts`) as a child process and waits until /healthz answers. */
async function startApi(schema: string, port: number, pepper: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      // e.g. BENCH_API_NODE_ARGS='--cpu-prof --cpu-prof-dir=prof' to profile the API.
      ...(process.env.BENCH_API_NODE_ARGS ?? '').split(' ').filter((a) => a !== ''),
      '--import',
      'tsx',
      'services/query-api/src/main.ts',
      '--schema',
      schema,
      '--port',
      String(port),
    ],
    {
      env: { ...process.env, LINEAGE_TOKEN_PEPPER: pepper, DATABASE_URL: databaseUrl() },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  // Up to 60 s: on a loaded host, loading the TypeScript sources alone can take tens of seconds.
  for (let i = 0; i < 300; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return child;
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error('the API did not come up in 60 s');
}

/** A latency sample set with percentiles. */
class Latencies {
  readonly ms: number[] = [];
  percentile(p: number): number {
    const sorted = [...this.ms].sort((a, b) => a - b);
    return sorted.length === 0
      ? 0
      : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
  }
}

interface Load {
  heavy: Latencies;
  health: Latencies;
  statuses: Map<string, number>;
  /** 429/503 answers without `Retry-After`. */
  refusedWithoutRetry: number;
  /** Answers (of any status) later than the API's request timeout. */
  overTimeout: number;
}

// The API's request timeout, as the child reads it from the same environment.
const TIMEOUT_MS = limitsFromEnv(process.env).limits.requestTimeoutMs;

/** One client: heavy requests back to back until `until`, honouring Retry-After (at most 1 s). */
async function client(base: string, paths: string[], token: string, until: number, load: Load) {
  for (let n = 0; performance.now() < until; n++) {
    const started = performance.now();
    const answer = await fetch(`${base}${paths[n % paths.length]!}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(60_000),
    }).then(
      async (r) => ({
        status: String(r.status),
        retry: r.headers.get('retry-after'),
        body: await r.arrayBuffer(),
      }),
      (error: unknown) => ({ status: `error:${(error as Error).name}`, retry: null, body: null }),
    );
    const ms = performance.now() - started;
    load.heavy.ms.push(ms);
    load.statuses.set(answer.status, (load.statuses.get(answer.status) ?? 0) + 1);
    if (ms > TIMEOUT_MS) load.overTimeout++;
    if ((answer.status === '429' || answer.status === '503') && answer.retry === null)
      load.refusedWithoutRetry++;
    if (answer.retry !== null)
      await new Promise((r) => setTimeout(r, Math.min(1_000, Number(answer.retry) * 1000)));
  }
}

// The /healthz prober runs in a worker thread: its own event loop and HTTP client, so what it
// times is the API's answer, not the queue of the 100 load clients' callbacks in this thread.
const PROBER = `
const { parentPort, workerData } = require('node:worker_threads');
const { performance } = require('node:perf_hooks');
(async () => {
  const ms = [];
  const until = performance.now() + workerData.seconds * 1000;
  while (performance.now() < until) {
    const started = performance.now();
    await fetch(workerData.url, { signal: AbortSignal.timeout(30000) }).then(
      (r) => r.arrayBuffer(),
      () => undefined,
    );
    ms.push(performance.now() - started);
    await new Promise((r) => setTimeout(r, 100));
  }
  parentPort.postMessage(ms);
})();
`;

/** Probes /healthz every 100 ms for `seconds`, from a worker thread. */
function probe(base: string, seconds: number, load: Load): Promise<void> {
  const worker = new Worker(PROBER, {
    eval: true,
    workerData: { url: `${base}/healthz`, seconds },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (ms: number[]) => {
      load.health.ms.push(...ms);
      void worker.terminate().then(() => resolve());
    });
    worker.once('error', reject);
  });
}

/** The peak resident set (VmHWM) of `pid`, in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/** Builds, loads, measures and prints; drops the schema afterwards. */
async function main(): Promise<void> {
  const url = databaseUrl();
  await ensureDatabase(url);
  const pool = createPool(url, { max: 2 });
  const schema = `bench_api_${randomBytes(4).toString('hex')}`;
  const pepper = randomBytes(32).toString('hex');
  let api: ChildProcess | undefined;
  try {
    const built = performance.now();
    const root = await buildGraph(pool, schema);
    console.log(
      `graph: 1 root, ${CHILDREN} children in ${Math.round(performance.now() - built)} ms`,
    );
    const tokens = await Promise.all(
      Array.from({ length: TOKENS }, (_, i) =>
        createToken(pool, schema, {
          name: `bench-${i}`,
          scopes: ['read'],
          pepper: Buffer.from(pepper),
        }),
      ),
    );
    const port = await freePort();
    api = await startApi(schema, port, pepper);
    const base = `http://127.0.0.1:${port}`;
    const paths = [
      `/v1/executions/${root}/descendants?limit=1`,
      `/v1/agents/${AGENT}/blast-radius?limit=1`,
    ];
    const load: Load = {
      ...{ heavy: new Latencies(), health: new Latencies(), statuses: new Map() },
      ...{ refusedWithoutRetry: 0, overTimeout: 0 },
    };
    const until = performance.now() + SECONDS * 1000;
    await Promise.all([
      probe(base, SECONDS, load),
      ...Array.from({ length: CLIENTS }, (_, i) =>
        client(base, paths, tokens[i % TOKENS]!.token, until, load),
      ),
    ]);
    report(load, await peakRssMb(api.pid!));
  } finally {
    api?.kill('SIGTERM');
    await pool.query(`DROP SCHEMA IF EXISTS ${quoteSchema(schema)} CASCADE`);
    await pool.end();
  }
}

/** Prints the figures; the last line is the summary the README quotes. */
function report(load: Load, rssMb: number): void {
  const r = (n: number) => Math.round(n);
  console.log(`heavy requests: ${load.heavy.ms.length} in ${SECONDS} s by ${CLIENTS} clients`);
  console.log(
    `latency p50=${r(load.heavy.percentile(0.5))} ms p99=${r(load.heavy.percentile(0.99))} ms`,
  );
  console.log(
    `by status: ${[...load.statuses]
      .sort()
      .map(([s, n]) => `${s}=${n}`)
      .join(' ')}`,
  );
  console.log(
    `healthz: ${load.health.ms.length} probes, p99=${r(load.health.percentile(0.99))} ms`,
  );
  console.log(
    `refused 429/503 without Retry-After: ${load.refusedWithoutRetry}; answered after the ${TIMEOUT_MS} ms timeout: ${load.overTimeout}`,
  );
  console.log(
    `api 500s=${load.statuses.get('500') ?? 0} peak_rss_mb=${rssMb} healthz_p99_ms=${r(load.health.percentile(0.99))} p99_ms=${r(load.heavy.percentile(0.99))}`,
  );
}

await main();
