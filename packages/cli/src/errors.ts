import { LineageError } from '@lineage/protocol';

/** Exit statuses every command keeps (ARCHITECTURE.md §5), by the code that ends a command. */
export const EXIT = { OK: 0, INVALID: 1, USAGE: 2 } as const;

/**
 * How a command ends early. Tests assert the exit status, never the message text.
 *
 * - `OK`: nothing wrong, the message is the answer (exit 0).
 * - `INVALID`: the input was read and is not valid, or the thing asked for does not exist (exit 1).
 * - `USAGE`: bad arguments, unreadable files, an unreachable broker or database (exit 2).
 */
export type CliExitCode = keyof typeof EXIT;

/** Ends a command with an exit status (`EXIT[code]`) and a one-line message. */
export class CliExit extends LineageError<CliExitCode> {}
