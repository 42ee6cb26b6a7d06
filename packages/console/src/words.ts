import type { BundleErrorCode, DenyReason, VerificationErrorCode } from '@lineage/protocol';

/** Every reason code a signed attestation may carry, in words (a missing code fails the type check). */
const REASONS: Record<DenyReason, string> = {
  EXECUTION_ID_MISSING: 'the intent names no execution id',
  EXECUTION_ID_MALFORMED: 'the execution id is not a UUIDv7',
  INTENT_MALFORMED: 'the intent is not a well-formed intent',
  AGENT_SIGNATURE_MISSING: 'the agent did not sign the intent',
  AGENT_SIGNATURE_INVALID: "the agent's signature does not verify",
  AGENT_KEY_UNKNOWN: 'the agent key is not in the trust store',
  AGENT_KEY_REVOKED: 'the agent key is revoked',
  AGENT_KEY_EXPIRED: 'the agent key is outside its validity window',
  INTENT_CLOCK_SKEW: "the intent's time is too far from governance's clock",
  GRANT_MISSING: 'a root execution without a grant',
  GRANT_INVALID: 'the grant does not verify',
  GRANT_PRINCIPAL_UNTRUSTED: 'the principal who signed the grant is not trusted',
  GRANT_EXPIRED: 'the grant has expired',
  GRANT_OUT_OF_SCOPE: "the action or resource is outside the grant's scope",
  PARENT_MISSING: 'a parent attestation is missing',
  PARENT_INVALID: 'a parent attestation does not verify',
  PARENT_NOT_ALLOWED: 'a parent execution was not allowed',
  PARENT_PENDING_OVERRIDE: 'a parent execution is still waiting for a human',
  REPLAY_EXECUTION_ID: 'the execution id was already decided: a replay',
  POLICY_DENIED: 'a policy rule denies it',
  POLICY_NO_MATCH: 'no policy rule allows it',
  POLICY_UNKNOWN: 'the policy is unknown',
  OVERRIDE_REQUIRED: 'held for a human approver',
  OVERRIDE_APPROVED: 'an approver approved it',
  OVERRIDE_REJECTED: 'an approver rejected it',
  OVERRIDE_MALFORMED: 'the resolution is malformed',
  OVERRIDE_SIGNATURE_INVALID: "the approver's signature does not verify",
  OVERRIDE_APPROVER_UNTRUSTED: 'the approver key is not trusted',
  OVERRIDE_APPROVER_NOT_ALLOWED: 'the policy does not let this approver resolve it',
  OVERRIDE_SELF_APPROVAL: 'the approver asked for the execution',
  OVERRIDE_NOT_PENDING: 'the execution is not waiting for a resolution',
  OVERRIDE_ALREADY_RESOLVED: 'the execution was already resolved',
};

/** What a verification failure code means (bundle and attestation checks). */
const FAILURES: Record<BundleErrorCode | VerificationErrorCode, string> = {
  BUNDLE_MALFORMED: 'the bundle does not have the documented shape',
  BUNDLE_TARGET_MISSING: "the bundle does not hold the execution's decision",
  ANCESTOR_MISSING: 'an ancestor attestation is missing from the bundle',
  ANCESTOR_NOT_ALLOWED: 'an allowed execution descends from one that was not allowed',
  POLICY_MISSING: 'a pinned policy document is missing',
  POLICY_HASH_MISMATCH: 'a policy document does not hash to its pin',
  KEY_MISMATCH: 'a bundled key differs from the trust store',
  INTENT_SIGNATURE_INVALID: "an intent's agent signature does not verify",
  RELEASE_INVALID: 'a release manifest is not signed by a trusted release key',
  CHECKPOINT_INVALID: 'a checkpoint is not validly signed for its partition',
  INCLUSION_PROOF_INVALID: 'an inclusion proof does not lead to its checkpoint',
  WITNESS_QUORUM_MISSING: 'too few witnesses cosigned the checkpoints',
  COSIGNATURE_INVALID: "a witness's cosignature does not verify",
  CONSISTENCY_PROOF_INVALID: 'a consistency proof fails',
  ENVELOPE_MALFORMED: 'an envelope is malformed',
  PAYLOAD_TYPE_UNSUPPORTED: "an envelope's payload type is not in-toto",
  SIGNATURE_MISSING: 'an envelope carries no signature',
  KEY_UNKNOWN: 'a signature is by an unknown key',
  KEY_ROLE_MISMATCH: 'a key signed what its role does not allow',
  KEY_NOT_VALID_AT: 'a key signed outside its validity window',
  SIGNATURE_INVALID: 'a signature does not verify',
  STATEMENT_MALFORMED: 'a statement is malformed',
  PREDICATE_TYPE_UNSUPPORTED: "a statement's predicate type is unknown",
  SUBJECT_MISMATCH: "a statement's subject does not match its intent",
  TRUST_STORE_MALFORMED: 'the trust store is malformed',
  INTENT_MALFORMED: 'an embedded intent is malformed',
  OVERRIDE_INVALID: 'an override does not validly answer its pending decision',
};

/** A reason code in words: `rule:<id>` names the policy rule; unknown codes are shown as they are. */
export function reasonInWords(code: string): string {
  if (code.startsWith('rule:')) return `policy rule ${code.slice(5)} matched`;
  return (REASONS as Record<string, string>)[code] ?? code;
}

/** A verification failure code in words. */
export function failureInWords(code: string): string {
  return (FAILURES as Record<string, string>)[code] ?? code;
}
