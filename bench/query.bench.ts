// Query benchmark: a synthetic lineage graph of signed attestations, loaded through the projector's
// Postgres write path and through a bare batched INSERT of the same rows, then ancestry and descendant
// query latency. `pnpm bench:query`; settings from the environment (see readSettings). The last lines
// are `projector <n> attestations/s`, `bare insert <n> rows/s`, `ratio <projector ÷ bare>`,
// `ancestors_p99_ms <ms>`, `descendants_p99_ms <ms>` (depth 50, first page of 100).
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { PoolClient } from 'pg';
import { databaseUrl, ensureDatabase } from '@lineage/infra';
import { PROJECTION_MIGRATIONS as PROJECTOR_MIGRATIONS } from '@lineage/projection';
import { projectAttestations } from '@lineage/projection';
import type { OnSkip } from '@lineage/projection';
import { openQueries } from '@lineage/query';
import { createPool, migrate, qualifiedName, quoteSchema } from '@lineage/store';
import { mulberry32 } from '@lineage/testkit';
import { DEFAULT_SHAPE, GraphDrawer } from './lib/query-graph.js';
import { table } from './lib/report.js';
import type { WalkBuffers } from './lib/query-buffers.js';
import { ioTimingOption, withBuffersPerWalk } from './lib/query-buffers.js';
import type { WalkResult } from './lib/query-latency.js';
import { measureWalk } from './lib/query-latency.js';
import { BareWriter, countDifferences, createBareTables, projectBatch } from './lib/query-load.js';
import type { BenchRecord } from './lib/query-records.js';
import { RecordMaker } from './lib/query-records.js';

interface Settings {
  /** Executions (one decision attestation each) in the graph (BENCH_EXECUTIONS). */
  executions: number;
  /** Records per transaction, both paths (BENCH_BATCH). */
  batch: number;
  /** Leading records also written by the bare insert (BENCH_BARE_ROWS, default 200,000; whole batches). */
  bareRows: number;
  /** Starting executions per query kind (BENCH_QUERIES). */
  queries: number;
  /** Seed of the graph, the ids and the query starts (BENCH_SEED). */
  seed: number;
  /** Embed the agent-signed intent in each attestation, as governance does (BENCH_EMBED_INTENT=1). */
  embedIntent: boolean;
  /** Keep the bench schemas afterwards (BENCH_KEEP=1). */
  keep: boolean;
}

const MAX_DEPTH = 50;
const PAGE = 100;
const WARMUP_QUERIES = 100;
const CHECKED_ROWS = 50_000;

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name}=${raw} is not a positive integer`);
  return value;
}

function readSettings(): Settings {
  const executions = positiveInt('BENCH_EXECUTIONS', 1_000_000);
  const batch = positiveInt('BENCH_BATCH', 500);
  // Whole batches, so the projector's time on the same records is comparable.
  const bareBatches = Math.ceil(positiveInt('BENCH_BARE_ROWS', 200_000) / batch);
  return {
    executions,
    batch,
    bareRows: Math.min(executions, bareBatches * batch),
    queries: positiveInt('BENCH_QUERIES', 1000),
    seed: positiveInt('BENCH_SEED', 1),
    embedIntent: process.env.BENCH_EMBED_INTENT === '1',
    keep: process.env.BENCH_KEEP === '1',
  };
}

/** A full collection now, so the load phase's garbage is not collected during the timed walks. */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** A kind of walk's latency, and the buffers each walk found in shared buffers or read in. */
type Walked = WalkResult & { buffers: WalkBuffers };

const int = (x: number) => Math.round(x).toLocaleString('en-US');
const ms = (x: number) => `${x.toFixed(2)} ms`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const wallStart = performance.now();
  const loadBefore = loadavg()[0]!;
  const s = readSettings();
  const url = databaseUrl('lineage_bench');
  await ensureDatabase(url);
  const pool = createPool(url, { max: 4 });
  const tag = randomUUID().replace(/-/g, '').slice(0, 8);
  const projectorSchema = `bench_query_${tag}_projector`;
  const bareSchema = `bench_query_${tag}_bare`;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let clients: PoolClient[] = [];
  try {
    await migrate(pool, projectorSchema, PROJECTOR_MIGRATIONS);
    await createBareTables(pool, bareSchema, projectorSchema);

    // Load: each batch is generated and signed (not timed), then written by both paths, each in its
    // own transaction on its own connection, alternating which goes first.
    const skips: Parameters<OnSkip>[0][] = [];
    const project = projectAttestations(projectorSchema, (skip) => skips.push(skip));
    const bare = new BareWriter(bareSchema);
    const drawer = new GraphDrawer(s.executions, mulberry32(s.seed), DEFAULT_SHAPE);
    // Let go of after the load: it holds every predicate it signed (~2 GB at 1M), which a major
    // collection would otherwise mark in the middle of the timed walks.
    let maker: RecordMaker | undefined = new RecordMaker(
      mulberry32(s.seed ^ 0x9e3779b9),
      s.embedIntent,
    );
    clients = [await pool.connect(), await pool.connect()];
    const [projectorClient, bareClient] = clients as [PoolClient, PoolClient];
    let generateMs = 0;
    let projectorMs = 0;
    let projectorOnBareRowsMs = 0;
    let bareMs = 0;
    let recordBytes = 0;
    let reported = 0;
    for (let first = 0, b = 0; first < s.executions; first += s.batch, b++) {
      const g = performance.now();
      const batch: BenchRecord[] = [];
      for (let i = first; i < Math.min(first + s.batch, s.executions); i++) {
        const record = maker.make(drawer.draw());
        recordBytes += record.message.value!.length;
        batch.push(record);
      }
      generateMs += performance.now() - g;
      const withBare = first < s.bareRows;
      const runProjector = async () => {
        const t = await projectBatch(projectorClient, project, batch);
        projectorMs += t;
        if (withBare) projectorOnBareRowsMs += t;
      };
      const runBare = async () => {
        bareMs += await bare.write(bareClient, batch);
      };
      if (b % 2 === 0) {
        await runProjector();
        if (withBare) await runBare();
      } else {
        if (withBare) await runBare();
        await runProjector();
      }
      const tenths = Math.floor((10 * (first + batch.length)) / s.executions);
      if (tenths > reported) {
        reported = tenths;
        log(
          `loaded ${int(first + batch.length)} / ${int(s.executions)}  (sign ${(generateMs / 1000).toFixed(1)} s, projector ${(projectorMs / 1000).toFixed(1)} s, bare ${(bareMs / 1000).toFixed(1)} s)`,
        );
      }
    }
    if (skips.length > 0)
      throw new Error(`the projector skipped ${skips.length} records: ${JSON.stringify(skips[0])}`);
    for (const c of clients) c.release();
    clients = [];
    const graph = drawer.stats();
    const ids = maker.ids;
    maker = undefined;
    collectGarbage();

    // VACUUM as autovacuum would on a live projection (PostgreSQL 13+ vacuums insert-only tables
    // too): it marks the loaded pages all-visible, so walks read the edge index alone.
    const a = performance.now();
    for (const schema of [projectorSchema, bareSchema])
      for (const t of ['executions', 'lineage_edges'])
        await pool.query(`VACUUM (ANALYZE) ${qualifiedName(schema, t)}`);
    const analyzeMs = performance.now() - a;

    // The two paths must have written the same rows.
    const checked = Math.min(s.bareRows, CHECKED_ROWS);
    const differences = await countDifferences(pool, projectorSchema, bareSchema, checked);
    if (differences !== 0)
      throw new Error(
        `bare and projector rows differ in ${differences} rows of the first ${checked}`,
      );
    const counts = await pool.query<{ executions: string; edges: string; bytes: string }>(
      `SELECT (SELECT count(*) FROM ${qualifiedName(projectorSchema, 'executions')}) AS executions,
              (SELECT count(*) FROM ${qualifiedName(projectorSchema, 'lineage_edges')}) AS edges,
              pg_total_relation_size('${qualifiedName(projectorSchema, 'executions')}')
                + pg_total_relation_size('${qualifiedName(projectorSchema, 'lineage_edges')}') AS bytes`,
    );
    const stored = counts.rows[0]!;
    if (Number(stored.executions) !== s.executions || Number(stored.edges) !== graph.edges)
      throw new Error(`projected ${stored.executions} executions / ${stored.edges} edges`);

    // Queries: seeded random starts, the same for both kinds; warm-up starts are separate.
    const pick = mulberry32(s.seed ^ 0x51ed270b);
    const startAt = () => ids[Math.floor(pick() * s.executions)]!;
    const warmup = Array.from({ length: WARMUP_QUERIES }, startAt);
    const starts = Array.from({ length: s.queries }, startAt);
    const options = { maxDepth: MAX_DEPTH, limit: PAGE };
    const timing = await ioTimingOption(pool);
    // Each kind walks through a pool of its own, ended afterwards, so the database's buffer
    // counters over its walks are its own (a backend reports them when it exits).
    const measure = async (name: 'ancestors' | 'descendants'): Promise<Walked> => {
      const { result, buffers } = await withBuffersPerWalk(
        pool,
        WARMUP_QUERIES + s.queries,
        async () => {
          const walkPool = createPool(url, { max: 4, ...timing });
          try {
            const queries = openQueries(walkPool, projectorSchema);
            return await measureWalk(
              name,
              async (id) => (await queries[name](id, options)).items.length,
              starts,
              warmup,
            );
          } finally {
            await walkPool.end();
          }
        },
      );
      return { ...result, buffers };
    };
    const walks = [await measure('ancestors'), await measure('descendants')];

    const projectorRate = s.executions / (projectorMs / 1000);
    const projectorOnBareRate = s.bareRows / (projectorOnBareRowsMs / 1000);
    const bareRate = s.bareRows / (bareMs / 1000);
    const ratio = projectorOnBareRate / bareRate;
    const memory = process.memoryUsage();
    const peakRss = process.resourceUsage().maxRSS * 1024;
    const pct = (n: number) => `${((100 * n) / graph.executions).toFixed(1)}%`;
    const lines = [
      'Lineage query benchmark',
      `write path  the projector's Postgres projection (projectAttestations, one transaction per batch); Kafka is not in the loop`,
      `graph       ${int(graph.executions)} executions (seed ${s.seed}): ${int(graph.roots)} roots (${pct(graph.roots)}), ${int(graph.singleParent)} with 1 parent (${pct(graph.singleParent)}), ${int(graph.joins)} joins of 2-3 parents (${pct(graph.joins)})`,
      `            ${int(graph.edges)} edges; depth max ${graph.maxDepth}, mean ${graph.meanDepth.toFixed(1)}, ${int(graph.deep)} executions at depth >= 40; parents drawn from the last ${DEFAULT_SHAPE.window} executions`,
      `records     one decision attestation per execution, Ed25519-signed (node:crypto), ${(recordBytes / graph.executions).toFixed(0)} B Avro record on average; ${s.embedIntent ? 'agent-signed intent embedded, as governance does' : 'intent not embedded (null, as the projector fixtures; BENCH_EMBED_INTENT=1 embeds it, as governance does)'}`,
      `            signing + encoding took ${(generateMs / 1000).toFixed(1)} s (not part of any figure below)`,
      `batches     ${s.batch} records per transaction, both paths; batches alternate which path goes first`,
      `bare        plain INSERT ... VALUES (...),(...) of the same ready-made rows, no decoding or verification, no ON CONFLICT,`,
      `            into tables LIKE the projector's INCLUDING ALL (same columns, primary keys, indexes); measured on the first ${int(s.bareRows)} records`,
      `check       first ${int(checked)} records: bare and projector rows identical (executions, edges and Merkle tree)`,
      `stored      ${int(Number(stored.executions))} executions, ${int(Number(stored.edges))} edges, ${mib(Number(stored.bytes))} with indexes; VACUUM (ANALYZE) ${(analyzeMs / 1000).toFixed(1)} s`,
      `queries     ${s.queries} seeded random starts (same for both), depth ${MAX_DEPTH}, limit ${PAGE}, first page only, sequential, after ${WARMUP_QUERIES} warm-up calls; @lineage/query openQueries`,
      `buffers     per walk, warm-up included, from pg_stat_database: pages found in shared buffers (hit) and read in from the OS (read);`,
      `            time per read by track_io_timing, set for the walks' sessions where the role may (a read comes from the OS page cache or from disk)`,
      '',
      table([
        ['write path', 'records', 'time', 'rate'],
        [
          'projector',
          int(s.executions),
          `${(projectorMs / 1000).toFixed(1)} s`,
          `${int(projectorRate)} attestations/s`,
        ],
        [
          `projector, first ${int(s.bareRows)}`,
          int(s.bareRows),
          `${(projectorOnBareRowsMs / 1000).toFixed(1)} s`,
          `${int(projectorOnBareRate)} attestations/s`,
        ],
        [
          'bare insert',
          int(s.bareRows),
          `${(bareMs / 1000).toFixed(1)} s`,
          `${int(bareRate)} rows/s`,
        ],
      ]),
      '',
      table([
        [
          'query',
          'p50',
          'p99',
          'max',
          'mean',
          'mean nodes',
          'empty',
          'buffers hit',
          'buffers read',
          'per read',
        ],
        ...walks.map((w) => [
          w.name,
          ms(w.latency.p50),
          ms(w.latency.p99),
          ms(w.latency.max),
          ms(w.latency.mean),
          w.meanNodes.toFixed(1),
          String(w.empty),
          w.buffers.hit.toFixed(0),
          w.buffers.read.toFixed(0),
          w.buffers.readUs === null ? 'untimed' : `${w.buffers.readUs.toFixed(1)} µs`,
        ]),
      ]),
      '',
      `host load  1-min load average ${loadBefore.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at end (2 cores shared with other work)`,
      `rss ${mib(memory.rss)} (peak ${mib(peakRss)}), heap used ${mib(memory.heapUsed)}`,
      `wall ${((performance.now() - wallStart) / 1000).toFixed(0)} s`,
      `ratio is projector ÷ bare on the same first ${int(s.bareRows)} records`,
      `projector ${int(projectorRate)} attestations/s`,
      `bare insert ${int(bareRate)} rows/s`,
      `ratio ${ratio.toFixed(3)}`,
      ...walks.map((w) => `${w.name}_p99_ms ${w.latency.p99.toFixed(2)}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    for (const c of clients) c.release();
    if (s.keep) log(`kept schemas ${projectorSchema}, ${bareSchema}`);
    else
      for (const schema of [projectorSchema, bareSchema])
        await pool.query(`DROP SCHEMA IF EXISTS ${quoteSchema(schema)} CASCADE`);
    await pool.end();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
