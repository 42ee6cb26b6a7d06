// The fixed values fixtures agree on: policies, runtimes and times.
import { digestOf, sha256Hex, utf8 } from '@lineage/protocol';
import type { Digest, JsonValue, KeyId, PolicyRef } from '@lineage/protocol';

/** The policy `makeAttestation` pins (by a stand-in hash). */
export const POLICY: PolicyRef = {
  id: 'default',
  version: 3,
  hash: sha256Hex(utf8('policy document v3')),
};
/** The runtime hash `makeAttestation` names. */
export const RUNTIME_HASH: Digest = sha256Hex(utf8('governance runtime manifest 1.0.0'));
/** When `makeAttestation` issues. */
export const ISSUED_AT = '2024-06-01T12:00:00Z';

/** The grant window used by `grantBody`: it holds the fixture intents' `requested_at`. */
export const GRANT_FROM = '2024-05-01T00:00:00Z';
export const GRANT_UNTIL = '2024-07-01T00:00:00Z';
/** When a fixture resolution is signed: after the fixture attestations' `ISSUED_AT`. */
export const RESOLVED_AT = '2024-06-01T12:05:00Z';
/** When a fixture release is issued. */
export const RELEASED_AT = '2024-03-01T00:00:00Z';

/** A governance runtime manifest (with its image) and its hash. */
export const RUNTIME_MANIFEST: JsonValue = {
  name: 'lineage-governance',
  version: '1.0.0',
  image: 'registry.example/lineage/governance@sha256:' + '0'.repeat(64),
};
export const RUNTIME_MANIFEST_HASH: Digest = digestOf(RUNTIME_MANIFEST);

/** A policy document and how predicates pin it. */
export interface FixturePolicy {
  id: string;
  version: number;
  document: JsonValue;
}

/** An allow-everything policy document `id` at `version`. */
export function allowAllPolicy(id: string, version: number): FixturePolicy {
  return {
    id,
    version,
    document: {
      id,
      version,
      allow: [{ id: 'allow-all', agents: ['*'], actions: ['*'] }],
      deny: [],
    },
  };
}

/** The policy every ledger decision pins unless told otherwise. */
export const DEFAULT_POLICY: FixturePolicy = allowAllPolicy('default', 3);
/** {@link DEFAULT_POLICY}'s document and hash. */
export const FIXTURE_POLICY: JsonValue = DEFAULT_POLICY.document;
export const FIXTURE_POLICY_HASH: Digest = digestOf(FIXTURE_POLICY);
/** The governance runtime manifest every ledger attestation names by hash. */
export const FIXTURE_RUNTIME_MANIFEST: JsonValue = { name: 'lineage-governance', version: '1.0.0' };
export const FIXTURE_RUNTIME: Digest = digestOf(FIXTURE_RUNTIME_MANIFEST);

/** A key id's shape for a name (these stand-ins sign nothing). */
export const agentKey = (name: string): Digest => sha256Hex(utf8(`agent:${name}`));
/** The principal a ledger's root grants name unless told otherwise. */
export const DEFAULT_PRINCIPAL = agentKey('principal') as string as KeyId;
