import { describe, expect, it } from 'vitest';
import { testKey, trustStoreDocument, trustedKey } from '@lineage/testkit';
import { VerificationError } from '../errors.js';
import { loadTrustStore } from './store.js';

const governance = testKey();
const w1 = testKey();
const w2 = testKey();
const keys = [
  trustedKey(governance, ['governance']),
  trustedKey(w1, ['witness'], { name: 'w.test/1' }),
  trustedKey(w2, ['witness'], { name: 'w.test/2' }),
];
const load = (policy: unknown) =>
  loadTrustStore({ ...trustStoreDocument(...keys), witness_policy: policy });
const codeOf = (policy: unknown) => {
  try {
    load(policy);
    return 'loaded';
  } catch (e) {
    return e instanceof VerificationError ? e.code : String(e);
  }
};

describe('trust store witness policy (N of M)', () => {
  it('loads a quorum of named witness keys and keeps it in the document', () => {
    const store = load({ quorum: 2, witnesses: [w1.keyid, w2.keyid] });
    expect(store.witnessPolicy).toEqual({ quorum: 2, witnesses: [w1.keyid, w2.keyid] });
    expect(loadTrustStore(JSON.parse(JSON.stringify(store.document))).witnessPolicy?.quorum).toBe(
      2,
    );
    expect(loadTrustStore(trustStoreDocument(...keys)).witnessPolicy).toBeNull();
  });

  it('refuses a quorum out of range, a non-witness or unknown key, a repeat, an extra field', () => {
    for (const policy of [
      { quorum: 0, witnesses: [w1.keyid] },
      { quorum: 3, witnesses: [w1.keyid, w2.keyid] },
      { quorum: 1, witnesses: [governance.keyid] },
      { quorum: 1, witnesses: ['0'.repeat(64)] },
      { quorum: 1, witnesses: [w1.keyid, w1.keyid] },
      { quorum: 1, witnesses: [w1.keyid], extra: true },
      { quorum: '1', witnesses: [w1.keyid] },
    ])
      expect(codeOf(policy)).toBe('TRUST_STORE_MALFORMED');
  });
});
