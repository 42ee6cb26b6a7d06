export { loadPolicy, policyHash } from './document.js';
export type { PolicyDocument, AllowRule, DenyRule, LoadedPolicy } from './document.js';
export { evaluatePolicy } from './evaluate.js';
export type { PolicyVerdict, PolicySubject } from './evaluate.js';
export { decide } from './decide.js';
export type { DecideContext, IntentInput, DecisionOutcome } from './decide.js';
export { PolicyError } from './errors.js';
export type { PolicyErrorCode } from './errors.js';
