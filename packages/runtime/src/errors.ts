import { LineageError } from '@lineage/protocol';

/**
 * Why a service could not start. Tests assert these, never the message text.
 *
 * - `CONFIG_INVALID`: a command-line flag (or the environment variable behind its default) is
 *   unknown or out of range; the message names the flag.
 * - `POSTGRES_UNREACHABLE`: no Postgres server accepts connections at the configured address.
 * - `POSTGRES_FAILED`: Postgres answered but refused (authentication, permissions, ...).
 * - `WAIT_TIMEOUT`: a condition polled for did not come true in time; the message names it.
 */
export type RuntimeErrorCode =
  'CONFIG_INVALID' | 'POSTGRES_UNREACHABLE' | 'POSTGRES_FAILED' | 'WAIT_TIMEOUT';

/** Base error of `@lineage/runtime`. Its message is always one line, fit to print as is. */
export class RuntimeError extends LineageError<RuntimeErrorCode> {}
