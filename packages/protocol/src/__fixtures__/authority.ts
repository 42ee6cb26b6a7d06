// Test support for grants, override resolutions and release manifests — never imported by non-test
// code. Signs with the keys of `./attestation.ts` and builds override attestations on `makeAttestation`.
import {
  GRANT_TYPE,
  RELEASE_TYPE,
  RESOLUTION_TYPE,
  attestationDigest,
  canonicalBytes,
  digestOf,
  signGrant,
  signRelease,
  signResolution,
  toDsse,
} from '../index.js';
import type {
  Digest,
  DsseEnvelope,
  GrantBody,
  JsonValue,
  Predicate,
  RawEnvelope,
  ResolutionBody,
} from '../index.js';
import { makeAttestation, signRaw } from './attestation.js';
import type { Attestation, TestKey } from './attestation.js';

/** The grant window used by `grantBody`: it holds the fixture intents' `requested_at`. */
export const GRANT_FROM = '2024-05-01T00:00:00Z';
export const GRANT_UNTIL = '2024-07-01T00:00:00Z';
/** When a fixture resolution is signed: after the fixture attestations' `ISSUED_AT`. */
export const RESOLVED_AT = '2024-06-01T12:05:00Z';
/** When a fixture release is issued. */
export const RELEASED_AT = '2024-03-01T00:00:00Z';

/** A governance runtime manifest and its hash: what attestations name as `runtime_hash`. */
export const RUNTIME_MANIFEST: JsonValue = {
  name: 'lineage-governance',
  version: '1.0.0',
  image: 'registry.example/lineage/governance@sha256:' + '0'.repeat(64),
};
export const RUNTIME_MANIFEST_HASH: Digest = digestOf(RUNTIME_MANIFEST);

// `{...base, ...overrides}` with the keys overridden to undefined dropped.
function withOverrides(
  base: Record<string, unknown>,
  overrides: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base, ...overrides };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}

/** A valid grant by `principal` to `agent` for `payments.*` on `account:` under policy `default`. */
export function grantBody(
  principal: TestKey,
  agent: TestKey,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return withOverrides(
    {
      _type: GRANT_TYPE,
      grant_id: 'grant-1',
      principal: principal.keyid,
      agent: agent.keyid,
      scope: { actions: ['payments.*'], resources: ['account:'] },
      policy: 'default',
      valid_from: GRANT_FROM,
      valid_until: GRANT_UNTIL,
      issued_at: GRANT_FROM,
    },
    overrides,
  );
}

/**
 * A grant envelope (JSON form) signed by `signer` through the library's `signGrant`. For a body the
 * library would not produce, use `signBody`.
 */
export function grantEnvelope(signer: TestKey, body: Record<string, unknown>): DsseEnvelope {
  return signGrant(body as unknown as Omit<GrantBody, '_type'>, signer.signer);
}

/** A valid approval by `approver` of the `pending_override` attestation `pending`. */
export function resolutionBody(
  approver: TestKey,
  pending: Attestation,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return withOverrides(
    {
      _type: RESOLUTION_TYPE,
      execution_id: pending.statement.predicate.execution_id,
      pending: attestationDigest(pending.envelope),
      resolution: 'approve',
      approver: approver.keyid,
      reason: 'checked with the account owner',
      resolved_at: RESOLVED_AT,
    },
    overrides,
  );
}

/** A resolution envelope (JSON form, as an override embeds it) signed through `signResolution`. */
export function resolutionEnvelope(signer: TestKey, body: Record<string, unknown>): DsseEnvelope {
  return toDsse(signResolution(body as unknown as Omit<ResolutionBody, '_type'>, signer.signer));
}

/** Signs the canonical bytes of any body (also one the library signers would not produce). */
export function signBody(signer: TestKey, payloadType: string, body: unknown): RawEnvelope {
  return signRaw(signer, payloadType, canonicalBytes(body));
}

/** A release body vouching for each manifest under its hash, issued at `RELEASED_AT`. */
export function releaseBody(
  manifests: JsonValue[] = [RUNTIME_MANIFEST],
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return withOverrides(
    {
      _type: RELEASE_TYPE,
      runtimes: manifests.map((manifest) => ({ hash: digestOf(manifest), manifest })),
      issued_at: RELEASED_AT,
    },
    overrides,
  );
}

/** A release (wire form) vouching for `manifests`, signed through `signRelease`. */
export function releaseEnvelope(
  signer: TestKey,
  manifests: JsonValue[] = [RUNTIME_MANIFEST],
  issuedAt = RELEASED_AT,
): RawEnvelope {
  return signRelease(manifests, issuedAt, signer.signer);
}

export interface OverrideOptions {
  governance: TestKey;
  /** The agent that signed the pending execution's intent. */
  agent: TestKey;
  /** The `pending_override` attestation being answered. */
  pending: Attestation;
  /** The signed resolution the override applies. */
  resolution: DsseEnvelope;
  /** Overrides applied to the predicate (default: an approval, `allow`). */
  predicate?: Partial<Predicate>;
}

/**
 * The `override` attestation governance issues for a resolution of `pending`: same execution, same
 * intent, policy and parents, answering the pending attestation by digest.
 */
export function makeOverride(opts: OverrideOptions): Attestation {
  const p = opts.pending.statement.predicate;
  const pendingDigest = attestationDigest(opts.pending.envelope);
  return makeAttestation({
    governance: opts.governance,
    agent: opts.agent,
    // The very intent the pending decision was made on.
    intent: JSON.parse(new TextDecoder().decode(opts.pending.intentPayload)) as Record<
      string,
      unknown
    >,
    predicate: {
      kind: 'override',
      decision: 'allow',
      reasons: ['OVERRIDE_APPROVED'],
      agent: p.agent,
      policy: p.policy,
      runtime_hash: p.runtime_hash,
      parents: p.parents,
      authorization: p.authorization,
      sequence: p.sequence + 1,
      prev: pendingDigest,
      issued_at: '2024-06-01T12:06:00Z',
      override: { pending: pendingDigest, resolution: opts.resolution },
      ...opts.predicate,
    },
  });
}
