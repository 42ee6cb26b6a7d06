/** Exit codes every command keeps (ARCHITECTURE.md §5). */
export const EXIT = { ok: 0, invalid: 1, usage: 2 } as const;

/** Ends a command with an exit code and a one-line message. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: 0 | 1 | 2,
    message: string,
  ) {
    super(message);
    this.name = 'CliExit';
  }
}
