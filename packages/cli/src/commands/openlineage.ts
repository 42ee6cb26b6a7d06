import { createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import type { Command } from 'commander';
import type { Pool } from 'pg';
import { databaseUrl } from '@lineage/runtime';
import { topicNames } from '@lineage/kafka';
import { encodeEvent, EventMapper, OpenLineageError, readAttestation } from '@lineage/openlineage';
import { createPool, isIdentifier, qualifiedName } from '@lineage/store';
import { CliExit } from '../errors.js';

interface ExportFlags {
  since?: string;
  out?: string;
  schema: string;
  databaseUrl: string;
  topicPrefix: string;
  namespace: string;
  run?: string;
}

/** Rows read per query: both passes walk the projection in keyset pages. */
const PAGE = 1000;

/** One projected attestation: its envelope and where it sits. */
interface Row {
  envelope: unknown;
  partition: number;
  offset: string;
  issued_at_key: string;
}

/**
 * Pages through `executions` in (partition, offset) order — or, with `since`, the rows issued at or
 * after it in (issued_at, partition, offset) order — handing each row to `onRow`.
 */
async function eachRow(
  pool: Pool,
  schema: string,
  since: string | null,
  onRow: (row: Row) => void,
): Promise<void> {
  const table = qualifiedName(schema, 'executions');
  const order = since === null ? 'partition, "offset"' : 'issued_at, partition, "offset"';
  const key = since === null ? '(partition, "offset")' : '(issued_at, partition, "offset")';
  let after: unknown[] | null = null;
  for (;;) {
    const params: unknown[] = since === null ? [] : [since];
    const where = [since === null ? 'true' : 'issued_at >= $1::timestamptz'];
    if (after !== null) {
      const first = params.length + 1;
      where.push(`${key} > (${after.map((_, i) => `$${first + i}`).join(', ')})`);
      params.push(...after);
    }
    const { rows } = await pool.query<Row>(
      `SELECT envelope, partition, "offset"::text AS "offset", issued_at::text AS issued_at_key
         FROM ${table} WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ${PAGE}`,
      params,
    );
    rows.forEach(onRow);
    if (rows.length < PAGE) return;
    const last = rows[rows.length - 1]!;
    after =
      since === null
        ? [last.partition, last.offset]
        : [last.issued_at_key, last.partition, last.offset];
  }
}

/** Where a demo run's projection is (`.lineage/demo/run.json`), when `--run` names one. */
async function fromRunFile(flags: ExportFlags): Promise<{ schema: string; ledger: string }> {
  if (flags.run === undefined)
    return { schema: flags.schema, ledger: topicNames(flags.topicPrefix).attestations };
  try {
    const run = JSON.parse(await readFile(flags.run, 'utf8')) as {
      schema: string;
      topics: { attestations: string };
    };
    return { schema: run.schema, ledger: run.topics.attestations };
  } catch (e) {
    throw new CliExit('USAGE', `run file ${flags.run}: ${(e as Error).message}`);
  }
}

/**
 * Writes one OpenLineage RunEvent per projected attestation as NDJSON. The first pass feeds every
 * attestation to the run graph (parents' jobs and roots); the second maps those since `since`.
 * @returns how many events were written.
 * @throws CliExit 1 when a row is not an attestation or names a run the projection lacks.
 */
async function exportEvents(flags: ExportFlags, write: (line: string) => void): Promise<number> {
  const { schema, ledger } = await fromRunFile(flags);
  if (!isIdentifier(schema)) throw new CliExit('USAGE', `not a schema name: ${schema}`);
  if (flags.since !== undefined && Number.isNaN(Date.parse(flags.since)))
    throw new CliExit('USAGE', `--since must be an ISO 8601 time (got ${flags.since})`);
  const mapper = newMapper(flags.namespace, ledger);
  const pool = createPool(flags.databaseUrl);
  let written = 0;
  try {
    // Pass 1: learn every decision, so any event can name its parents and root.
    await eachRow(pool, schema, null, (row) => mapper.learn(read(row)));
    // Pass 2: the events, in issue order.
    await eachRow(pool, schema, flags.since ?? '-infinity', (row) => {
      write(encodeEvent(mapper.map(read(row))) + '\n');
      written++;
    });
  } catch (e) {
    if (e instanceof OpenLineageError) throw new CliExit('INVALID', `${e.code}: ${e.message}`);
    throw e;
  } finally {
    await pool.end();
  }
  return written;
}

function newMapper(namespace: string, ledger: string): EventMapper {
  try {
    return new EventMapper({ namespace, ledger });
  } catch (e) {
    if (e instanceof OpenLineageError) throw new CliExit('USAGE', `${e.code}: ${e.message}`);
    throw e;
  }
}

function read(row: Row) {
  return readAttestation(row.envelope);
}

/** `lineage openlineage export`. */
export function registerOpenLineage(program: Command): void {
  const openlineage = program
    .command('openlineage')
    .description(
      'OpenLineage (spec 2-0-2) RunEvents of the ledger, for Marquez and other receivers',
    );
  openlineage
    .command('export')
    .description('write one OpenLineage RunEvent per projected attestation, as NDJSON')
    .option('--since <time>', 'only attestations issued at or after this ISO 8601 time')
    .option('--out <file>', 'write to a file (default: stdout)')
    .option('--schema <schema>', 'projection schema', process.env.LINEAGE_SCHEMA ?? 'lineage')
    .option('--database-url <url>', 'Postgres URL (default: DATABASE_URL)', databaseUrl())
    .option('--topic-prefix <prefix>', 'topic name prefix', process.env.LINEAGE_TOPIC_PREFIX ?? '')
    .option('--namespace <base>', 'base of the job and dataset namespaces', 'lineage')
    .option('--run <file>', "a demo run's run.json: read its schema and topics")
    .action(async (flags: ExportFlags) => {
      if (flags.out === undefined) {
        const n = await exportEvents(flags, (line) => process.stdout.write(line));
        console.error(`${n} events`);
        return;
      }
      const file = createWriteStream(flags.out);
      const n = await exportEvents(flags, (line) => file.write(line));
      file.end();
      await finished(file);
      console.log(`${n} events written to ${flags.out}`);
    });
}
