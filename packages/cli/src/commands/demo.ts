import type { Command } from 'commander';
import { runDemo } from '../demo/run.js';

/** `lineage demo`. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the whole system end to end and write evidence to .lineage/demo')
    .action(() => runDemo());
}
