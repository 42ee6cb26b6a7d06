import { createToken, readPepper } from '@lineage/query-api';
import { hostOf } from '../commands/serve.js';
import type { Role } from '../commands/serve.js';
import { APPROVED_CHILD } from './scenario.js';
import { SETTINGS_FILE } from './settings.js';
import type { DemoRun } from './state.js';

/**
 * `lineage demo --serve`: after the scenario, the stack goes on serving the demo's ledger. Prints
 * the console's URL (the query API serves it) and a token for it, made as `lineage tokens create`
 * makes one, then waits for SIGINT or SIGTERM; the caller drains the stack.
 */
export async function serveUntilSignal(run: DemoRun): Promise<void> {
  const { world, system, say } = run;
  const pepper = await readPepper({ file: system.settings.api.tokenPepperFile });
  const { token } = await createToken(world.pool, world.schema, {
    name: `demo-console-${world.run}`,
    // An auditor's token: reads the projection and exports evidence bundles, nothing more.
    scopes: ['read', 'export'],
    pepper,
  });
  say('\nServing');
  const deepest = run.results.get(APPROVED_CHILD.label)!.verified.predicate.execution_id;
  say(`  console: ${system.api}/`);
  say(`  token: ${token}`);
  say(`  the deepest execution's lineage: ${system.api}/#/graph/${deepest}?mode=lineage`);
  for (const [role, running] of Object.entries(system.stack))
    say(
      `  ${role.padEnd(13)}http://${hostOf(role as Role, system.settings)}:${running.port}/metrics`,
    );
  say(`  the same stack, without the demo: lineage serve --config ${SETTINGS_FILE}`);
  say('  Ctrl-C or SIGTERM drains it and stops');
  const signal = await nextSignal();
  say(`\n${signal}: draining the stack`);
}

/** Resolves with the first SIGINT or SIGTERM, then stops listening for them. */
function nextSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
