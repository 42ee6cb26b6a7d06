#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo.js';
import { registerGrant } from './commands/grant.js';
import { registerKeys } from './commands/keys.js';
import { registerLog } from './commands/log.js';
import { registerOpenLineage } from './commands/openlineage.js';
import { registerOverride } from './commands/override.js';
import { registerPolicy } from './commands/policy.js';
import { registerProjections } from './commands/projections.js';
import { registerQueries } from './commands/query.js';
import { registerReplay } from './commands/replay.js';
import { registerRuntime } from './commands/runtime.js';
import { registerServe } from './commands/serve.js';
import { registerTokens } from './commands/tokens.js';
import { registerVerify } from './commands/verify.js';
import { registerWitness } from './commands/witness.js';
import { CliExit, EXIT } from './errors.js';

const program = new Command('lineage')
  .description('Lineage: signed, replayable execution lineage on Kafka')
  .showHelpAfterError()
  .exitOverride();
registerKeys(program);
registerVerify(program);
registerLog(program);
registerQueries(program);
registerGrant(program);
registerOverride(program);
registerReplay(program);
registerRuntime(program);
registerPolicy(program);
registerProjections(program);
registerOpenLineage(program);
registerTokens(program);
registerWitness(program);
registerDemo(program);
registerServe(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CliExit) {
    (error.code === 'OK' ? console.log : console.error)(error.message);
    process.exitCode = EXIT[error.code];
  } else if (error instanceof CommanderError) {
    // Help and version are successes; every other parse problem is a usage error.
    process.exitCode = error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
  } else {
    console.error(`error: ${(error as Error).message}`);
    process.exitCode = EXIT.USAGE;
  }
}
