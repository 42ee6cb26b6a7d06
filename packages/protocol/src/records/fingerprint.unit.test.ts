import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { executionFingerprint, sha256Hex, utf8 } from '../index.js';
import type { Digest, PolicyRef } from '../index.js';
import { readVector } from '@lineage/testkit';

interface FingerprintVector {
  execution_id: string;
  intent_digest: string;
  policy: { id: string; version: number; hash: string };
  canonical: string;
  fingerprint: string;
}
const file = readVector<{ source: string; formula: string; vectors: FingerprintVector[] }>(
  'fingerprint.json',
);
const v = file.vectors[0]!;
const policy: PolicyRef = {
  id: v.policy.id,
  version: v.policy.version,
  hash: v.policy.hash as Digest,
};
const intent = v.intent_digest as Digest;
const id = v.execution_id;

describe('executionFingerprint (test/vectors/fingerprint.json)', () => {
  it('the vector file documents its formula', () => {
    expect(file.source).toMatch(/fingerprint/);
    expect(file.formula).toMatch(/SHA-256/);
  });

  it('the expected value is SHA-256 of the hand-written canonical string (node:crypto)', () => {
    const canonical = `{"execution_id":"${v.execution_id}","intent":"${v.intent_digest}","policy":{"hash":"${v.policy.hash}","id":"${v.policy.id}","version":${v.policy.version}}}`;
    expect(canonical).toBe(v.canonical);
    expect(crypto.createHash('sha256').update(canonical, 'utf8').digest('hex')).toBe(v.fingerprint);
  });

  it('executionFingerprint reproduces it', () => {
    expect(executionFingerprint(id, intent, policy)).toBe(v.fingerprint);
  });

  it('ignores extra properties of the policy object and its key order', () => {
    const reordered = {
      version: policy.version,
      hash: policy.hash,
      id: policy.id,
      name: 'ignored',
    } as PolicyRef;
    expect(executionFingerprint(id, intent, reordered)).toBe(v.fingerprint);
  });

  it.each([
    [
      'the intent digest',
      () => executionFingerprint(id, sha256Hex(utf8('another intent')), policy),
    ],
    [
      'the policy hash',
      () =>
        executionFingerprint(id, intent, { ...policy, hash: sha256Hex(utf8('another policy')) }),
    ],
    [
      'the policy version',
      () => executionFingerprint(id, intent, { ...policy, version: policy.version + 1 }),
    ],
    ['the execution id', () => executionFingerprint(`${id.slice(0, -1)}f`, intent, policy)],
    ['the policy id', () => executionFingerprint(id, intent, { ...policy, id: `${policy.id}-2` })],
  ])('changing %s changes it', (_what, compute) => {
    const other = compute();
    expect(other).toMatch(/^[0-9a-f]{64}$/);
    expect(other).not.toBe(v.fingerprint);
  });

  it('a version given as a string is not the same policy (and cannot collide with the integer)', () => {
    expect(
      executionFingerprint(id, intent, {
        ...policy,
        version: String(policy.version) as unknown as number,
      }),
    ).not.toBe(v.fingerprint);
  });
});
