import type { Command } from 'commander';
import type { Logger } from 'pino';
import { serveCheckpointer } from '@lineage/checkpointer';
import { serveGovernance } from '@lineage/governance';
import { serveProjector } from '@lineage/projector';
import { serveQueryApi } from '@lineage/query-api';
import { LineageError } from '@lineage/protocol';
import { loadSettings, serviceLogger, startTracing, stopOnSignals } from '@lineage/runtime';
import type { RunningService, Settings } from '@lineage/runtime';
import { CliExit } from '../errors.js';
import { list } from './options.js';

/** Every role, in the order they start: projector (it migrates the schema the API serves) first. */
const ROLES = {
  projector: serveProjector,
  governance: serveGovernance,
  checkpointer: serveCheckpointer,
  'query-api': serveQueryApi,
} as const;

/** A role `lineage serve` runs. */
export type Role = keyof typeof ROLES;
const ALL_ROLES = Object.keys(ROLES) as Role[];

/** The roles started, by name, each as its serve function returned it. */
export type Stack = { -readonly [R in Role]?: Awaited<ReturnType<(typeof ROLES)[R]>> };

/** The roles `--only` names, in start order. @throws CliExit USAGE naming an unknown role. */
export function chooseRoles(only: string | undefined): Role[] {
  if (only === undefined) return ALL_ROLES;
  const asked = list(only).filter((r) => r !== '');
  const unknown = asked.filter((r) => !(r in ROLES));
  if (unknown.length > 0 || asked.length === 0)
    throw new CliExit('USAGE', `--only takes roles among ${ALL_ROLES.join(',')} (got ${only})`);
  return ALL_ROLES.filter((r) => asked.includes(r));
}

/**
 * Starts `roles` (default every one) from `settings`, one after another, each logging to
 * `loggerOf(role)`: what `lineage serve` and `lineage demo` run. If one fails, those started stop.
 * @throws CliExit USAGE naming the code of a refused setting or file; infrastructure errors.
 */
export async function startStack(
  settings: Settings,
  roles: readonly Role[] = ALL_ROLES,
  loggerOf: (role: Role) => Logger = serviceLogger,
): Promise<Stack> {
  const stack: Record<string, RunningService> = {};
  try {
    for (const role of roles) stack[role] = await ROLES[role](settings, loggerOf(role));
  } catch (error) {
    await stopStack(stack).catch(() => undefined);
    // A refused setting or file names its code: the operator's fix starts there.
    if (error instanceof LineageError)
      throw new CliExit('USAGE', `${error.code}: ${error.message}`);
    throw error;
  }
  return stack as Stack;
}

/**
 * Drains every running role of `stack` at once (each commits or aborts what is in flight).
 * @throws the first error a role's stop threw.
 */
export async function stopStack(stack: Stack): Promise<void> {
  const running: (RunningService | undefined)[] = Object.values(stack);
  await Promise.all(running.map((s) => s?.stop()));
}

/** `lineage serve`: the stack (or `--only` some roles) in this process, from one configuration. */
export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'run governance, projector, checkpointer and query API from one configuration (file + environment); SIGTERM drains',
    )
    .option('--config <file>', 'settings file (JSON; default LINEAGE_CONFIG)')
    .option('--only <roles>', 'comma-separated roles: projector,governance,checkpointer,query-api')
    .action(async (flags: { config?: string; only?: string }) => {
      const roles = chooseRoles(flags.only);
      let settings: Settings;
      try {
        settings = loadSettings(flags.config === undefined ? {} : { file: flags.config });
      } catch (e) {
        if (e instanceof LineageError) throw new CliExit('USAGE', `${e.code}: ${e.message}`);
        throw e;
      }
      const logger = serviceLogger('lineage');
      const tracing = await startTracing('lineage');
      const stack = await startStack(settings, roles);
      for (const role of roles)
        console.log(
          `${role.padEnd(13)} http://${hostOf(role, settings)}:${stack[role]!.port}/metrics`,
        );
      console.log('ready; SIGTERM or Ctrl-C drains and stops');
      stopOnSignals(async () => {
        await stopStack(stack);
        await tracing?.shutdown();
      }, logger);
    });
}

/** The address a role's endpoints answer on, as a client reaches them (a wildcard becomes loopback). */
export function hostOf(role: Role, settings: Settings): string {
  const host = role === 'query-api' ? settings.api.host : settings.ops.host;
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
