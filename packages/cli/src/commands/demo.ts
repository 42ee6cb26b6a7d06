import type { Command } from 'commander';
import { runDemo } from '../demo/run.js';

/** `lineage demo [--serve]`. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the whole system end to end and write evidence to .lineage/demo')
    .option(
      '--serve',
      'keep the stack running after the scenario, printing the console URL and a read token, until SIGTERM or Ctrl-C',
    )
    .action((flags: { serve?: boolean }) => runDemo(undefined, { serve: flags.serve === true }));
}
