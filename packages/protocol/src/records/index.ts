export { isExecutionId, isDigest, isKeyId, newExecutionId, EXECUTION_ID_PATTERN } from './ids.js';
export type { ExecutionId, Digest, KeyId } from './ids.js';
export { DENY_REASONS, OVERRIDE_REASONS, DEAD_LETTER_REASONS } from './reasons.js';
export type {
  DenyReason,
  OverrideReason,
  DeadLetterReason,
  RuleReason,
  AttestationReason,
} from './reasons.js';
export { actionMatches, scopeCovers, intersectScopes, parseScope } from './scope.js';
export type { Scope } from './scope.js';
export { parseIntent, INTENT_PAYLOAD_TYPE, INTENT_TYPE, MAX_PARENTS } from './intent.js';
export type { IntentBody, ParentRef, RuntimeRef, DependencyRef } from './intent.js';
export {
  parseGrant,
  verifyGrant,
  signGrant,
  GrantMemo,
  GRANT_PAYLOAD_TYPE,
  GRANT_TYPE,
} from './grant.js';
export type { GrantBody, GrantRequest, VerifiedGrant } from './grant.js';
export {
  parseResolution,
  signResolution,
  RESOLUTION_PAYLOAD_TYPE,
  RESOLUTION_TYPE,
} from './resolution.js';
export type { ResolutionBody } from './resolution.js';
export {
  parseRelease,
  verifyRelease,
  signRelease,
  knownRuntimeHashes,
  RELEASE_PAYLOAD_TYPE,
  RELEASE_TYPE,
} from './release.js';
export type { ReleaseBody, ReleasedRuntime } from './release.js';
export {
  buildStatement,
  encodeStatement,
  parseStatement,
  ATTESTATION_PAYLOAD_TYPE,
  STATEMENT_TYPE,
  PREDICATE_TYPE,
} from './statement.js';
export type {
  Statement,
  Predicate,
  PolicyRef,
  Decision,
  AttestationKind,
  Authorization,
  OverrideRef,
} from './statement.js';
export { executionFingerprint } from './fingerprint.js';
