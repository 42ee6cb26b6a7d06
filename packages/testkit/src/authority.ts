// Grants, override resolutions and release manifests, signed through the library's own signers.
import {
  GRANT_TYPE,
  RELEASE_TYPE,
  RESOLUTION_TYPE,
  attestationDigest,
  canonicalBytes,
  digestOf,
  signEnvelope,
  signGrant,
  signRelease,
  signResolution,
  toDsse,
} from '@lineage/protocol';
import type {
  Digest,
  DsseEnvelope,
  ExecutionId,
  GrantBody,
  JsonValue,
  KeyId,
  RawEnvelope,
  ResolutionBody,
  Scope,
  Signer,
} from '@lineage/protocol';
import { withOverrides } from './bytes.js';
import { GRANT_FROM, GRANT_UNTIL, RELEASED_AT, RESOLVED_AT, RUNTIME_MANIFEST } from './defaults.js';
import type { Attestation } from './attestation.js';

type Keyed = { keyid: string };

/** A valid grant by `principal` to `agent` for `payments.*` on `account:` under policy `default`. */
export function grantBody(
  principal: Keyed,
  agent: Keyed,
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

/** A grant envelope (JSON form) signed through `signGrant`; for a body it would refuse, `signBody`. */
export function grantEnvelope(
  signer: { signer: Signer },
  body: Record<string, unknown>,
): DsseEnvelope {
  return signGrant(body as unknown as Omit<GrantBody, '_type'>, signer.signer);
}

/** A scope covering every action on every resource. */
export const ANY_SCOPE: Scope = { actions: ['*'], resources: [''] };

/** What a grant says beyond its principal and agent (every field has a default). */
export interface GrantOptions {
  scope?: Scope;
  policy?: string;
  validFrom?: string;
  validUntil?: string;
  issuedAt?: string;
  grantId?: string;
}

let grants = 0;

/**
 * A grant (DSSE envelope JSON, as a root intent carries it) by `principal` for `agent`: by default
 * covering everything under policy `test`, valid 2000–2999, with a fresh grant id.
 */
export function grantFor(
  principal: Signer,
  agent: string,
  options: GrantOptions = {},
): DsseEnvelope {
  return signGrant(
    {
      grant_id: options.grantId ?? `test-grant-${++grants}`,
      principal: principal.keyid as KeyId,
      agent: agent as KeyId,
      scope: options.scope ?? ANY_SCOPE,
      policy: options.policy ?? 'test',
      valid_from: options.validFrom ?? '2000-01-01T00:00:00.000Z',
      valid_until: options.validUntil ?? '2999-01-01T00:00:00.000Z',
      issued_at: options.issuedAt ?? '2000-01-01T00:00:00.000Z',
    },
    principal,
  );
}

/** A valid approval by `approver` of the `pending_override` attestation `pending`. */
export function resolutionBody(
  approver: Keyed,
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
export function resolutionEnvelope(
  signer: { signer: Signer },
  body: Record<string, unknown>,
): DsseEnvelope {
  return toDsse(signResolution(body as unknown as Omit<ResolutionBody, '_type'>, signer.signer));
}

/** An approver's signed resolution (wire form) of the pending attestation `pending` of `executionId`. */
export function resolution(
  approver: Signer,
  executionId: string,
  pending: Digest,
  verdict: 'approve' | 'reject',
  options: { reason?: string; resolvedAt?: string; approverId?: string } = {},
): RawEnvelope {
  return signResolution(
    {
      execution_id: executionId as ExecutionId,
      pending,
      resolution: verdict,
      approver: (options.approverId ?? approver.keyid) as KeyId,
      reason: options.reason ?? `${verdict} in test`,
      resolved_at: options.resolvedAt ?? new Date().toISOString(),
    },
    approver,
  );
}

/** Signs the canonical bytes of any body (also one the library signers would not produce). */
export function signBody(
  signer: { signer: Signer },
  payloadType: string,
  body: unknown,
): RawEnvelope {
  return signEnvelope(payloadType, canonicalBytes(body), signer.signer);
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
  signer: { signer: Signer },
  manifests: JsonValue[] = [RUNTIME_MANIFEST],
  issuedAt = RELEASED_AT,
): RawEnvelope {
  return signRelease(manifests, issuedAt, signer.signer);
}
