import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from './evaluate.js';
import { loadPolicy, policyHash } from './document.js';
import type { PolicyError } from './errors.js';

const doc = {
  id: 'p',
  version: 3,
  allow: [
    { id: 'readers', agents: ['*'], actions: ['read.*'] },
    { id: 'alice-writes', agents: ['alice'], actions: ['write.file'] },
  ],
  deny: [
    { id: 'no-prod-delete', actions: ['delete.*'], resource_prefix: 'prod/' },
    { id: 'no-secrets', resource_prefix: 'secrets/' },
  ],
};

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return (e as PolicyError).code;
  }
  return undefined;
}

describe('loadPolicy', () => {
  it('pins id, version and the hash of the canonical document', () => {
    const p = loadPolicy(doc);
    expect(p.ref).toEqual({ id: 'p', version: 3, hash: policyHash(p.document) });
    // Key order in the file does not change the hash.
    const reordered = loadPolicy({ deny: doc.deny, allow: doc.allow, version: 3, id: 'p' });
    expect(reordered.ref.hash).toBe(p.ref.hash);
    expect(loadPolicy({ ...doc, version: 4 }).ref.hash).not.toBe(p.ref.hash);
  });

  it.each([
    ['not an object', []],
    ['bad id', { ...doc, id: 'Bad Id' }],
    ['version 0', { ...doc, version: 0 }],
    ['float version', { ...doc, version: 1.5 }],
    ['missing lists', { id: 'p', version: 1 }],
    ['repeated rule id', { ...doc, deny: [{ id: 'readers', actions: ['x'] }] }],
    ['empty action', { ...doc, allow: [{ id: 'a', agents: ['*'], actions: [''] }] }],
    ['deny rule matching nothing', { ...doc, deny: [{ id: 'd' }] }],
  ])('refuses %s', (_name, value) => {
    expect(codeOf(() => loadPolicy(value))).toBe('POLICY_MALFORMED');
  });
});

describe('evaluatePolicy', () => {
  const policy = loadPolicy(doc).document;
  it('allows by the first matching allow rule', () => {
    expect(evaluatePolicy(policy, { agent: 'bob', action: 'read.docs', resource: 'a' })).toEqual({
      decision: 'allow',
      reasons: ['rule:readers'],
      override: null,
    });
    expect(evaluatePolicy(policy, { agent: 'alice', action: 'write.file', resource: 'a' })).toEqual(
      { decision: 'allow', reasons: ['rule:alice-writes'], override: null },
    );
  });
  it('denies when nothing matches (fail closed)', () => {
    expect(evaluatePolicy(policy, { agent: 'bob', action: 'write.file', resource: 'a' })).toEqual({
      decision: 'deny',
      reasons: ['POLICY_NO_MATCH'],
      override: null,
    });
    // A prefix pattern does not match the bare prefix word.
    expect(evaluatePolicy(policy, { agent: 'bob', action: 'read', resource: 'a' }).decision).toBe(
      'deny',
    );
  });
  it('lets deny rules win over allow rules, naming every rule that denied', () => {
    expect(
      evaluatePolicy(policy, { agent: 'bob', action: 'read.keys', resource: 'secrets/k' }),
    ).toEqual({
      decision: 'deny',
      reasons: ['POLICY_DENIED', 'rule:no-secrets'],
      override: null,
    });
    expect(
      evaluatePolicy(policy, { agent: 'bob', action: 'delete.db', resource: 'prod/x' }).reasons,
    ).toEqual(['POLICY_DENIED', 'rule:no-prod-delete']);
    expect(
      evaluatePolicy(policy, { agent: 'bob', action: 'delete.db', resource: 'staging/x' }).reasons,
    ).toEqual(['POLICY_NO_MATCH']);
  });
});

describe('policy conditions and override holds', () => {
  const base = { agent: 'bob', action: 'pay.out', resource: 'acct/1' };
  const rules = loadPolicy({
    id: 'conditions',
    version: 1,
    allow: [{ id: 'pay', agents: ['*'], actions: ['pay.*'] }],
    deny: [
      { id: 'too-deep', min_depth: 4 },
      { id: 'huge', actions: ['pay.*'], inputs: [{ path: 'amount.value', op: 'gt', value: 1e6 }] },
      { id: 'wildcard-grant', scope_includes: ['*'] },
    ],
    require_override: [
      {
        id: 'large',
        actions: ['pay.*'],
        inputs: [{ path: 'amount.value', op: 'gte', value: 1000 }],
        approvers: ['*'],
      },
      { id: 'from-carol', principals: ['carol'], approvers: ['dave'], self_approval: 'allow' },
      { id: 'approver-agents', agent_roles: ['approver'], max_depth: 0, approvers: ['*'] },
    ],
  }).document;
  const verdict = (over: Record<string, unknown>) =>
    evaluatePolicy(rules, { ...base, scope: { actions: ['pay.*'], resources: [''] }, ...over });

  it('given no condition holds, the allow rule decides', () => {
    expect(verdict({ inputs: { amount: { value: 10 } } })).toMatchObject({
      decision: 'allow',
      reasons: ['rule:pay'],
    });
  });

  it('holds for a human when an input threshold is met, naming the rule', () => {
    const v = verdict({ inputs: { amount: { value: 1000 } } });
    expect(v).toMatchObject({
      decision: 'pending_override',
      reasons: ['OVERRIDE_REQUIRED', 'rule:large'],
    });
    expect(v.override?.id).toBe('large');
  });

  it('treats a missing or non-numeric input as failing its threshold', () => {
    expect(verdict({ inputs: {} }).decision).toBe('allow');
    expect(verdict({ inputs: { amount: { value: '5000' } } }).decision).toBe('allow');
    expect(verdict({ inputs: { amount: 5000 } }).decision).toBe('allow');
  });

  it('lets a deny rule win over an override hold', () => {
    expect(verdict({ inputs: { amount: { value: 2e6 } } }).reasons).toEqual([
      'POLICY_DENIED',
      'rule:huge',
    ]);
  });

  it('tests ancestry depth, grant scope, principals and agent roles', () => {
    expect(verdict({ depth: 3 }).decision).toBe('allow');
    expect(verdict({ depth: 4 }).reasons).toEqual(['POLICY_DENIED', 'rule:too-deep']);
    expect(verdict({ scope: { actions: ['*'], resources: [''] } }).reasons).toEqual([
      'POLICY_DENIED',
      'rule:wildcard-grant',
    ]);
    expect(verdict({ principals: ['alice', 'carol'] }).reasons).toEqual([
      'OVERRIDE_REQUIRED',
      'rule:from-carol',
    ]);
    expect(verdict({ agentRoles: ['agent', 'approver'] }).reasons).toEqual([
      'OVERRIDE_REQUIRED',
      'rule:approver-agents',
    ]);
    expect(verdict({ agentRoles: ['agent', 'approver'], depth: 1 }).decision).toBe('allow');
  });

  it('every threshold operator compares as named', () => {
    const ops = {
      gt: [2, 1, 1],
      gte: [1, 1, 0],
      lt: [0, 1, 1],
      lte: [1, 1, 2],
      eq: [1, 1, 2],
      neq: [2, 1, 1],
    };
    for (const [op, [yes, value, no]] of Object.entries(ops)) {
      const p = loadPolicy({
        id: 'ops',
        version: 1,
        allow: [{ id: 'a', agents: ['*'], actions: ['*'], inputs: [{ path: 'n', op, value }] }],
        deny: [],
      }).document;
      expect(evaluatePolicy(p, { ...base, inputs: { n: yes! } }).decision, op).toBe('allow');
      expect(evaluatePolicy(p, { ...base, inputs: { n: no! } }).decision, op).toBe('deny');
    }
  });

  it('an old document (allow and deny only) keeps its exact normalized form and hash', () => {
    const loaded = loadPolicy(doc);
    expect(loaded.document).toEqual(doc);
    expect(loaded.ref.hash).toBe(policyHash(doc as never));
  });

  it.each([
    ['an unknown rule field', { allow: [{ id: 'a', agents: ['*'], actions: ['x'], when: {} }] }],
    ['an unknown policy field', { extra: true }],
    ['an unknown role', { deny: [{ id: 'd', agent_roles: ['root'] }] }],
    ['a negative depth', { deny: [{ id: 'd', min_depth: -1 }] }],
    [
      'a threshold on a bad path',
      { deny: [{ id: 'd', inputs: [{ path: 'a..b', op: 'gt', value: 1 }] }] },
    ],
    [
      'a threshold with an unknown op',
      { deny: [{ id: 'd', inputs: [{ path: 'a', op: 'like', value: 1 }] }] },
    ],
    [
      'a non-numeric threshold',
      { deny: [{ id: 'd', inputs: [{ path: 'a', op: 'gt', value: '1' }] }] },
    ],
    ['an override rule without approvers', { require_override: [{ id: 'o', actions: ['x'] }] }],
    [
      'a bad self_approval',
      { require_override: [{ id: 'o', approvers: ['*'], self_approval: 'maybe' }] },
    ],
    ['require_override not a list', { require_override: {} }],
  ])('refuses %s (POLICY_MALFORMED)', (_name, over) => {
    expect(codeOf(() => loadPolicy({ id: 'p', version: 1, allow: [], deny: [], ...over }))).toBe(
      'POLICY_MALFORMED',
    );
  });
});
