/**
 * Reason codes that appear in a signed `deny` (or `replay_rejection`) attestation's `reasons`.
 * Part of the protocol: a closed list, documented in the README. Policy rules add `rule:<id>` entries.
 */
export const DENY_REASONS = [
  'EXECUTION_ID_MISSING',
  'EXECUTION_ID_MALFORMED',
  'INTENT_MALFORMED',
  'AGENT_SIGNATURE_MISSING',
  'AGENT_SIGNATURE_INVALID',
  'AGENT_KEY_UNKNOWN',
  'AGENT_KEY_REVOKED',
  'AGENT_KEY_EXPIRED',
  'PARENT_MISSING',
  'PARENT_INVALID',
  'PARENT_NOT_ALLOWED',
  'PARENT_PENDING_OVERRIDE',
  'REPLAY_EXECUTION_ID',
  'POLICY_DENIED',
  'POLICY_NO_MATCH',
] as const;

export type DenyReason = (typeof DENY_REASONS)[number];

/** Dead-letter reason codes: input that could not be decoded at all. */
export const DEAD_LETTER_REASONS = ['UNDECODABLE', 'EMPTY_RECORD'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];
