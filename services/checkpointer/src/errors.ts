import { LineageError } from '@lineage/protocol';

/** Why the checkpointer cannot start. `INVALID_OPTIONS`: an option is out of range. */
export type CheckpointerErrorCode = 'INVALID_OPTIONS';

/** A checkpointer configuration it cannot run with. */
export class CheckpointerError extends LineageError<CheckpointerErrorCode> {}
