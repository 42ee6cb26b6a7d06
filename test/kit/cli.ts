// The `lineage` CLI as a child process, the way an operator runs it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

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
