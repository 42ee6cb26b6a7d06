import { LineageError } from '@lineage/protocol';

/** Why a policy document cannot be loaded: it is not a well-formed, closed policy document. */
export type PolicyErrorCode = 'POLICY_MALFORMED';

/** A policy document that cannot be loaded. */
export class PolicyError extends LineageError<PolicyErrorCode> {}
