// Trust stores for tests: entries for test keys and loaded stores.
import { loadTrustStore, toBase64 } from '@lineage/protocol';
import type { KeyRole, TrustStore, TrustStoreDocument, TrustedKey } from '@lineage/protocol';
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
