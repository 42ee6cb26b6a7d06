import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

/** How a service process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A service running as a child process in its own process group. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<ProcessExit>;
  /** The last few thousand characters of its stdout and stderr. */
  output(): string;
}

const running = new Set<ServiceProcess>();
const TAIL = 8_000;

/**
 * Starts `node --import tsx <script> ...args` as the leader of a new process group, so a signal to
 * the group reaches it and anything it forked. Its output is kept (tail only) for failure messages.
 */
export function spawnService(
  name: string,
  script: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): ServiceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let tail = '';
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString('utf8')).slice(-TAIL));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<ProcessExit>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const service: ServiceProcess = { name, child, exited, output: () => tail };
  running.add(service);
  void exited.then(() => running.delete(service));
  return service;
}

/** Sends `signal` to the service's whole process group and waits until the service has exited. */
export async function signalService(
  service: ServiceProcess,
  signal: NodeJS.Signals,
): Promise<ProcessExit> {
  if (service.child.exitCode === null && service.child.signalCode === null) {
    try {
      process.kill(-service.child.pid!, signal);
    } catch (error) {
      // ESRCH: the group is already gone; the exit event tells how it ended.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  return service.exited;
}

/** `kill -9` of the service's process group: no shutdown hook runs. */
export function killService(service: ServiceProcess): Promise<ProcessExit> {
  return signalService(service, 'SIGKILL');
}

/** Kills every service process still running (for `afterAll`). */
export async function killAllServices(): Promise<void> {
  await Promise.all([...running].map((s) => killService(s)));
}

/**
 * Sends `signal` to the service's process group without waiting for an exit: `SIGSTOP` freezes the
 * service (a zombie: alive, silent, holding its sockets), `SIGCONT` wakes it.
 */
export function signalGroup(service: ServiceProcess, signal: NodeJS.Signals): void {
  process.kill(-service.child.pid!, signal);
}
