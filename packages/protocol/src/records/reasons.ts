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
  'INTENT_CLOCK_SKEW',
  'GRANT_MISSING',
  'GRANT_INVALID',
  'GRANT_PRINCIPAL_UNTRUSTED',
  'GRANT_EXPIRED',
  'GRANT_OUT_OF_SCOPE',
  'PARENT_MISSING',
  'PARENT_INVALID',
  'PARENT_NOT_ALLOWED',
  'PARENT_PENDING_OVERRIDE',
  'REPLAY_EXECUTION_ID',
  'POLICY_DENIED',
  'POLICY_NO_MATCH',
  'POLICY_UNKNOWN',
] as const;

export type DenyReason = (typeof DENY_REASONS)[number] | OverrideReason;

/**
 * Reason codes of the override flow. `OVERRIDE_REQUIRED` marks a `pending_override` decision;
 * `OVERRIDE_APPROVED` / `OVERRIDE_REJECTED` mark the `override` attestation that resolves it; the
 * rest mark a signed `override_rejection`: a resolution governance refused, which changes nothing.
 */
export const OVERRIDE_REASONS = [
  'OVERRIDE_REQUIRED',
  'OVERRIDE_APPROVED',
  'OVERRIDE_REJECTED',
  'OVERRIDE_MALFORMED',
  'OVERRIDE_SIGNATURE_INVALID',
  'OVERRIDE_APPROVER_UNTRUSTED',
  'OVERRIDE_APPROVER_NOT_ALLOWED',
  'OVERRIDE_SELF_APPROVAL',
  'OVERRIDE_NOT_PENDING',
  'OVERRIDE_ALREADY_RESOLVED',
] as const;

export type OverrideReason = (typeof OVERRIDE_REASONS)[number];

/**
 * Dead-letter reason codes: input that could not be decoded at all, and a refused resolution too
 * large for its signed refusal to carry (the raw record is kept in the dead letter instead).
 */
export const DEAD_LETTER_REASONS = ['UNDECODABLE', 'EMPTY_RECORD', 'OVERSIZED'] as const;
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[number];

/** A policy rule's entry in `reasons`: `rule:<id>` for each rule that matched (see the policy package). */
export type RuleReason = `rule:${string}`;

/** What a signed attestation's `reasons` may hold: a closed reason code, or a matching policy rule. */
export type AttestationReason = DenyReason | RuleReason;
