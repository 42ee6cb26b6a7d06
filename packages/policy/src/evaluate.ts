import type { PolicyDocument } from './document.js';

/** What the policy says about an intent, before any lineage checks. */
export interface PolicyVerdict {
  decision: 'allow' | 'deny';
  reasons: string[];
}

/** The facts a policy rule can see. */
export interface PolicySubject {
  agent: string;
  action: string;
  resource: string;
}

function actionMatches(pattern: string, action: string): boolean {
  return pattern.endsWith('.*') ? action.startsWith(pattern.slice(0, -1)) : pattern === action;
}

/**
 * Evaluates a policy: any matching deny rule denies (`POLICY_DENIED`, `rule:<id>`); otherwise the
 * first matching allow rule allows (`rule:<id>`); otherwise deny (`POLICY_NO_MATCH`) — fail closed.
 * Pure and deterministic.
 */
export function evaluatePolicy(policy: PolicyDocument, subject: PolicySubject): PolicyVerdict {
  const denied = policy.deny.filter(
    (r) =>
      (r.actions === undefined || r.actions.some((a) => actionMatches(a, subject.action))) &&
      (r.resource_prefix === undefined || subject.resource.startsWith(r.resource_prefix)),
  );
  if (denied.length > 0)
    return { decision: 'deny', reasons: ['POLICY_DENIED', ...denied.map((r) => `rule:${r.id}`)] };
  const allowed = policy.allow.find(
    (r) =>
      (r.agents.includes('*') || r.agents.includes(subject.agent)) &&
      r.actions.some((a) => actionMatches(a, subject.action)),
  );
  if (allowed) return { decision: 'allow', reasons: [`rule:${allowed.id}`] };
  return { decision: 'deny', reasons: ['POLICY_NO_MATCH'] };
}
