import { signGrant, signResolution } from '@lineage/protocol';
import type {
  Digest,
  ExecutionId,
  JsonValue,
  KeyId,
  RawEnvelope,
  Scope,
  Signer,
} from '@lineage/protocol';
import { generateKeyPair } from '@lineage/keys';
import type { KeyPair } from '@lineage/keys';
import type { IntentDraft } from '@lineage/sdk';

/**
 * The principal whose grants root test intents carry by default. One per test process; every
 * ledger under test trusts it with the `principal` role.
 */
export const TEST_PRINCIPAL: KeyPair = generateKeyPair();

/** The policy id default grants are issued under (the id of every test policy). */
export const TEST_POLICY_ID = 'test';

/** A scope covering every action on every resource. */
export const ANY_SCOPE: Scope = { actions: ['*'], resources: [''] };

export interface GrantOptions {
  principal?: Signer;
  scope?: Scope;
  policy?: string;
  validFrom?: string;
  validUntil?: string;
  issuedAt?: string;
  grantId?: string;
}

let grants = 0;

/**
 * A grant (DSSE envelope JSON, as a root intent carries it) for `agent`: by default signed by
 * {@link TEST_PRINCIPAL}, covering everything under the test policy id, valid 2000–2999.
 */
export function grantFor(agent: string, options: GrantOptions = {}): JsonValue {
  const principal = options.principal ?? TEST_PRINCIPAL.signer;
  return signGrant(
    {
      grant_id: options.grantId ?? `test-grant-${++grants}`,
      principal: principal.keyid as KeyId,
      agent: agent as KeyId,
      scope: options.scope ?? ANY_SCOPE,
      policy: options.policy ?? TEST_POLICY_ID,
      valid_from: options.validFrom ?? '2000-01-01T00:00:00.000Z',
      valid_until: options.validUntil ?? '2999-01-01T00:00:00.000Z',
      issued_at: options.issuedAt ?? '2000-01-01T00:00:00.000Z',
    },
    principal,
  ) as unknown as JsonValue;
}

/** An approver's signed resolution of the pending attestation `pending` of `executionId`. */
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

/** The draft with the default grant attached when it is a root that names no grant. */
export function withGrant(agent: string, draft: IntentDraft): IntentDraft {
  const root = (draft.parents ?? []).length === 0;
  return root && draft.grant === undefined ? { ...draft, grant: grantFor(agent) } : draft;
}
