// Trust stores for tests: entries for test keys and loaded stores.
import { loadTrustStore, toBase64 } from '@lineage/protocol';
import type { KeyRole, TrustStore, TrustStoreDocument, TrustedKey } from '@lineage/protocol';
import { testKey } from './keys.js';
import type { TestKey } from './keys.js';

/** A trust store entry for a key, valid from 2020 with no end, not revoked unless overridden. */
export function trustedKey(
  key: Pick<TestKey, 'keyid' | 'publicKey'>,
  roles: KeyRole[],
  overrides: Partial<TrustedKey> = {},
): TrustedKey {
  return {
    keyid: key.keyid,
    name: `test ${roles.join('+')}`,
    public_key: toBase64(key.publicKey),
    roles,
    valid_from: '2020-01-01T00:00:00Z',
    valid_until: null,
    revoked_at: null,
    ...overrides,
  };
}

/** The version 1 trust store document listing `keys`. */
export function trustStoreDocument(...keys: TrustedKey[]): TrustStoreDocument {
  return { version: 1, keys };
}

/** The loaded trust store of `keys` (through JSON, as a file would be read). */
export function trustStoreOf(...keys: TrustedKey[]): TrustStore {
  return loadTrustStore(JSON.parse(JSON.stringify(trustStoreDocument(...keys))));
}

/** Fresh test keys by name, the trust-store entries of those with roles, and their loaded store. */
export interface Keyring<N extends string> {
  keys: Record<N, TestKey>;
  /** Entries of the trusted keys, in the order named. */
  entries: TrustedKey[];
  trust: TrustStore;
}

/**
 * A fresh key for each name, trusted in the roles given for it; a name given `null` gets a key the
 * store does not know (a stranger).
 */
export function keyring<N extends string>(roles: Record<N, KeyRole[] | null>): Keyring<N> {
  const keys = {} as Record<N, TestKey>;
  const entries: TrustedKey[] = [];
  for (const name of Object.keys(roles) as N[]) {
    keys[name] = testKey();
    const granted = roles[name];
    if (granted) entries.push(trustedKey(keys[name], granted));
  }
  return { keys, entries, trust: trustStoreOf(...entries) };
}
