// vitest globalSetup of the browser tier, after test/setup/global.ts (Kafka and Postgres): builds the
// console and runs `lineage demo --serve` (governance, projector, checkpointer and the query API on
// the real broker and Postgres, as `lineage serve` runs them), which keeps serving the demo's
// projection and the built console at the URL it prints, with the token it prints. Tests read
// `inject('console')`.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { startCli } from '../kit/cli.js';
import { REPO } from '../kit/serve.js';
import './context.js';

const run = promisify(execFile);
export const DEMO_DIR = join(REPO, '.lineage/demo');

/** What `lineage demo` records of its run (`.lineage/demo/run.json`). */
interface DemoRun {
  schema: string;
  executions: Record<string, string>;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { databaseUrl, brokers } = project.getProvidedContext();
  await run('pnpm', ['--filter', '@lineage/console', 'build'], { cwd: REPO });
  // What a newcomer runs: `pnpm demo --serve`, then the console URL and token it prints.
  const demo = startCli(['--import', 'tsx', 'packages/cli/src/main.ts', 'demo', '--serve'], {
    ...process.env,
    DATABASE_URL: databaseUrl,
    KAFKA_BROKERS: brokers.join(','),
  });
  try {
    const [, baseUrl] = await demo.until(SERVING, 'demo --serve prints its console', 600_000);
    const [, token] = /^ {2}token: (\S+)$/m.exec(demo.output())!;
    const recorded = JSON.parse(await readFile(join(DEMO_DIR, 'run.json'), 'utf8')) as DemoRun;
    project.provide('console', {
      baseUrl: baseUrl!,
      token: token!,
      executions: recorded.executions,
      demoDir: DEMO_DIR,
    });
  } catch (error) {
    await demo.terminate();
    throw error;
  }
  return async () => {
    // Ctrl-C's SIGTERM drains the demo's stack; it exits 0.
    const code = await demo.terminate();
    if (code !== 0) throw new Error(`demo --serve exited ${code}:\n${demo.output()}`);
  };
}

// The console's line of `demo --serve`, after the token line it prints before it.
const SERVING = /^ {2}console: (http:\/\/127\.0\.0\.1:\d+)\/\n {2}token: \S+$/m;
