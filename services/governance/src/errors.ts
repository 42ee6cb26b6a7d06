import { LineageError } from '@lineage/protocol';

/**
 * Why governance cannot run a partition: its state directory is locked or unreadable, or the state
 * stored for a partition is not a prefix of that partition's ledger (`LEDGER_BROKEN` when the
 * ledger itself does not chain).
 */
export type GovernanceErrorCode =
  'STATE_LOCKED' | 'STATE_UNREADABLE' | 'STATE_MISMATCH' | 'LEDGER_BROKEN';

/** A condition governance refuses to decide under. */
export class GovernanceError extends LineageError<GovernanceErrorCode> {}
