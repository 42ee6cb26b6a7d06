import type { Command } from 'commander';
import { kafkaBrokers } from '@lineage/infra';
import { databaseUrl, ensureDatabase } from '@lineage/runtime';
import { createKafka, topicNames } from '@lineage/kafka';
import { projectionChecksum } from '@lineage/projection';
import type { ProjectionChecksum } from '@lineage/projection';
import { createProgress, formatDuration, rebuildProjection } from '@lineage/projector';
import type { RebuildResult } from '@lineage/projector';
import { createPool, isIdentifier } from '@lineage/store';
import { CliExit } from '../errors.js';

interface Common {
  schema: string;
  databaseUrl: string;
}

function checkSchema(schema: string): void {
  if (!isIdentifier(schema) || schema.startsWith('pg_'))
    throw new CliExit('USAGE', `--schema must match ^[a-z_][a-z0-9_]{0,40}$ (got ${schema})`);
}

function printChecksum(schema: string, sum: ProjectionChecksum): void {
  console.log(`projection ${schema}`);
  console.log(`  executions     ${sum.executions.rows} rows  sha256 ${sum.executions.sha256}`);
  console.log(
    `  lineage_edges  ${sum.lineage_edges.rows} rows  sha256 ${sum.lineage_edges.sha256}`,
  );
  console.log(`  combined       ${sum.combined}`);
  for (const o of sum.offsets)
    console.log(`  offset         ${o.projection} ${o.topic}[${o.partition}] next ${o.nextOffset}`);
}

/** `lineage projections rebuild|checksum`. */
export function registerProjections(program: Command): void {
  const projections = program
    .command('projections')
    .description('rebuild and check the Postgres projections of the ledger');

  projections
    .command('rebuild')
    .description(
      'replay the attestations topic from offset 0 into a fresh schema, then swap it in atomically',
    )
    .option(
      '--schema <schema>',
      'projector schema to replace',
      process.env.LINEAGE_SCHEMA ?? 'lineage',
    )
    .option('--topic-prefix <prefix>', 'topic name prefix', process.env.LINEAGE_TOPIC_PREFIX ?? '')
    .option('--brokers <list>', 'Kafka brokers, comma separated (default: KAFKA_BROKERS or local)')
    .option(
      '--group <group>',
      'projector group id the positions are stored under',
      process.env.LINEAGE_PROJECTOR_GROUP ?? 'lineage-projector',
    )
    .option('--database-url <url>', 'Postgres URL (default: DATABASE_URL)', databaseUrl())
    .option('--keep-old', 'keep the replaced schema as <schema>_old_<timestamp>', false)
    .option('--json', 'print the result as JSON on stdout', false)
    .action(rebuild);

  projections
    .command('checksum')
    .description('print a content checksum of the projection tables (equal iff their rows are)')
    .option('--schema <schema>', 'projector schema', process.env.LINEAGE_SCHEMA ?? 'lineage')
    .option('--database-url <url>', 'Postgres URL (default: DATABASE_URL)', databaseUrl())
    .option('--json', 'print the checksum as JSON on stdout', false)
    .action(checksum);
}

type RebuildFlags = Common & {
  topicPrefix: string;
  brokers?: string;
  group: string;
  keepOld: boolean;
  json: boolean;
};

/** `lineage projections rebuild`: replays into a fresh schema with a progress bar, then reports. */
async function rebuild(opts: RebuildFlags): Promise<void> {
  checkSchema(opts.schema);
  const brokers = opts.brokers !== undefined ? opts.brokers.split(',') : kafkaBrokers();
  await ensureDatabase(opts.databaseUrl);
  const pool = createPool(opts.databaseUrl);
  const progress = createProgress({ label: `rebuild ${opts.schema}` });
  try {
    const result = await rebuildProjection({
      kafka: createKafka({ brokers, clientId: 'lineage-cli-rebuild' }),
      pool,
      schema: opts.schema,
      topics: topicNames(opts.topicPrefix),
      projection: opts.group,
      keepOld: opts.keepOld,
      onProgress: (p) => progress.update(p.done, p.total),
    });
    progress.finish();
    printRebuild(result, opts.json);
  } catch (error) {
    progress.finish();
    throw new CliExit('USAGE', `rebuild failed: ${(error as Error).message}`);
  } finally {
    await pool.end();
  }
}

/** The rebuild's result (JSON or lines), and the warning that live projectors must restart. */
function printRebuild(result: RebuildResult, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    console.log(
      `rebuilt ${result.schema}: ${result.records} records in ${formatDuration(result.seconds)} (${Math.round(result.ratePerSec)} records/s; ${Math.round(result.streamingRatePerSec)}/s after the first batch at ${result.firstBatchSeconds.toFixed(1)} s)`,
    );
    printChecksum(result.schema, result.checksum);
    if (result.oldSchema !== undefined)
      console.log(`  previous tables kept in schema ${result.oldSchema}`);
  }
  // The swapped-in positions are the rebuild's, not a running instance's: it must restart.
  console.error(
    `RESTART every running projector of schema ${result.schema} now: the new tables continue from the rebuild's positions, and an instance started before the swap does not.`,
  );
}

/** `lineage projections checksum`. */
async function checksum(opts: Common & { json: boolean }): Promise<void> {
  checkSchema(opts.schema);
  const pool = createPool(opts.databaseUrl);
  try {
    const sum = await projectionChecksum(pool, opts.schema).catch((error: unknown) => {
      // 42P01 undefined_table, 3F000 invalid_schema_name: nothing projected there.
      const code = (error as { code?: unknown } | null)?.code;
      if (code === '42P01' || code === '3F000')
        throw new CliExit('USAGE', `schema ${opts.schema} holds no projection`);
      throw error;
    });
    if (opts.json) console.log(JSON.stringify(sum, null, 2));
    else printChecksum(opts.schema, sum);
  } finally {
    await pool.end();
  }
}
