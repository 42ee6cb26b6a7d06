import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeKeyFile, writeTrustStore } from '@lineage/keys';
import { startCli } from './cli.js';
import type { BackgroundCli } from './cli.js';
import type { TestLedger } from './ledger.js';
import { TEST_POLICY } from './ledger.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The compiled CLI, as an operator runs it after `pnpm build`. */
export const CLI_DIST = join(REPO, 'packages/cli/dist/main.js');

/** Compiles the CLI and everything it imports (`tsc -b`, incremental), as `pnpm build` does. */
export function buildCli(): void {
  const tsc = join(REPO, 'node_modules/.bin/tsc');
  const built = spawnSync(tsc, ['-b', join(REPO, 'packages/cli')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`tsc -b failed:\n${built.stdout}${built.stderr}`);
}

/**
 * Writes a settings file for a test ledger: its topics, keys, trust store and policy, a schema of
 * its own in `databaseUrl`, unique group ids, free ports. Returns the file's path.
 */
export async function writeServeConfig(ledger: TestLedger, databaseUrl: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lineage-serve-'));
  await writeKeyFile(join(dir, 'governance.key'), ledger.governanceKey);
  await writeTrustStore(join(dir, 'truststore.json'), ledger.trustDocument);
  await writeFile(join(dir, 'policy.json'), JSON.stringify(TEST_POLICY));
  await writeFile(join(dir, 'pepper'), 'p'.repeat(48));
  const prefix = ledger.topics.intents.slice(0, -'lineage.intents.v1'.length);
  const settings = {
    kafka: { topicPrefix: prefix, partitions: 3 },
    postgres: { url: databaseUrl, schema: prefix.replace(/[^a-z0-9]/g, '_').slice(0, 30) },
    keys: { governanceKey: join(dir, 'governance.key'), trustStore: join(dir, 'truststore.json') },
    governance: {
      group: ledger.groupId,
      policy: join(dir, 'policy.json'),
      stateDir: join(dir, 'state'),
      sessionTimeoutMs: 10_000,
      port: 0,
    },
    projector: { group: `${prefix}projector`, sessionTimeoutMs: 10_000, port: 0 },
    checkpointer: { every: 50, intervalSeconds: 1, port: 0 },
    api: { port: 0, tokenPepperFile: join(dir, 'pepper'), policies: join(REPO, 'infra/policy') },
    ops: { host: '127.0.0.1' },
  };
  const file = join(dir, 'lineage.json');
  await writeFile(file, JSON.stringify(settings, null, 2));
  return file;
}

/** `lineage serve` running from the compiled build. */
export interface Served extends BackgroundCli {
  /** Role → `http://127.0.0.1:<port>`, as `lineage serve` printed them. */
  readonly urls: ReadonlyMap<string, string>;
}

/** Starts `node packages/cli/dist/main.js serve --config <file>` and waits until it says ready. */
export async function startServe(config: string, extra: readonly string[] = []): Promise<Served> {
  const env = { ...process.env };
  // Plain node on the compiled build: no TypeScript sources, no tsx.
  delete env.NODE_OPTIONS;
  const cli = startCli([CLI_DIST, 'serve', '--config', config, ...extra], env);
  await cli.until(/^ready;/m, 'lineage serve ready');
  const urls = new Map(
    [...cli.output().matchAll(/^(\S+)\s+(http:\/\/[^/\s]+)\/metrics$/gm)].map((m) => [
      m[1]!,
      m[2]!,
    ]),
  );
  return { ...cli, urls };
}

/** The sum of a metric's samples in a Prometheus exposition (every label set). */
export function metricSum(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  return sum;
}

/** `promtool check metrics` on an exposition: its exit status and what it printed. */
export function promtoolCheck(exposition: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (run.error)
    throw new Error(
      `promtool is not installed (Debian: apt-get install prometheus; .ci/run installs it): ${run.error.message}`,
    );
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
