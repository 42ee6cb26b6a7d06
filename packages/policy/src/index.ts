export { loadPolicy, policyHash } from './document.js';
export type {
  PolicyDocument,
  AllowRule,
  DenyRule,
  OverrideRule,
  Conditions,
  InputThreshold,
  LoadedPolicy,
} from './document.js';
export { evaluatePolicy, matches } from './evaluate.js';
export type { PolicyVerdict, PolicySubject } from './evaluate.js';
export { decide } from './decide.js';
export { NO_AUTHORIZATION } from './authority.js';
export type { DecideContext, IntentInput, DecisionOutcome } from './decide.js';
export { resolveOverride } from './override.js';
export type {
  ResolveContext,
  ResolutionInput,
  ResolutionOutcome,
  PendingState,
} from './override.js';
export { replayVerdict, replayRejection } from './replay.js';
export type { ReplayFacts, ReplayVerdict, ReplayRejection } from './replay.js';
export type { DecisionReason, RuleReason } from './reasons.js';
export { rederive } from './rederive.js';
export type { RederiveCode, RederiveContext, RederiveResult, DerivedOutcome } from './rederive.js';
export { PolicyError } from './errors.js';
export type { PolicyErrorCode } from './errors.js';
