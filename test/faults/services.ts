import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signalService, spawnService } from '../kit/process.js';
import type { ProcessExit, ServiceProcess } from '../kit/process.js';

/** The service entry points a fault run starts as child processes. */
export const SCRIPTS = {
  governance: fileURLToPath(new URL('../../services/governance/src/main.ts', import.meta.url)),
  projector: fileURLToPath(new URL('../../services/projector/src/main.ts', import.meta.url)),
  checkpointer: fileURLToPath(new URL('../../services/checkpointer/src/main.ts', import.meta.url)),
  cli: fileURLToPath(new URL('../../packages/cli/src/main.ts', import.meta.url)),
} as const;

/** A kind of service process the run manages. */
export type Role = 'governance' | 'projector' | 'checkpointer';

/** A service process of the run. */
export interface Managed {
  readonly role: Role;
  readonly service: ServiceProcess;
  /** Set before the run signals it: its exit is then no crash. */
  stopping: boolean;
}

/** A process that exited without being told to. */
export interface Crash {
  name: string;
  exit: ProcessExit;
  /** The end of its output. */
  tail: string;
}

/**
 * The run's child processes. Each writes its whole output to `<logDir>/<name>.log`. A process that
 * exits without having been signalled is recorded as a crash and replaced, as a supervisor would.
 */
export class Fleet {
  private readonly all: Managed[] = [];
  private readonly files: WriteStream[] = [];
  private readonly counters = new Map<Role, number>();
  readonly crashes: Crash[] = [];

  constructor(
    private readonly logDir: string,
    private readonly argsOf: (role: Role, name: string) => readonly string[],
    private readonly onEvent: (line: string) => void,
  ) {}

  /** Starts a process of `role`, named `<letter><n>` (g1, p1, c1, ...). */
  spawn(role: Role): Managed {
    const n = (this.counters.get(role) ?? 0) + 1;
    this.counters.set(role, n);
    const name = `${role[0]}${n}`;
    const service = spawnService(name, SCRIPTS[role], this.argsOf(role, name));
    const file = createWriteStream(join(this.logDir, `${name}.log`));
    this.files.push(file);
    service.child.stdout!.on('data', (c: Buffer) => file.write(c));
    service.child.stderr!.on('data', (c: Buffer) => file.write(c));
    const managed: Managed = { role, service, stopping: false };
    this.all.push(managed);
    void service.exited.then((exit) => {
      if (managed.stopping) return;
      this.crashes.push({ name, exit, tail: service.output().slice(-2_000) });
      this.onEvent(`${name} exited on its own (${exit.code ?? exit.signal}); starting a successor`);
      this.spawn(role);
    });
    return managed;
  }

  /** The processes of `role` still running, oldest first. */
  live(role: Role): Managed[] {
    return this.all.filter(
      (m) =>
        m.role === role &&
        m.service.child.exitCode === null &&
        m.service.child.signalCode === null &&
        !m.stopping,
    );
  }

  /** Sends `signal` to a process and waits for its exit; the exit is no crash. */
  async signal(managed: Managed, signal: NodeJS.Signals): Promise<ProcessExit> {
    managed.stopping = true;
    return signalService(managed.service, signal);
  }

  /**
   * Asks a process to stop (SIGTERM) and waits up to `graceMs`; a process still running then is
   * killed (SIGKILL) and reported as `hung`.
   */
  async terminate(managed: Managed, graceMs = 30_000): Promise<ProcessExit & { hung: boolean }> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), graceMs)));
    const exit = await Promise.race([this.signal(managed, 'SIGTERM'), late]);
    clearTimeout(timer);
    if (exit !== null) return { ...exit, hung: false };
    this.onEvent(`${managed.service.name} did not exit ${graceMs / 1000} s after SIGTERM; SIGKILL`);
    return { ...(await this.signal(managed, 'SIGKILL')), hung: true };
  }

  /** Kills every process still running and closes the log files. */
  async close(): Promise<void> {
    await Promise.all(this.all.filter((m) => !m.stopping).map((m) => this.signal(m, 'SIGKILL')));
    await Promise.all(this.files.map((f) => new Promise((r) => f.end(r))));
  }
}
