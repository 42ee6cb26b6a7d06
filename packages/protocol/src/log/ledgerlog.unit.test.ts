import { describe, expect, it } from 'vitest';
import {
  attestationLeaf,
  checkpointKeyName,
  checkpointOrigin,
  fromHex,
  inclusionProof,
  loadTrustStore,
  merkleRoot,
  nobleEd25519,
  toBase64,
  toHex,
  utf8,
  verifyInclusion,
  verifyLedgerCheckpoint,
} from '../index.js';
import { readVector } from '@lineage/testkit';

interface LedgerLogVector {
  payloads: string[];
  leaves: string[];
  root: string;
  inclusion: { index: number; size: number; hashes: string[] }[];
  origin: { topic: string; partition: number; origin: string };
  checkpoint_body: string;
  signer: { public_key: string; keyid: string; note_key_name: string };
  signed_note: string;
}
const v = readVector<LedgerLogVector>('ledger-log.json');
const payloads = v.payloads.map(utf8);

describe('the attestation log (test/vectors/ledger-log.json, hashes computed independently)', () => {
  it('leaf i is the RFC 6962 leaf hash of the DSSE payload, and the root matches', () => {
    expect(payloads.map((p) => toHex(attestationLeaf(p)))).toEqual(v.leaves);
    expect(toHex(merkleRoot(payloads))).toBe(v.root);
  });

  it('inclusion proofs match and verify', () => {
    for (const { index, size, hashes } of v.inclusion) {
      expect(inclusionProof(payloads, index).map(toHex)).toEqual(hashes);
      expect(() =>
        verifyInclusion(
          attestationLeaf(payloads[index]!),
          index,
          size,
          hashes.map(fromHex),
          fromHex(v.root),
        ),
      ).not.toThrow();
    }
  });

  it('names the origin and the note key as documented', () => {
    expect(checkpointOrigin(v.origin.topic, v.origin.partition)).toBe(v.origin.origin);
    expect(checkpointKeyName(v.signer.keyid)).toBe(v.signer.note_key_name);
  });

  it("a note signed with node:crypto verifies as this partition's checkpoint, and no other", () => {
    const trust = loadTrustStore({
      version: 1,
      keys: [
        {
          keyid: v.signer.keyid,
          name: 'rfc8032-test-1',
          public_key: toBase64(fromHex(v.signer.public_key)),
          roles: ['governance'],
          valid_from: '2000-01-01T00:00:00Z',
          valid_until: null,
          revoked_at: null,
        },
      ],
    });
    const ctx = { trust, ed25519: nobleEd25519 };
    const cp = verifyLedgerCheckpoint(v.signed_note, v.origin.topic, v.origin.partition, ctx);
    expect([cp.origin, cp.size, toHex(cp.root)]).toEqual([v.origin.origin, 3, v.root]);
    expect(() =>
      verifyLedgerCheckpoint(v.signed_note, v.origin.topic, v.origin.partition + 1, ctx),
    ).toThrow(expect.objectContaining({ code: 'CHECKPOINT_INVALID' }) as Error);
  });
});
