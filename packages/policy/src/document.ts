import { KEY_ROLES, canonicalize, digestOf } from '@lineage/protocol';
import type { Digest, KeyRole, PolicyRef } from '@lineage/protocol';
import { PolicyError } from './errors.js';

/** A numeric threshold on one intent input, addressed by a dot path into `inputs`. */
export interface InputThreshold {
  path: string;
  op: 'gt' | 'gte' | 'lt' | 'lte' | 'eq' | 'neq';
  value: number;
}

/**
 * What a rule can test. Every condition present must hold (absent ones always do):
 * `agents` (key ids, or `*`), `actions` (exact, `prefix.*` or `*`), `resource_prefix`,
 * `agent_roles` (the agent key holds one of them), `principals` (one of them granted the authority),
 * `scope_includes` (the authority's scope lists one of these action patterns), `min_depth` /
 * `max_depth` (distance from the root grant), `inputs` (every threshold holds; a missing or
 * non-numeric input fails its threshold).
 */
export interface Conditions {
  agents?: string[];
  actions?: string[];
  resource_prefix?: string;
  agent_roles?: KeyRole[];
  principals?: string[];
  scope_includes?: string[];
  min_depth?: number;
  max_depth?: number;
  inputs?: InputThreshold[];
}

/** Allows listed agents to perform listed actions when its other conditions hold. */
export interface AllowRule extends Conditions {
  id: string;
  agents: string[];
  actions: string[];
}

/** Denies whatever it matches, whatever the other rules say. */
export type DenyRule = Conditions & { id: string };

/**
 * Holds what it matches for a human: the decision is `pending_override` until an approver listed
 * in `approvers` (key ids with the approver role, or `*` for any) resolves it. Unless
 * `self_approval` is `allow`, an approver cannot resolve an execution of their own agent or of an
 * authority they granted.
 */
export interface OverrideRule extends Conditions {
  id: string;
  approvers: string[];
  self_approval?: 'forbid' | 'allow';
}

/** A versioned policy document; its content hash pins it in every attestation. */
export interface PolicyDocument {
  id: string;
  version: number;
  allow: AllowRule[];
  deny: DenyRule[];
  require_override?: OverrideRule[];
  /**
   * When set, an intent whose `requested_at` is further than this from the time the broker
   * appended it is denied `INTENT_CLOCK_SKEW`: key windows, grants and revocations are checked at
   * `requested_at`, so this bounds how far an agent can backdate (or postdate) its claim.
   */
  max_clock_skew_seconds?: number;
}

/** A policy loaded once: the document with its reference (id, version, content hash). */
export interface LoadedPolicy {
  document: PolicyDocument;
  ref: PolicyRef;
}

const RULE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
const CONDITION_KEYS = [
  'agents',
  'actions',
  'resource_prefix',
  'agent_roles',
  'principals',
  'scope_includes',
  'min_depth',
  'max_depth',
  'inputs',
];

const fail = (what: string) => new PolicyError('POLICY_MALFORMED', what);

function stringList(v: unknown, what: string): string[] {
  if (
    !Array.isArray(v) ||
    v.some((x) => typeof x !== 'string' || x.length === 0 || x.length > 256)
  ) {
    throw fail(`${what} must be a list of non-empty strings`);
  }
  return v as string[];
}

function depth(v: unknown, what: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0 || (v as number) > 1_000_000)
    throw fail(`${what} must be a non-negative integer`);
  return v as number;
}

function conditions(r: Record<string, unknown>, rule: string): Conditions {
  const c: Conditions = {};
  if (r.agents !== undefined) c.agents = stringList(r.agents, `${rule}.agents`);
  if (r.actions !== undefined) c.actions = stringList(r.actions, `${rule}.actions`);
  if (r.resource_prefix !== undefined) {
    if (typeof r.resource_prefix !== 'string')
      throw fail(`${rule}.resource_prefix must be a string`);
    c.resource_prefix = r.resource_prefix;
  }
  if (r.agent_roles !== undefined) {
    const roles = stringList(r.agent_roles, `${rule}.agent_roles`);
    if (roles.some((x) => !KEY_ROLES.includes(x as KeyRole)))
      throw fail(`${rule}.agent_roles names an unknown role`);
    c.agent_roles = roles as KeyRole[];
  }
  if (r.principals !== undefined) c.principals = stringList(r.principals, `${rule}.principals`);
  if (r.scope_includes !== undefined)
    c.scope_includes = stringList(r.scope_includes, `${rule}.scope_includes`);
  if (r.min_depth !== undefined) c.min_depth = depth(r.min_depth, `${rule}.min_depth`);
  if (r.max_depth !== undefined) c.max_depth = depth(r.max_depth, `${rule}.max_depth`);
  if (r.inputs !== undefined) {
    if (!Array.isArray(r.inputs) || r.inputs.length > 32)
      throw fail(`${rule}.inputs must be a list`);
    c.inputs = r.inputs.map((t: unknown) => {
      if (typeof t !== 'object' || t === null) throw fail(`${rule}.inputs holds a non-object`);
      const o = t as Record<string, unknown>;
      if (Object.keys(o).some((k) => !['path', 'op', 'value'].includes(k)))
        throw fail(`${rule}.inputs has an unknown field`);
      if (typeof o.path !== 'string' || !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+){0,7}$/.test(o.path))
        throw fail(`${rule}.inputs path must be a dot path`);
      if (!OPS.includes(o.op as InputThreshold['op'])) throw fail(`${rule}.inputs op is unknown`);
      if (typeof o.value !== 'number' || !Number.isFinite(o.value))
        throw fail(`${rule}.inputs value must be a finite number`);
      return { path: o.path, op: o.op as InputThreshold['op'], value: o.value };
    });
  }
  return c;
}

function closed(r: Record<string, unknown>, extra: string[], rule: string): void {
  for (const k of Object.keys(r))
    if (k !== 'id' && !CONDITION_KEYS.includes(k) && !extra.includes(k))
      throw fail(`rule ${rule} has unknown field ${k}`);
}

function asRule(v: unknown, list: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw fail(`${list} holds a non-object`);
  return v as Record<string, unknown>;
}

const TOP_LEVEL_KEYS = [
  'id',
  'version',
  'allow',
  'deny',
  'require_override',
  'max_clock_skew_seconds',
];

/**
 * Validates a policy document from JSON and computes its hash: SHA-256 of its RFC 8785 form. Rules
 * are closed records: an unknown field is an error, never silently ignored.
 * @throws PolicyError POLICY_MALFORMED.
 */
export function loadPolicy(value: unknown): LoadedPolicy {
  // The document is a closed record with an id, a version and its rule lists.
  const o = topLevel(value);
  // Rule ids are unique across all the lists.
  const ruleId = uniqueIds();
  const allow = o.allow.map((v) => allowRule(asRule(v, 'allow'), ruleId));
  const deny = o.deny.map((v) => denyRule(asRule(v, 'deny'), ruleId));
  const overrides = o.require_override?.map((v) =>
    overrideRule(asRule(v, 'require_override'), ruleId),
  );
  const skew = o.max_clock_skew_seconds;
  if (skew !== undefined && (!Number.isSafeInteger(skew) || (skew as number) < 1))
    throw fail('max_clock_skew_seconds must be a positive integer');
  const document: PolicyDocument = {
    id: o.id,
    version: o.version,
    allow,
    deny,
    ...(overrides === undefined ? {} : { require_override: overrides }),
    ...(skew === undefined ? {} : { max_clock_skew_seconds: skew as number }),
  };
  // The hash is over the normalised document, so it is stable however the file was formatted.
  canonicalize(document);
  return {
    document,
    ref: { id: document.id, version: document.version, hash: policyHash(document) },
  };
}

/** The top level of a policy document, checked before its rules are. */
interface TopLevel {
  id: string;
  version: number;
  allow: unknown[];
  deny: unknown[];
  require_override?: unknown[];
  max_clock_skew_seconds?: unknown;
}

function topLevel(value: unknown): TopLevel {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail('policy is not an object');
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (!TOP_LEVEL_KEYS.includes(k)) throw fail(`policy has unknown field ${k}`);
  if (typeof o.id !== 'string' || !RULE_ID.test(o.id))
    throw fail('policy id must match ' + RULE_ID.source);
  if (!Number.isSafeInteger(o.version) || (o.version as number) < 1)
    throw fail('policy version must be a positive integer');
  if (!Array.isArray(o.allow) || !Array.isArray(o.deny))
    throw fail('policy needs allow and deny lists');
  if (o.require_override !== undefined && !Array.isArray(o.require_override))
    throw fail('require_override must be a list');
  return o as unknown as TopLevel;
}

/** Takes a rule's id, checked. */
type RuleIds = (r: Record<string, unknown>) => string;

// A checker of rule ids: each must be well formed and not used before.
function uniqueIds(): RuleIds {
  const ids = new Set<string>();
  return (r) => {
    if (typeof r.id !== 'string' || !RULE_ID.test(r.id) || ids.has(r.id))
      throw fail(`rule id ${String(r.id)} is invalid or repeated`);
    ids.add(r.id);
    return r.id;
  };
}

function allowRule(r: Record<string, unknown>, ruleId: RuleIds): AllowRule {
  const id = ruleId(r);
  closed(r, [], id);
  const rule: AllowRule = {
    ...conditions(r, id),
    id,
    agents: stringList(r.agents, `${id}.agents`),
    actions: stringList(r.actions, `${id}.actions`),
  };
  return rule;
}

function denyRule(r: Record<string, unknown>, ruleId: RuleIds): DenyRule {
  const id = ruleId(r);
  closed(r, [], id);
  const rule: DenyRule = { id, ...conditions(r, id) };
  if (Object.keys(rule).length === 1) throw fail(`deny rule ${id} matches nothing`);
  return rule;
}

function overrideRule(r: Record<string, unknown>, ruleId: RuleIds): OverrideRule {
  const id = ruleId(r);
  closed(r, ['approvers', 'self_approval'], id);
  if (r.self_approval !== undefined && r.self_approval !== 'forbid' && r.self_approval !== 'allow')
    throw fail(`${id}.self_approval must be forbid or allow`);
  const rule: OverrideRule = {
    id,
    ...conditions(r, id),
    approvers: stringList(r.approvers, `${id}.approvers`),
    ...(r.self_approval === undefined ? {} : { self_approval: r.self_approval }),
  };
  return rule;
}

/** SHA-256 of the policy's RFC 8785 canonical form. */
export function policyHash(document: PolicyDocument): Digest {
  return digestOf(document);
}
