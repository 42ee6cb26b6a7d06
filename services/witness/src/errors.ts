import { LineageError } from '@lineage/protocol';

/**
 * Why a witness cannot run or answer.
 *
 * - `INVALID_OPTIONS`: a name, key or state directory it cannot run with.
 * - `STATE_CORRUPT`: a persisted state file that does not parse, or names another origin; the
 *   witness refuses to cosign that log rather than start over from size 0.
 */
export type WitnessErrorCode = 'INVALID_OPTIONS' | 'STATE_CORRUPT';

/** A witness fault (not a refused checkpoint: those are HTTP answers). */
export class WitnessError extends LineageError<WitnessErrorCode> {}
