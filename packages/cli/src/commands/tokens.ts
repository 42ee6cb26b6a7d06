import type { Command } from 'commander';
import { databaseUrl } from '@lineage/runtime';
import {
  createToken,
  grantReader,
  listTokens,
  parseScopes,
  parseValidFor,
  QueryApiError,
  readerGrants,
  readPepper,
  revokeToken,
} from '@lineage/query-api';
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

/** Runs `parse`, turning its QueryApiError into a usage error (exit 2). */
async function usage<T>(parse: () => T | Promise<T>): Promise<T> {
  try {
    return await parse();
  } catch (error) {
    if (error instanceof QueryApiError) throw new CliExit('USAGE', error.message);
    throw error;
  }
}

/** One audit line on stderr: token lifecycle events, never the token or its hash. */
const audit = (event: string, fields: Record<string, unknown>) =>
  console.error(JSON.stringify({ event, ...fields, at: new Date().toISOString() }));

/** The options every subcommand shares. */
const withDb = (command: Command): Command =>
  command
    .option('--schema <schema>', 'Postgres schema of the lineage projection', 'lineage')
    .option('--database-url <url>', 'Postgres URL (default DATABASE_URL, else the local server)');

/** `lineage tokens create|revoke|list|grant-reader`: tokens and the read-only role of the query API. */
export function registerTokens(program: Command): void {
  const tokens = program.command('tokens').description('manage query API tokens');
  registerCreate(tokens);
  withDb(tokens.command('revoke <name>').description('revoke the live token called <name>')).action(
    async (name: string, opts: DbOptions) => {
      const revoked = await withPool(opts, (pool) => revokeToken(pool, opts.schema, name));
      if (revoked === 0) throw new CliExit('USAGE', `no live token named ${name}`);
      audit('token_revoked', { token: name });
      console.log(`token ${name} revoked`);
    },
  );
  withDb(
    tokens.command('list').description('list tokens: scopes, state, expiry and last use'),
  ).action(async (opts: DbOptions) => {
    const listed = await withPool(opts, (pool) => listTokens(pool, opts.schema));
    for (const t of listed)
      console.log(
        [t.name, t.scopes.join(','), t.state, `created ${t.createdAt}`]
          .concat(t.expiresAt !== null ? [`expires ${t.expiresAt}`] : [])
          .concat([`last used ${t.lastUsedAt ?? 'never'}`])
          .join('  '),
      );
  });
  withDb(
    tokens
      .command('grant-reader <role>')
      .description("create (if needed) and grant the query API's read-only Postgres role")
      .option('--print', 'print the SQL instead of running it'),
  ).action(async (role: string, opts: DbOptions & { print?: boolean }) => {
    const statements = await usage(() => readerGrants(opts.schema, role));
    if (opts.print === true) return void console.log(statements.map((s) => `${s};`).join('\n'));
    await withPool(opts, (pool) => grantReader(pool, opts.schema, role));
    console.log(`role ${role} may read schema ${opts.schema}`);
  });
}

/** `lineage tokens create`: printed once, stored as an HMAC under the server's pepper. */
function registerCreate(tokens: Command): void {
  withDb(
    tokens
      .command('create')
      .description('create an API token; it is printed once, only its keyed hash is stored')
      .requiredOption('--name <name>', 'who or what the token is for (one live token per name)')
      .option(
        '--scopes <scopes>',
        'comma-separated: read (queries), export (evidence bundles)',
        'read',
      )
      .option('--valid-for <duration>', 'expire after this long, e.g. 90d, 12h (default: never)')
      .option(
        '--token-pepper-file <file>',
        'the server-side pepper (default LINEAGE_TOKEN_PEPPER, else .lineage/token-pepper)',
      ),
  ).action(
    async (
      opts: DbOptions & {
        name: string;
        scopes: string;
        validFor?: string;
        tokenPepperFile?: string;
      },
    ) => {
      const scopes = await usage(() => parseScopes(opts.scopes));
      const validForMs =
        opts.validFor !== undefined ? await usage(() => parseValidFor(opts.validFor!)) : undefined;
      const pepper = await usage(() =>
        readPepper({
          createLocal: true,
          ...(opts.tokenPepperFile !== undefined && { file: opts.tokenPepperFile }),
        }),
      );
      const created = await withPool(opts, (pool) =>
        createToken(pool, opts.schema, {
          name: opts.name,
          scopes,
          pepper,
          ...(validForMs !== undefined && { validForMs }),
        }),
      );
      audit('token_created', {
        token: created.name,
        scopes: created.scopes,
        expires_at: created.expiresAt,
      });
      // The token alone on stdout (for scripts); the note on stderr.
      console.error(
        `token ${created.name} (${created.scopes.join(',')}) created; it is shown only now:`,
      );
      console.log(created.token);
    },
  );
}
