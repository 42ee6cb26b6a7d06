import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeEd25519 } from '@lineage/keys';
import type { KeyPair } from '@lineage/keys';
import { Witness, ledgerLogKeys, serveWitness } from '@lineage/witness';
import type { WitnessServer } from '@lineage/witness';
import type { TestLedger } from './ledger.js';

/**
 * A witness named `name` of the test ledger's attestations topic (its trust store's governance
 * keys), its state in a fresh temporary folder, served on a free loopback port.
 */
export async function serveLedgerWitness(
  ledger: TestLedger,
  name: string,
  key: KeyPair,
): Promise<WitnessServer> {
  const witness = new Witness({
    name,
    key,
    logKeys: ledgerLogKeys(ledger.trust, [ledger.topics.attestations]),
    ed25519: nodeEd25519(),
    stateDir: await mkdtemp(join(tmpdir(), 'lineage-witness-')),
  });
  await witness.open();
  return serveWitness(witness);
}
