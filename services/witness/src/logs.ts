import { checkpointOrigin } from '@lineage/protocol';
import type { TrustStore } from '@lineage/protocol';

const PARTITION = /^(0|[1-9][0-9]{0,9})$/;

/**
 * The logs a Lineage witness follows: every partition of each ledger (attestations topic), signed
 * by any trust-store key with role `governance` under the key name = origin (checkpoint rule 2).
 */
export function ledgerLogKeys(
  trust: TrustStore,
  ledgers: readonly string[],
): (origin: string) => readonly Uint8Array[] | null {
  const keys = trust.document.keys
    .filter((k) => k.roles.includes('governance'))
    .map((k) => trust.get(k.keyid)!.publicKey);
  const prefixes = ledgers.map((l) => checkpointOrigin(l, 0).slice(0, -1));
  return (origin) => {
    const prefix = prefixes.find((p) => origin.startsWith(p));
    return prefix !== undefined && PARTITION.test(origin.slice(prefix.length)) ? keys : null;
  };
}
