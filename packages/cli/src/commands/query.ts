import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { Type } from '@sinclair/typebox';
import type { DsseEnvelope, EvidenceBundle } from '@lineage/protocol';
import { databaseUrl } from '@lineage/runtime';
import { QueryError, openQueries } from '@lineage/query';
import type {
  BundleOptions,
  BundleSources,
  LineageNode,
  LineageQueries,
  Page,
} from '@lineage/query';
import { createPool } from '@lineage/store';
import { CliExit } from '../errors.js';
import { checkFlags, readPins, repeated } from './options.js';
import { loadBundleSources } from './sources.js';

interface QueryFlags {
  schema: string;
  json?: boolean;
}

/** Opens the projection queries for one command, and closes the pool after it. */
async function withQueries<T>(schema: string, run: (q: LineageQueries) => Promise<T>): Promise<T> {
  const pool = createPool(databaseUrl());
  try {
    return await run(openQueries(pool, schema));
  } catch (e) {
    if (e instanceof QueryError) {
      throw new CliExit(e.code === 'NOT_FOUND' ? 'INVALID' : 'USAGE', `${e.code}: ${e.message}`);
    }
    throw e;
  } finally {
    await pool.end();
  }
}

function printPage(page: Page<LineageNode>, json: boolean | undefined): void {
  if (json) {
    console.log(JSON.stringify(page, null, 2));
    return;
  }
  for (const n of page.items) {
    console.log(
      `${String(n.depth).padStart(3)}  ${n.execution_id}  ${(n.decision ?? '?').padEnd(16)} ${(n.action ?? '?').padEnd(28)} ${n.agent ?? '?'}`,
    );
  }
  if (page.next) console.log(`more: --cursor ${page.next}`);
}

/**
 * The evidence bundle of an execution from the projection (what `lineage export` writes).
 * @throws CliExit 1 when the execution is unknown, 2 on bad input.
 */
export async function exportBundle(
  executionId: string,
  schema: string,
  sources: BundleSources,
  options: BundleOptions = {},
): Promise<EvidenceBundle> {
  return withQueries(schema, (q) => q.bundle(executionId, sources, options));
}

/** `--depth` and `--limit` of the walks (their ranges are the query package's to check). */
const WalkFlags = Type.Object({
  depth: Type.Integer({ description: 'an integer' }),
  limit: Type.Integer({ description: 'an integer' }),
});

/** `lineage ancestors|descendants <execution_id>`: one page of the walk. */
function walk(program: Command, name: 'ancestors' | 'descendants', description: string): void {
  program
    .command(`${name} <execution_id>`)
    .description(description)
    .option('--depth <n>', 'links to follow at most', '50')
    .option('--limit <n>', 'rows per page', '100')
    .option('--cursor <cursor>', 'continue from a previous page')
    .option('--schema <schema>', 'projection schema', 'lineage')
    .option('--json', 'print JSON')
    .action(
      async (id: string, o: QueryFlags & { depth: string; limit: string; cursor?: string }) => {
        const { depth, limit } = checkFlags(WalkFlags, o);
        const page = await withQueries(o.schema, (q) =>
          q[name](id, { maxDepth: depth, limit, cursor: o.cursor ?? null }),
        );
        printPage(page, o.json);
      },
    );
}

/** `lineage show|ancestors|descendants|export`. */
export function registerQueries(program: Command): void {
  walk(program, 'ancestors', 'what an execution descends from, nearest first (multi-parent safe)');
  walk(program, 'descendants', 'blast radius: everything that inherited from an execution');

  program
    .command('show <execution_id>')
    .description('every attestation of an execution as projected')
    .option('--schema <schema>', 'projection schema', 'lineage')
    .action(async (id: string, o: QueryFlags) => {
      console.log(JSON.stringify(await withQueries(o.schema, (q) => q.show(id)), null, 2));
    });

  program
    .command('export <execution_id>')
    .description('write the evidence bundle of an execution and all its ancestors')
    .requiredOption('--out <file>', 'where to write the bundle')
    .option(
      '--trust <truststore>',
      'trust store whose public keys are embedded',
      '.lineage/truststore.json',
    )
    .option('--policies <dir>', 'directory of policy documents', 'infra/policy')
    .option('--release <file>', 'a signed release manifest to embed (runtime provenance)')
    .option(
      '--pin <checkpoint>',
      'a checkpoint note the verifier pinned (repeatable): the bundle proves its checkpoints of that partition consistent with it',
      repeated,
      [],
    )
    .option('--schema <schema>', 'projection schema', 'lineage')
    .action(
      async (
        id: string,
        o: {
          out: string;
          trust: string;
          policies: string;
          schema: string;
          release?: string;
          pin: string[];
        },
      ) => {
        const sources = await loadBundleSources(o.trust, o.policies);
        let releases: DsseEnvelope[] = [];
        if (o.release !== undefined) {
          try {
            releases = [JSON.parse(await readFile(o.release, 'utf8')) as DsseEnvelope];
          } catch {
            throw new CliExit('USAGE', `cannot read release ${o.release}`);
          }
        }
        const pins = (await readPins(o.pin)).map(({ partition, size }) => ({ partition, size }));
        const bundle = await exportBundle(id, o.schema, { ...sources, releases }, { pins });
        try {
          await writeFile(o.out, JSON.stringify(bundle, null, 2) + '\n');
        } catch {
          throw new CliExit('USAGE', `cannot write ${o.out}`);
        }
        console.log(
          `wrote ${o.out}: ${bundle.attestations.length} attestations, ${bundle.keys.length} keys, ${bundle.policies.length} policies, ${bundle.consistency?.length ?? 0} consistency proofs`,
        );
      },
    );
}
