import type { Command } from 'commander';
import { databaseUrl } from '@lineage/runtime';
import { createToken, parseScopes, QueryApiError, revokeToken } from '@lineage/query-api';
import { createPool, isIdentifier } from '@lineage/store';
import { CliExit } from '../errors.js';

interface DbOptions {
  schema: string;
  databaseUrl?: string;
}

/** Runs `work` with a pool on the chosen database; bad arguments become usage errors (exit 2). */
async function withPool<T>(
  opts: DbOptions,
  work: (pool: ReturnType<typeof createPool>) => Promise<T>,
): Promise<T> {
  if (!isIdentifier(opts.schema))
    throw new CliExit('USAGE', '--schema must match ^[a-z_][a-z0-9_]{0,40}$');
  const pool = createPool(opts.databaseUrl ?? databaseUrl(), { max: 2 });
  try {
    return await work(pool);
  } catch (error) {
    if (error instanceof QueryApiError) throw new CliExit('USAGE', error.message);
    throw error;
  } finally {
    await pool.end();
  }
}

/** `lineage tokens create|revoke`: API tokens of the query API, stored as SHA-256 hashes. */
export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('manage query API tokens');
  tokens
    .command('create')
    .description('create an API token; it is printed once, only its hash is stored')
    .requiredOption('--name <name>', 'who or what the token is for (one live token per name)')
    .option(
      '--scopes <scopes>',
      'comma-separated: read (queries), export (evidence bundles)',
      'read',
    )
    .option('--schema <schema>', 'Postgres schema of the lineage projection', 'lineage')
    .option('--database-url <url>', 'Postgres URL (default DATABASE_URL, else the local server)')
    .action(async (opts: DbOptions & { name: string; scopes: string }) => {
      let scopes: string[];
      try {
        scopes = parseScopes(opts.scopes);
      } catch (error) {
        throw new CliExit('USAGE', (error as Error).message);
      }
      const created = await withPool(opts, (pool) =>
        createToken(pool, opts.schema, { name: opts.name, scopes }),
      );
      // The token alone on stdout (for scripts); the note on stderr.
      console.error(
        `token ${created.name} (${created.scopes.join(',')}) created; it is shown only now:`,
      );
      console.log(created.token);
    });
  tokens
    .command('revoke <name>')
    .description('revoke the live token called <name>')
    .option('--schema <schema>', 'Postgres schema of the lineage projection', 'lineage')
    .option('--database-url <url>', 'Postgres URL (default DATABASE_URL, else the local server)')
    .action(async (name: string, opts: DbOptions) => {
      const revoked = await withPool(opts, (pool) => revokeToken(pool, opts.schema, name));
      if (revoked === 0) throw new CliExit('USAGE', `no live token named ${name}`);
      console.log(`token ${name} revoked`);
    });
}
