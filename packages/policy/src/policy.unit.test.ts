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
    });
    expect(evaluatePolicy(policy, { agent: 'alice', action: 'write.file', resource: 'a' })).toEqual(
      { decision: 'allow', reasons: ['rule:alice-writes'] },
    );
  });
  it('denies when nothing matches (fail closed)', () => {
    expect(evaluatePolicy(policy, { agent: 'bob', action: 'write.file', resource: 'a' })).toEqual({
      decision: 'deny',
      reasons: ['POLICY_NO_MATCH'],
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
    });
    expect(
      evaluatePolicy(policy, { agent: 'bob', action: 'delete.db', resource: 'prod/x' }).reasons,
    ).toEqual(['POLICY_DENIED', 'rule:no-prod-delete']);
    expect(
      evaluatePolicy(policy, { agent: 'bob', action: 'delete.db', resource: 'staging/x' }).reasons,
    ).toEqual(['POLICY_NO_MATCH']);
  });
});
