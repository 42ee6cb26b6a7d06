import { actionMatches } from '@lineage/protocol';
import type { JsonValue, KeyRole, Scope } from '@lineage/protocol';
import type { Conditions, InputThreshold, OverrideRule, PolicyDocument } from './document.js';
import type { DecisionReason, RuleReason } from './reasons.js';

/** What the policy says about an intent, before any lineage checks. */
export interface PolicyVerdict {
  decision: 'allow' | 'deny' | 'pending_override';
  reasons: DecisionReason[];
  /** The rule holding a `pending_override` for a human, else null. */
  override: OverrideRule | null;
}

/** The facts a policy rule can see. */
export interface PolicySubject {
  agent: string;
  action: string;
  resource: string;
  /** The agent key's roles in the trust store (default: just `agent`). */
  agentRoles?: readonly KeyRole[];
  /** Who granted the authority the intent acts under. */
  principals?: readonly string[];
  /** The scope of that authority. */
  scope?: Scope | null;
  /** Distance from the root grant: 0 for a root. */
  depth?: number;
  inputs?: { [key: string]: JsonValue };
}

function inputAt(inputs: { [key: string]: JsonValue } | undefined, path: string): unknown {
  let v: unknown = inputs;
  for (const part of path.split('.')) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, part))
      return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

function holds(t: InputThreshold, v: unknown): boolean {
  if (typeof v !== 'number') return false;
  switch (t.op) {
    case 'gt':
      return v > t.value;
    case 'gte':
      return v >= t.value;
    case 'lt':
      return v < t.value;
    case 'lte':
      return v <= t.value;
    case 'eq':
      return v === t.value;
    case 'neq':
      return v !== t.value;
  }
}

/** True when every condition the rule states holds for the subject. */
export function matches(rule: Conditions, s: PolicySubject): boolean {
  const depth = s.depth ?? 0;
  return (
    (rule.agents === undefined || rule.agents.includes('*') || rule.agents.includes(s.agent)) &&
    (rule.actions === undefined || rule.actions.some((a) => actionMatches(a, s.action))) &&
    (rule.resource_prefix === undefined || s.resource.startsWith(rule.resource_prefix)) &&
    (rule.agent_roles === undefined ||
      rule.agent_roles.some((r) => (s.agentRoles ?? ['agent']).includes(r))) &&
    (rule.principals === undefined ||
      rule.principals.some((p) => (s.principals ?? []).includes(p))) &&
    (rule.scope_includes === undefined ||
      rule.scope_includes.some((a) => (s.scope?.actions ?? []).includes(a))) &&
    (rule.min_depth === undefined || depth >= rule.min_depth) &&
    (rule.max_depth === undefined || depth <= rule.max_depth) &&
    (rule.inputs === undefined || rule.inputs.every((t) => holds(t, inputAt(s.inputs, t.path))))
  );
}

/**
 * Evaluates a policy: any matching deny rule denies (`POLICY_DENIED`, `rule:<id>` for each);
 * otherwise the first matching override rule holds the intent for a human (`OVERRIDE_REQUIRED`,
 * `rule:<id>`); otherwise the first matching allow rule allows (`rule:<id>`); otherwise deny
 * (`POLICY_NO_MATCH`) — fail closed. Pure and deterministic.
 */
export function evaluatePolicy(policy: PolicyDocument, subject: PolicySubject): PolicyVerdict {
  const denied = policy.deny.filter((r) => matches(r, subject));
  if (denied.length > 0)
    return {
      decision: 'deny',
      reasons: ['POLICY_DENIED', ...denied.map((r): RuleReason => `rule:${r.id}`)],
      override: null,
    };
  const held = (policy.require_override ?? []).find((r) => matches(r, subject));
  if (held)
    return {
      decision: 'pending_override',
      reasons: ['OVERRIDE_REQUIRED', `rule:${held.id}`],
      override: held,
    };
  const allowed = policy.allow.find((r) => matches(r, subject));
  if (allowed) return { decision: 'allow', reasons: [`rule:${allowed.id}`], override: null };
  return { decision: 'deny', reasons: ['POLICY_NO_MATCH'], override: null };
}
