import { describe, expect, it } from 'vitest';
import { BUNDLE_MEDIA_TYPE, buildBundle, verifyBundle } from './bundle.js';
import type { EvidenceBundle } from './bundle.js';
import type { BundleError } from '../errors.js';
import { digestOf } from '../encoding/digest.js';
import { toDsse } from '../encoding/dsse.js';
import { nobleEd25519 } from '../encoding/ed25519.js';
import { attestationDigest } from './attestation.js';
import type { Decision } from '../records/statement.js';
import type { ExecutionId } from '../records/ids.js';
import { makeAttestation, testKey, trustStoreOf, trustedKey } from '@lineage/testkit';

const governance = testKey();
const agent = testKey();
const stranger = testKey();
const policyDocument = { id: 'default', version: 3, allow: [], deny: [] };
const policy = { id: 'default', version: 3, hash: digestOf(policyDocument) };
const keys = [trustedKey(governance, ['governance']), trustedKey(agent, ['agent'])];

function execution(
  parents: ReturnType<typeof makeAttestation>[] = [],
  decision: Decision = 'allow',
  signer = agent,
) {
  const refs = parents.map((p) => ({
    execution_id: p.statement.predicate.execution_id as ExecutionId,
    attestation: attestationDigest(p.envelope),
  }));
  return makeAttestation({
    governance,
    agent: signer,
    intent: { parents: refs },
    predicate: { decision, policy, parents: refs, agent: signer.keyid },
  });
}

const root = execution();
const middle = execution([root]);
const target = execution([middle, root]);
const bundleOf = (...xs: ReturnType<typeof makeAttestation>[]) =>
  buildBundle(
    xs[0]!.statement.predicate.execution_id,
    xs.map((x) => x.envelope),
    keys,
    [policyDocument],
  );
const codeOf = (b: unknown, trust = undefined as ReturnType<typeof trustStoreOf> | undefined) => {
  try {
    verifyBundle(b, { ed25519: nobleEd25519, trust });
    return 'valid';
  } catch (e) {
    return (e as BundleError).code;
  }
};

describe('verifyBundle', () => {
  it('accepts a complete bundle, with its own keys or pinned by a trust store', () => {
    const bundle = bundleOf(target, middle, root);
    const verified = verifyBundle(bundle, { ed25519: nobleEd25519 });
    expect(verified.target.predicate.execution_id).toBe(target.statement.predicate.execution_id);
    expect(verified.attestations).toHaveLength(3);
    expect(codeOf(bundle, trustStoreOf(...keys))).toBe('valid');
    expect(codeOf(JSON.parse(JSON.stringify(bundle)))).toBe('valid');
  });

  it.each<[string, (b: EvidenceBundle) => unknown]>([
    ['not an object', () => 'nope'],
    ['another media type', (b) => ({ ...b, mediaType: 'application/json' })],
    ['malformed keys', (b) => ({ ...b, keys: [{ keyid: 'x' }] })],
  ])('BUNDLE_MALFORMED: %s', (_n, edit) => {
    expect(codeOf(edit(bundleOf(target, middle, root)))).toBe('BUNDLE_MALFORMED');
  });

  it('names the missing target, a missing ancestor and a denied ancestor', () => {
    const b = bundleOf(target, middle, root);
    expect(
      // Another id: the last hex digit changed (to one it is not).
      codeOf({
        ...b,
        execution_id: middle.statement.subject[0].name.replace(/.$/, (c) =>
          c === '0' ? '1' : '0',
        ),
      }),
    ).toBe('BUNDLE_TARGET_MISSING');
    expect(codeOf(bundleOf(target, root))).toBe('ANCESTOR_MISSING');
    expect(codeOf(bundleOf(target, middle))).toBe('ANCESTOR_MISSING');
    const deniedParent = execution([], 'deny');
    expect(codeOf(bundleOf(execution([deniedParent]), deniedParent))).toBe('ANCESTOR_NOT_ALLOWED');
    // A denied execution may descend from a denied one: that is consistent evidence.
    expect(codeOf(bundleOf(execution([deniedParent], 'deny'), deniedParent))).toBe('valid');
  });

  it('checks policies by content hash', () => {
    const b = bundleOf(target, middle, root);
    expect(codeOf({ ...b, policies: [] })).toBe('POLICY_MISSING');
    expect(
      codeOf({
        ...b,
        policies: [{ hash: policy.hash, document: { ...policyDocument, version: 4 } }],
      }),
    ).toBe('POLICY_HASH_MISMATCH');
  });

  it('refuses bundled keys that a given trust store does not hold', () => {
    const b = bundleOf(target, middle, root);
    expect(codeOf(b, trustStoreOf(keys[0]!))).toBe('KEY_MISMATCH');
  });

  it('surfaces the failing attestation check with its own code', () => {
    const b = bundleOf(target, middle, root);
    const tampered = structuredClone(b);
    tampered.attestations[1]!.signatures = tampered.attestations[2]!.signatures;
    expect(codeOf(tampered)).toBe('SIGNATURE_INVALID');
    expect(codeOf({ ...b, keys: [keys[1]!] })).toBe('KEY_UNKNOWN');
  });

  it('requires an allowed execution to carry an intent signed by the agent it names', () => {
    // Without the agent's key, who emitted the intent cannot be proven.
    expect(codeOf({ ...bundleOf(target, middle, root), keys: [keys[0]!] })).toBe(
      'INTENT_SIGNATURE_INVALID',
    );
    // An intent signed by a key that is not the named agent's.
    const forged = makeAttestation({
      governance,
      agent,
      intent: {},
      predicate: { policy, agent: stranger.keyid },
    });
    const b = buildBundle(
      forged.statement.predicate.execution_id,
      [forged.envelope],
      [...keys, trustedKey(stranger, ['agent'])],
      [policyDocument],
    );
    expect(codeOf(b)).toBe('INTENT_SIGNATURE_INVALID');
  });

  it('builds the documented shape', () => {
    const b = bundleOf(root);
    expect(b.mediaType).toBe(BUNDLE_MEDIA_TYPE);
    expect(b.attestations[0]).toEqual(toDsse(root.envelope));
    expect(b.policies).toEqual([{ hash: policy.hash, document: policyDocument }]);
  });
});
