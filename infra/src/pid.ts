import { readFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** Reads a pid file; undefined when it is missing or does not hold a pid. */
export async function readPid(file: string): Promise<number | undefined> {
  try {
    const pid = Number((await readFile(file, 'utf8')).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `pid` to `file`. */
export async function writePid(file: string, pid: number): Promise<void> {
  await writeFile(file, `${pid}\n`);
}

/** Removes `file` if it still names `pid` (so a newer broker's pid file survives). */
export async function removePid(file: string, pid: number): Promise<void> {
  if ((await readPid(file)) === pid) await rm(file, { force: true });
}

/** True while process `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  // Linux: a zombie still answers kill(0); its state letter (after the parenthesised name) is Z.
  const stat = readProc(`/proc/${pid}/stat`);
  return stat === undefined || !/\)\s+Z/.test(stat);
}

/**
 * True when `pid` is alive and runs a Kafka broker, so a recycled pid is not mistaken for ours; with
 * `serverProperties`, only the broker started with that file (one cluster node, not its neighbours).
 * Where there is no /proc (macOS), liveness is all that can be checked.
 */
export function isKafkaBroker(pid: number, serverProperties?: string): boolean {
  if (!isAlive(pid)) return false;
  const cmdline = readProc(`/proc/${pid}/cmdline`);
  if (cmdline === undefined) return true;
  const args = cmdline.split('\0');
  return (
    args.includes('kafka.Kafka') &&
    (serverProperties === undefined || args.includes(serverProperties))
  );
}

/**
 * Stops process group `pid` (falls back to the process): SIGTERM, then SIGKILL after `graceMs`.
 * Resolves once the process is gone.
 */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return;
  signal(pid, 'SIGKILL');
  await waitForExit(pid, 10_000);
}

/**
 * Kills process group `pid` (falls back to the process) with SIGKILL: no clean shutdown.
 * Resolves true once it is gone, false if it is still there after `timeoutMs`.
 */
export async function killNow(pid: number, timeoutMs: number): Promise<boolean> {
  signal(pid, 'SIGKILL');
  return waitForExit(pid, timeoutMs);
}

/** Polls until `pid` is gone; false if it is still alive after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(-pid, name);
  } catch {
    try {
      process.kill(pid, name);
    } catch {
      // Already gone.
    }
  }
}

function readProc(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
