// The `lineage` CLI as a child process, the way an operator runs it.
import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { waitUntil } from '@lineage/testkit/kafka';

const run = promisify(execFile);

/** What a CLI run printed (stdout then stderr) and its exit code. */
export interface CliRun {
  code: number;
  out: string;
}

/** Runs `lineage ...args` (through tsx) against `brokers`; a non-zero exit is returned, not thrown. */
export async function runLineage(
  brokers: readonly string[],
  args: readonly string[],
): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run('npx', ['tsx', 'packages/cli/src/main.ts', ...args], {
      env: { ...process.env, KAFKA_BROKERS: brokers.join(',') },
    });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

/** A long-running `lineage` command (`serve`, `demo --serve`) in a child process. */
export interface BackgroundCli {
  readonly child: ChildProcess;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** Waits until its output matches `pattern` (the match), or fails if it exits first. */
  until(pattern: RegExp, what: string, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then its exit code once it has drained. */
  terminate(): Promise<number | null>;
}

/** Starts `node ...argv` (a CLI entry point and its arguments) with `env`, keeping all it prints. */
export function startCli(argv: readonly string[], env: NodeJS.ProcessEnv): BackgroundCli {
  const child = spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    child,
    output: () => out,
    until: async (pattern, what, timeoutMs = 120_000) => {
      await waitUntil(() => gone || pattern.test(out), timeoutMs, what);
      const match = pattern.exec(out);
      if (match === null) throw new Error(`exited before ${what}:\n${out}`);
      return match;
    },
    terminate: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

/** `lineage ...args` from the TypeScript sources (tsx) against `brokers`, in the background. */
export function startLineage(brokers: readonly string[], args: readonly string[]): BackgroundCli {
  return startCli(['--import', 'tsx', 'packages/cli/src/main.ts', ...args], {
    ...process.env,
    KAFKA_BROKERS: brokers.join(','),
  });
}
