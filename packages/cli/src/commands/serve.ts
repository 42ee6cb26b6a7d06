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

type Serve = (settings: Settings, logger: Logger) => Promise<RunningService>;

/** Every role, in the order they start: projector (it migrates the schema the API serves) first. */
const ROLES: Readonly<Record<string, Serve>> = {
  projector: serveProjector,
  governance: serveGovernance,
  checkpointer: serveCheckpointer,
  'query-api': serveQueryApi,
};

/** The roles `--only` names, in start order. @throws CliExit USAGE naming an unknown role. */
export function chooseRoles(only: string | undefined): string[] {
  if (only === undefined) return Object.keys(ROLES);
  const asked = list(only).filter((r) => r !== '');
  const unknown = asked.filter((r) => !(r in ROLES));
  if (unknown.length > 0 || asked.length === 0)
    throw new CliExit(
      'USAGE',
      `--only takes roles among ${Object.keys(ROLES).join(',')} (got ${only})`,
    );
  return Object.keys(ROLES).filter((r) => asked.includes(r));
}

/** Starts `roles` one after another; if one fails, those started stop again. */
async function startRoles(roles: readonly string[], settings: Settings): Promise<RunningService[]> {
  const running: RunningService[] = [];
  try {
    for (const role of roles) running.push(await ROLES[role]!(settings, serviceLogger(role)));
  } catch (error) {
    await Promise.allSettled(running.map((s) => s.stop()));
    // A refused setting or file names its code: the operator's fix starts there.
    if (error instanceof LineageError)
      throw new CliExit('USAGE', `${error.code}: ${error.message}`);
    throw error;
  }
  return running;
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
      const running = await startRoles(roles, settings);
      for (const s of running)
        console.log(`${s.name.padEnd(13)} http://${hostOf(s.name, settings)}:${s.port}/metrics`);
      console.log('ready; SIGTERM or Ctrl-C drains and stops');
      stopOnSignals(async () => {
        await Promise.all(running.map((s) => s.stop()));
        await tracing?.shutdown();
      }, logger);
    });
}

function hostOf(role: string, settings: Settings): string {
  const host = role === 'query-api' ? settings.api.host : settings.ops.host;
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
}
