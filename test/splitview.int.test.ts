// A split view: the operator, holding the governance key, forks partition 0 after two attestations
// and checkpoints the fork. The witness refuses the forked checkpoint (no consistency proof exists
// from what it cosigned), so a bundle proven against the fork fails under a 1-of-1 witness policy
// while the honest bundle passes. Without a policy both pass: that is the attack witnesses close.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attestationDigest,
  buildBundle,
  bundleInclusion,
  checkpointOrigin,
  consistencyProof,
  digestOf,
  formatAddCheckpoint,
  inclusionProof,
  loadTrustStore,
  merkleRoot,
  nobleEd25519,
  signLedgerCheckpoint,
  verifyBundle,
} from '@lineage/protocol';
import type { TrustStore } from '@lineage/protocol';
import { attestationAt, testKey, trustStoreDocument, trustedKey } from '@lineage/testkit';
import type { Attestation as Att } from '@lineage/testkit';
import { Witness, ledgerLogKeys, serveWitness } from '@lineage/witness';
import type { WitnessServer } from '@lineage/witness';

const LEDGER = 'splitview.attestations.v1';
const governance = testKey();
const agent = testKey();
const witnessKey = testKey();
const NAME = 'witness.lineage.test/split';
const policyDocument = { id: 'default', version: 3, allow: [], deny: [] };
const policy = { id: 'default', version: 3, hash: digestOf(policyDocument) };
const keys = [
  trustedKey(governance, ['governance']),
  trustedKey(agent, ['agent']),
  trustedKey(witnessKey, ['witness'], { name: NAME }),
];
const T = Math.floor(Date.now() / 1000);

const at = (partition: number, sequence: number, parents: Att[] = []): Att =>
  attestationAt({ governance, agent, policy }, partition, sequence, parents);

// The honest ledger, and the fork of partition 0 after its first two attestations.
const root = at(0, 0);
const middle = at(0, 1, [root]);
const target = at(1, 1, [middle]);
const honest = [
  [root, middle, at(0, 2), at(0, 3), at(0, 4)],
  [at(1, 0), target, at(1, 2)],
];
const forked = [[root, middle, at(0, 2), at(0, 3), at(0, 4), at(0, 5)], honest[1]!];
const payloadsOf = (ledger: Att[][]) => ledger.map((p) => p.map((a) => a.envelope.payload));

// The log-signed checkpoint of a whole partition of `ledger`.
function checkpointOf(ledger: Att[][], partition: number): string {
  const leaves = payloadsOf(ledger)[partition]!;
  const checkpoint = {
    origin: checkpointOrigin(LEDGER, partition),
    size: leaves.length,
    root: merkleRoot(leaves),
  };
  return signLedgerCheckpoint(checkpoint, governance, T);
}

// Submits a checkpoint to the witness: its answer, and the note with the cosignature when it gave one.
async function witnessed(url: string, ledger: Att[][], partition: number, old: number) {
  const note = checkpointOf(ledger, partition);
  const leaves = payloadsOf(ledger)[partition]!;
  const proof = old === 0 ? [] : consistencyProof(leaves, old, leaves.length);
  const res = await fetch(`${url}/add-checkpoint`, {
    method: 'POST',
    body: formatAddCheckpoint({ oldSize: old, proof, note }),
  });
  const body = await res.text();
  return { status: res.status, note: res.status === 200 ? note + body : note };
}

function bundleOn(ledger: Att[][], notes: string[]) {
  const payloads = payloadsOf(ledger);
  const evidence = [target, middle, root].map((a) => {
    const { partition, sequence } = a.statement.predicate;
    return {
      attestation: attestationDigest(a.envelope),
      partition,
      index: sequence,
      note: notes[partition]!,
      hashes: inclusionProof(payloads[partition]!, sequence),
    };
  });
  const bundle = buildBundle(
    target.statement.predicate.execution_id,
    [target, middle, root].map((x) => x.envelope),
    keys,
    [policyDocument],
    [],
    bundleInclusion(LEDGER, evidence),
  );
  return JSON.parse(JSON.stringify(bundle)) as unknown;
}

const codeOf = (bundle: unknown, trust: TrustStore) => {
  try {
    verifyBundle(bundle, { ed25519: nobleEd25519, trust });
    return 'valid';
  } catch (e) {
    return (e as { code: string }).code;
  }
};

describe('split view', () => {
  let served: WitnessServer;
  const plain = loadTrustStore(trustStoreDocument(...keys));
  const witnessed1of1 = loadTrustStore({
    ...trustStoreDocument(...keys),
    witness_policy: { quorum: 1, witnesses: [witnessKey.keyid] },
  });

  beforeAll(async () => {
    const witness = new Witness({
      name: NAME,
      key: witnessKey,
      logKeys: ledgerLogKeys(plain, [LEDGER]),
      ed25519: nobleEd25519,
      stateDir: await mkdtemp(join(tmpdir(), 'lineage-split-')),
    });
    await witness.open();
    served = await serveWitness(witness);
  });
  afterAll(() => served?.close());

  it('the witness refuses the fork; the fork bundle fails the policy, the honest one passes', async () => {
    // The honest checkpoints are witnessed first.
    const p0 = await witnessed(served.url, honest, 0, 0);
    const p1 = await witnessed(served.url, honest, 1, 0);
    expect([p0.status, p1.status]).toEqual([200, 200]);
    // The fork of partition 0 cannot be proven consistent with size 5, nor restarted from 0.
    const fork = await witnessed(served.url, forked, 0, 5);
    expect(fork.status).toBe(422);
    expect((await witnessed(served.url, forked, 0, 0)).status).toBe(409);

    const honestBundle = bundleOn(honest, [p0.note, p1.note]);
    const forkBundle = bundleOn(forked, [fork.note, p1.note]);
    // Without witnesses both views verify: the key holder can show each auditor a different one.
    expect(codeOf(honestBundle, plain)).toBe('valid');
    expect(codeOf(forkBundle, plain)).toBe('valid');
    // Under a 1-of-1 witness policy only the honest view does.
    expect(codeOf(honestBundle, witnessed1of1)).toBe('valid');
    expect(codeOf(forkBundle, witnessed1of1)).toBe('WITNESS_QUORUM_MISSING');
    // Copying the honest cosignature onto the fork's checkpoint does not help.
    const stolen = p0.note.split('\n').at(-2)!;
    const forgedNote = `${fork.note}${stolen}\n`;
    expect(codeOf(bundleOn(forked, [forgedNote, p1.note]), witnessed1of1)).toBe(
      'COSIGNATURE_INVALID',
    );
  });
});
