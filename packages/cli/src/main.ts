#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerDemo } from './commands/demo.js';
import { registerKeys } from './commands/keys.js';
import { registerProjections } from './commands/projections.js';
import { registerQueries } from './commands/query.js';
import { registerTokens } from './commands/tokens.js';
import { registerVerify } from './commands/verify.js';
import { CliExit, EXIT } from './exit.js';

const program = new Command('lineage')
  .description('Lineage: signed, replayable execution lineage on Kafka')
  .showHelpAfterError()
  .exitOverride();
registerKeys(program);
registerVerify(program);
registerQueries(program);
registerProjections(program);
registerTokens(program);
registerDemo(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CliExit) {
    (error.exitCode === 0 ? console.log : console.error)(error.message);
    process.exitCode = error.exitCode;
  } else if (error instanceof CommanderError) {
    // Help and version are successes; every other parse problem is a usage error.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  } else {
    console.error(`error: ${(error as Error).message}`);
    process.exitCode = EXIT.usage;
  }
}
