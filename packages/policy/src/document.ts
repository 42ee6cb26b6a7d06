import { canonicalize, digestOf } from '@lineage/protocol';
import type { Digest, PolicyRef } from '@lineage/protocol';
import { PolicyError } from './errors.js';

/** Allows listed agents (key ids, or "*") to perform listed actions (exact, or "prefix.*"). */
export interface AllowRule {
  id: string;
  agents: string[];
  actions: string[];
}

/** Denies matching actions and/or resources whatever the allow rules say. */
export interface DenyRule {
  id: string;
  actions?: string[];
  resource_prefix?: string;
}

/** A versioned policy document; its content hash pins it in every attestation. */
export interface PolicyDocument {
  id: string;
  version: number;
  allow: AllowRule[];
  deny: DenyRule[];
}

/** A policy loaded once: the document with its reference (id, version, content hash). */
export interface LoadedPolicy {
  document: PolicyDocument;
  ref: PolicyRef;
}

const RULE_ID = /^[a-z0-9][a-z0-9._-]{0,63}$/;

function stringList(v: unknown, what: string): string[] {
  if (
    !Array.isArray(v) ||
    v.some((x) => typeof x !== 'string' || x.length === 0 || x.length > 256)
  ) {
    throw new PolicyError('POLICY_MALFORMED', `${what} must be a list of non-empty strings`);
  }
  return v as string[];
}

/**
 * Validates a policy document from JSON and computes its hash: SHA-256 of its RFC 8785 form.
 * @throws PolicyError POLICY_MALFORMED.
 */
export function loadPolicy(value: unknown): LoadedPolicy {
  const fail = (what: string) => new PolicyError('POLICY_MALFORMED', what);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw fail('policy is not an object');
  const o = value as Record<string, unknown>;
  if (typeof o.id !== 'string' || !RULE_ID.test(o.id))
    throw fail('policy id must match ' + RULE_ID.source);
  if (!Number.isSafeInteger(o.version) || (o.version as number) < 1)
    throw fail('policy version must be a positive integer');
  if (!Array.isArray(o.allow) || !Array.isArray(o.deny))
    throw fail('policy needs allow and deny lists');
  const ids = new Set<string>();
  const ruleId = (r: Record<string, unknown>) => {
    if (typeof r.id !== 'string' || !RULE_ID.test(r.id) || ids.has(r.id))
      throw fail(`rule id ${String(r.id)} is invalid or repeated`);
    ids.add(r.id);
    return r.id;
  };
  const allow = o.allow.map((r: Record<string, unknown>) => ({
    id: ruleId(r),
    agents: stringList(r.agents, 'agents'),
    actions: stringList(r.actions, 'actions'),
  }));
  const deny = o.deny.map((r: Record<string, unknown>) => {
    const rule: DenyRule = { id: ruleId(r) };
    if (r.actions !== undefined) rule.actions = stringList(r.actions, 'actions');
    if (r.resource_prefix !== undefined) {
      if (typeof r.resource_prefix !== 'string') throw fail('resource_prefix must be a string');
      rule.resource_prefix = r.resource_prefix;
    }
    if (!rule.actions && rule.resource_prefix === undefined)
      throw fail(`deny rule ${rule.id} matches nothing`);
    return rule;
  });
  const document: PolicyDocument = { id: o.id, version: o.version as number, allow, deny };
  // The hash is over the normalised document, so it is stable however the file was formatted.
  canonicalize(document);
  return {
    document,
    ref: { id: document.id, version: document.version, hash: policyHash(document) },
  };
}

/** SHA-256 of the policy's RFC 8785 canonical form. */
export function policyHash(document: PolicyDocument): Digest {
  return digestOf(document);
}
