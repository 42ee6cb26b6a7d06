import { LineageError } from '@lineage/protocol';

/**
 * Why an attestation could not be mapped to an OpenLineage event. Tests assert these, never the
 * message text.
 *
 * - `ATTESTATION_MALFORMED`: the envelope is not a well-formed Lineage attestation (the cause is the
 *   protocol's `VerificationError` or `EncodingError`).
 * - `RUN_UNKNOWN`: a parent (or an ancestor on the way to the root) has no decision in the
 *   {@link RunGraph} yet, so its job cannot be named.
 * - `INVALID_OPTIONS`: a producer, namespace or ledger name the spec cannot carry.
 */
export type OpenLineageErrorCode = 'ATTESTATION_MALFORMED' | 'RUN_UNKNOWN' | 'INVALID_OPTIONS';

/** Base error of `@lineage/openlineage`. */
export class OpenLineageError extends LineageError<OpenLineageErrorCode> {}
