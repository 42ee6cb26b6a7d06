import { describe, expect, it } from 'vitest';
import {
  GRANT_PAYLOAD_TYPE,
  RELEASE_PAYLOAD_TYPE,
  RESOLUTION_PAYLOAD_TYPE,
  attestationDigest,
  buildBundle,
  digestOf,
  fromDsse,
  nobleEd25519,
  sha256Hex,
  toDsse,
  utf8,
  verifyAttestation,
  verifyBundle,
} from '../index.js';
import type {
  Decision,
  DsseEnvelope,
  ExecutionId,
  JsonValue,
  Predicate,
  RawEnvelope,
  TrustStore,
  TrustedKey,
} from '../index.js';
import {
  errorOf,
  flipped,
  makeAttestation,
  keyring,
  trustStoreOf,
  RESOLVED_AT,
  RUNTIME_MANIFEST,
  RUNTIME_MANIFEST_HASH,
  makeOverride,
  releaseBody,
  releaseEnvelope,
  resolutionBody,
  resolutionEnvelope,
  signBody,
} from '@lineage/testkit';
import type { Attestation } from '@lineage/testkit';

const {
  keys: { governance, agent, approver, secondApprover, releaser, stranger },
  entries: keys,
  trust,
} = keyring({
  governance: ['governance'],
  agent: ['agent'],
  approver: ['approver'],
  secondApprover: ['approver'],
  releaser: ['release'],
  stranger: null,
});

const policyDocument = { id: 'default', version: 3, allow: [], deny: [] };
const policy = { id: 'default', version: 3, hash: digestOf(policyDocument) };

type ParentOf = Attestation | { execution: Attestation; via: Attestation };
const refsOf = (parents: ParentOf[]) =>
  parents.map((p) => {
    // A parent is named by its execution id and the digest of the attestation that settled it.
    const [execution, via] = 'via' in p ? [p.execution, p.via] : [p, p];
    return {
      execution_id: execution.statement.predicate.execution_id as ExecutionId,
      attestation: attestationDigest(via.envelope),
    };
  });

/** A decision under the bundled policy and the released runtime. */
function execution(
  decision: Decision = 'allow',
  parents: ParentOf[] = [],
  predicate: Partial<Predicate> = {},
) {
  const refs = refsOf(parents);
  return makeAttestation({
    governance,
    agent,
    intent: { parents: refs },
    predicate: {
      decision,
      reasons: decision === 'pending_override' ? ['OVERRIDE_REQUIRED'] : [],
      policy,
      parents: refs,
      runtime_hash: RUNTIME_MANIFEST_HASH,
      ...predicate,
    },
  });
}

/** The override of `pending` that applies `resolution` (by default, `approver`'s approval). */
function override(
  pending: Attestation,
  resolution: DsseEnvelope = resolutionEnvelope(approver, resolutionBody(approver, pending)),
  predicate: Partial<Predicate> = {},
) {
  return makeOverride({ governance, agent, pending, resolution, predicate });
}
const rejection = (pending: Attestation) =>
  override(
    pending,
    resolutionEnvelope(approver, resolutionBody(approver, pending, { resolution: 'reject' })),
    { decision: 'deny', reasons: ['OVERRIDE_REJECTED'] },
  );

const verify = (a: Attestation, store: TrustStore = trust) =>
  verifyAttestation(a.envelope, { trust: store, ed25519: nobleEd25519 });
const invalid = { type: 'VerificationError', code: 'OVERRIDE_INVALID' };

describe('verifyAttestation: override attestations', () => {
  const pending = execution('pending_override');

  it('accepts an approval applied as allow', () => {
    const approved = override(pending);
    const verified = verify(approved);
    expect(verified.predicate.kind).toBe('override');
    expect(verified.predicate.decision).toBe('allow');
    expect(verified.predicate.override?.pending).toBe(attestationDigest(pending.envelope));
  });

  it('signResolution signs the canonical resolution under the resolution payload type', () => {
    const body = resolutionBody(approver, pending);
    expect(resolutionEnvelope(approver, body)).toEqual(
      toDsse(signBody(approver, RESOLUTION_PAYLOAD_TYPE, body)),
    );
  });

  it('accepts a rejection applied as deny', () => {
    expect(verify(rejection(pending)).predicate.decision).toBe('deny');
  });

  it('accepts a resolution whose approver signature follows a stranger’s', () => {
    const approval = resolutionEnvelope(approver, resolutionBody(approver, pending));
    const byStranger = resolutionEnvelope(stranger, resolutionBody(approver, pending));
    const both = { ...approval, signatures: [...byStranger.signatures, ...approval.signatures] };
    expect(verify(override(pending, both)).predicate.kind).toBe('override');
  });

  const approval = resolutionEnvelope(approver, resolutionBody(approver, pending));
  const another = execution('pending_override');

  it.each<[string, () => Attestation]>([
    [
      'a resolution payload that is not base64',
      () => override(pending, { ...approval, payload: '%%' }),
    ],
    [
      'a resolution payload that is not a resolution',
      () =>
        override(pending, toDsse(signBody(approver, RESOLUTION_PAYLOAD_TYPE, { approve: true }))),
    ],
    [
      'a resolution under another payload type',
      () =>
        override(
          pending,
          toDsse(signBody(approver, GRANT_PAYLOAD_TYPE, resolutionBody(approver, pending))),
        ),
    ],
    ['an unsigned resolution', () => override(pending, { ...approval, signatures: [] })],
    [
      'a resolution with a flipped signature bit',
      () => {
        const raw = fromDsse(approval);
        const sig = flipped(raw.signatures[0]!.sig, 0);
        return override(pending, toDsse({ ...raw, signatures: [{ keyid: approver.keyid, sig }] }));
      },
    ],
    [
      'a resolution signed by a key not in the trust store',
      () => override(pending, resolutionEnvelope(stranger, resolutionBody(stranger, pending))),
    ],
    [
      'a resolution signed by a key without the approver role',
      () => override(pending, resolutionEnvelope(governance, resolutionBody(governance, pending))),
    ],
    [
      'a resolution signed by one approver in another approver’s name',
      () =>
        override(pending, resolutionEnvelope(secondApprover, resolutionBody(approver, pending))),
    ],
    [
      'a resolution of another pending decision',
      () =>
        override(
          pending,
          resolutionEnvelope(
            approver,
            resolutionBody(approver, pending, { pending: attestationDigest(another.envelope) }),
          ),
        ),
    ],
    [
      'an override naming another pending decision than its resolution',
      () =>
        override(pending, approval, {
          override: { pending: attestationDigest(another.envelope), resolution: approval },
        }),
    ],
    [
      'a resolution of another execution',
      () =>
        override(
          pending,
          resolutionEnvelope(
            approver,
            resolutionBody(approver, pending, {
              execution_id: another.statement.predicate.execution_id,
            }),
          ),
        ),
    ],
    ['an approval applied as deny', () => override(pending, approval, { decision: 'deny' })],
    [
      'an approval applied as pending_override',
      () => override(pending, approval, { decision: 'pending_override' }),
    ],
    [
      'a rejection applied as allow',
      () =>
        override(
          pending,
          resolutionEnvelope(approver, resolutionBody(approver, pending, { resolution: 'reject' })),
        ),
    ],
  ])('OVERRIDE_INVALID: %s', (_name, make) => {
    expect(errorOf(() => verify(make()))).toEqual(invalid);
  });

  it.each<[string, Partial<TrustedKey>]>([
    ['not yet valid', { valid_from: '2024-06-01T12:05:01Z' }],
    ['revoked', { revoked_at: '2024-06-01T12:04:59Z' }],
    ['expired', { valid_until: RESOLVED_AT }],
  ])('OVERRIDE_INVALID: an approver key %s when it resolved', (_name, edit) => {
    const store = trustStoreOf(
      ...keys.map((k) => (k.keyid === approver.keyid ? { ...k, ...edit } : k)),
    );
    expect(errorOf(() => verify(override(pending), store))).toEqual(invalid);
  });

  it('accepts an approver key revoked only after it resolved', () => {
    const store = trustStoreOf(
      ...keys.map((k) =>
        k.keyid === approver.keyid ? { ...k, revoked_at: '2024-06-01T12:05:01Z' } : k,
      ),
    );
    expect(verify(override(pending), store).predicate.decision).toBe('allow');
  });
});

// Runs the verifier; 'valid' or the error code.
const codeOf = (bundle: unknown, store?: TrustStore) => {
  try {
    verifyBundle(bundle, { ed25519: nobleEd25519, trust: store });
    return 'valid';
  } catch (e) {
    return (e as { code: string }).code;
  }
};
function bundleOf(
  attestations: Attestation[],
  releases: RawEnvelope[] = [],
  executionId = attestations[0]!.statement.predicate.execution_id,
) {
  return buildBundle(
    executionId,
    attestations.map((a) => a.envelope),
    keys,
    [policyDocument],
    releases,
  );
}
const release = releaseEnvelope(releaser, [RUNTIME_MANIFEST]);
const idOf = (a: Attestation) => a.statement.predicate.execution_id;

describe('verifyBundle: overrides', () => {
  const pending = execution('pending_override');
  const approved = override(pending);

  it('settles an overridden execution by its override', () => {
    // Given the pending decision and the override answering it, in either order.
    for (const order of [
      [approved, pending],
      [pending, approved],
    ]) {
      // When the bundle for the execution is verified.
      const verified = verifyBundle(bundleOf(order, [], idOf(pending)), { ed25519: nobleEd25519 });
      // Then the override is the target and the pending attestation the decision.
      expect(verified.target.digest).toBe(attestationDigest(approved.envelope));
      expect(verified.target.predicate.decision).toBe('allow');
      expect(verified.decision.digest).toBe(attestationDigest(pending.envelope));
    }
  });

  it('settles a rejected execution as denied', () => {
    const rejected = rejection(pending);
    const verified = verifyBundle(bundleOf([rejected, pending]), { ed25519: nobleEd25519 });
    expect(verified.target.digest).toBe(attestationDigest(rejected.envelope));
    expect(verified.target.predicate.decision).toBe('deny');
  });

  it('settles a pending execution without an override by its decision', () => {
    const verified = verifyBundle(bundleOf([pending]), { ed25519: nobleEd25519 });
    expect(verified.target.digest).toBe(attestationDigest(pending.envelope));
    expect(verified.target.predicate.decision).toBe('pending_override');
  });

  it('ignores an override of another execution’s decision', () => {
    const other = execution('pending_override');
    const verified = verifyBundle(bundleOf([pending, override(other), other]), {
      ed25519: nobleEd25519,
    });
    expect(verified.target.digest).toBe(attestationDigest(pending.envelope));
  });

  it('BUNDLE_TARGET_MISSING: an override without any decision of its execution', () => {
    expect(codeOf(bundleOf([approved]))).toBe('BUNDLE_TARGET_MISSING');
  });

  it('ANCESTOR_MISSING: an override reached through a child, its pending decision absent', () => {
    const child = execution('allow', [{ execution: pending, via: approved }]);
    expect(codeOf(bundleOf([child, approved, pending]))).toBe('valid');
    expect(codeOf(bundleOf([child, approved]))).toBe('ANCESTOR_MISSING');
  });

  it('ANCESTOR_MISSING: an override answering a decision that was not pending', () => {
    const allowed = execution('allow');
    const answering = override(allowed);
    expect(codeOf(bundleOf([answering, allowed]))).toBe('ANCESTOR_MISSING');
  });

  it('ANCESTOR_MISSING: an override of another execution naming this decision', () => {
    // Its resolution names this decision by digest but another execution id; the override is
    // well signed, but the decision it answers is not its own execution's.
    const other = execution('pending_override');
    const foreignResolution = resolutionEnvelope(
      approver,
      resolutionBody(approver, other, { pending: attestationDigest(pending.envelope) }),
    );
    const foreign = override(other, foreignResolution, {
      override: { pending: attestationDigest(pending.envelope), resolution: foreignResolution },
    });
    expect(verify(foreign).predicate.kind).toBe('override');
    expect(codeOf(bundleOf([pending, foreign], [], idOf(pending)))).toBe('ANCESTOR_MISSING');
  });

  it('accepts a child of an approved execution that names the override', () => {
    // Given an execution approved by override, and a child naming the override as its parent.
    const child = execution('allow', [{ execution: pending, via: approved }]);
    // When the child's bundle is verified.
    const verified = verifyBundle(bundleOf([child, approved, pending]), { ed25519: nobleEd25519 });
    // Then the child is the target and the whole chain is verified.
    expect(verified.target.predicate.execution_id).toBe(idOf(child));
    expect(verified.attestations).toHaveLength(3);
    expect(codeOf(bundleOf([child, approved, pending]), trust)).toBe('valid');
  });

  it('ANCESTOR_NOT_ALLOWED: an allowed child of the pending decision or of a rejection', () => {
    const viaPending = execution('allow', [pending]);
    expect(codeOf(bundleOf([viaPending, approved, pending]))).toBe('ANCESTOR_NOT_ALLOWED');
    const rejected = rejection(pending);
    const viaRejection = execution('allow', [{ execution: pending, via: rejected }]);
    expect(codeOf(bundleOf([viaRejection, rejected, pending]))).toBe('ANCESTOR_NOT_ALLOWED');
  });

  it('surfaces an override with an invalid resolution as OVERRIDE_INVALID', () => {
    const forged = override(
      pending,
      resolutionEnvelope(stranger, resolutionBody(stranger, pending)),
    );
    expect(codeOf(bundleOf([forged, pending]))).toBe('OVERRIDE_INVALID');
  });
});

describe('verifyBundle: releases', () => {
  const pending = execution('pending_override');
  const approved = override(pending);
  const child = execution('allow', [{ execution: pending, via: approved }]);
  const chain = [child, approved, pending];

  it('runtimeVerified: every attestation’s runtime is vouched for by a bundled release', () => {
    const verified = verifyBundle(bundleOf(chain, [release]), { ed25519: nobleEd25519 });
    expect(verified.runtimeVerified).toBe(true);
    expect(verified.attestations.map((a) => a.runtimeVerified)).toEqual([true, true, true]);
    expect(codeOf(bundleOf(chain, [release]), trust)).toBe('valid');
  });

  it('runtimeVerified is false without releases', () => {
    const verified = verifyBundle(bundleOf(chain), { ed25519: nobleEd25519 });
    expect(verified.runtimeVerified).toBe(false);
    expect(verified.attestations.map((a) => a.runtimeVerified)).toEqual([false, false, false]);
  });

  it('runtimeVerified is false when a release vouches for other runtimes only', () => {
    const elsewhere = releaseEnvelope(releaser, [{ name: 'lineage-governance', version: '0.9.0' }]);
    expect(
      verifyBundle(bundleOf(chain, [elsewhere]), { ed25519: nobleEd25519 }).runtimeVerified,
    ).toBe(false);
    // Together with the right release, it is.
    expect(
      verifyBundle(bundleOf(chain, [elsewhere, release]), { ed25519: nobleEd25519 })
        .runtimeVerified,
    ).toBe(true);
  });

  it('runtimeVerified is false when one attestation ran on an unreleased runtime', () => {
    const unreleased = execution('allow', [], {
      runtime_hash: sha256Hex(utf8('unreleased build')),
    });
    const parented = execution('allow', [unreleased]);
    const verified = verifyBundle(bundleOf([parented, unreleased], [release]), {
      ed25519: nobleEd25519,
    });
    expect(verified.runtimeVerified).toBe(false);
    expect(verified.attestations.map((a) => a.runtimeVerified)).toEqual([true, false]);
  });

  const tampered = (): RawEnvelope => ({
    ...release,
    payload: new TextEncoder().encode(
      new TextDecoder().decode(release.payload).replace('1.0.0', '6.6.6'),
    ),
  });

  it.each<[string, () => unknown]>([
    ['signed by a governance key', () => toDsse(releaseEnvelope(governance))],
    ['signed by a key that is not bundled', () => toDsse(releaseEnvelope(stranger))],
    ['changed after signing', () => toDsse(tampered())],
    [
      'vouching for a hash that is not its manifest’s',
      () =>
        toDsse(
          signBody(
            releaser,
            RELEASE_PAYLOAD_TYPE,
            releaseBody([], {
              runtimes: [{ hash: RUNTIME_MANIFEST_HASH, manifest: { name: 'other' } as JsonValue }],
            }),
          ),
        ),
    ],
    ['not an envelope', () => ({ runtimes: [RUNTIME_MANIFEST_HASH] })],
  ])('RELEASE_INVALID: a release %s', (_name, forged) => {
    const b = bundleOf(chain, [release]);
    expect(codeOf(b)).toBe('valid');
    expect(codeOf({ ...b, releases: [...b.releases!, forged()] })).toBe('RELEASE_INVALID');
  });

  it('RELEASE_INVALID: a release key that the given trust store does not trust for releases', () => {
    const store = trustStoreOf(
      ...keys.map((k) =>
        k.keyid === releaser.keyid ? { ...k, roles: ['governance' as const] } : k,
      ),
    );
    expect(codeOf(bundleOf(chain, [release]), store)).toBe('RELEASE_INVALID');
  });

  it('BUNDLE_MALFORMED: releases that are not a list', () => {
    const b = bundleOf(chain, [release]);
    expect(codeOf({ ...b, releases: toDsse(release) })).toBe('BUNDLE_MALFORMED');
  });
});
