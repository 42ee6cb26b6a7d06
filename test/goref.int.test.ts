// The Go reference (golang.org/x/mod/sumdb/note and sumdb/tlog) verifies what the checkpointer and
// witnesses sign: rule-2 checkpoints (key name = origin), cosignature/v1 lines, inclusion and
// consistency proofs. No Lineage code checks anything here; a flipped byte must make Go refuse.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkpointOrigin,
  consistencyProof,
  cosignLine,
  formatCheckpoint,
  inclusionProof,
  merkleRoot,
  signLedgerCheckpoint,
  toBase64,
} from '@lineage/protocol';
import { labelledKey } from '@lineage/testkit';
import { buildGoVerifier, goVerifierKey, runGoVerifier } from './kit/goref.js';
import type { GoInput } from './kit/goref.js';

const governance = labelledKey('goref governance');
const witness = labelledKey('goref witness');
const WITNESS = 'witness.lineage.test/w1';
const origin = checkpointOrigin('goref.attestations.v1', 3);
const leaves = Array.from({ length: 21 }, (_, i) => new TextEncoder().encode(`leaf ${i}`));

// A checkpoint of the first `size` leaves, signed under rule 2 and cosigned by the witness.
function cosigned(size: number, time: number): string {
  const checkpoint = { origin, size, root: merkleRoot(leaves.slice(0, size)) };
  const note = signLedgerCheckpoint(checkpoint, governance, time);
  return (
    note +
    cosignLine(formatCheckpoint(checkpoint), WITNESS, witness.signer, witness.publicKey, time + 1)
  );
}

let binary: string;
beforeAll(async () => {
  binary = await buildGoVerifier();
});

function input(): GoInput {
  const small = cosigned(8, 1_700_000_000);
  const large = cosigned(21, 1_700_000_100);
  const cosigners = [
    { name: origin, key: toBase64(governance.publicKey) },
    { name: WITNESS, key: toBase64(witness.publicKey) },
  ];
  const vkey = goVerifierKey(origin, governance.publicKey);
  return {
    notes: [small, large].map((note) => ({ note, vkey, cosigners })),
    inclusion: [0, 7, 8, 20].map((index) => ({
      leaf: toBase64(leaves[index]!),
      index,
      note: large,
      proof: inclusionProof(leaves.slice(0, 21), index).map(toBase64),
    })),
    consistency: [{ old: small, new: large, proof: consistencyProof(leaves, 8, 21).map(toBase64) }],
  };
}

describe('the Go reference verifies checkpoints, cosignatures and proofs', () => {
  it('accepts the log signature (key name = origin), both cosignatures and the proofs', async () => {
    const { code, out } = await runGoVerifier(binary, input());
    expect(out).toBe('ok: 2 notes, 4 inclusion proofs, 1 consistency proofs');
    expect(code).toBe(0);
  });

  it('refuses a note whose witness cosignature is by another key', async () => {
    const bad = input();
    const other = labelledKey('goref other');
    bad.notes[0]!.cosigners[1] = { name: WITNESS, key: toBase64(other.publicKey) };
    expect((await runGoVerifier(binary, bad)).code).toBe(1);
  });

  it('refuses a changed checkpoint text, a wrong inclusion path and a wrong consistency proof', async () => {
    const text = input();
    text.notes[1]!.note = text.notes[1]!.note.replace('\n21\n', '\n20\n');
    expect((await runGoVerifier(binary, text)).code).toBe(1);
    const path = input();
    path.inclusion[1]!.index = 6;
    expect((await runGoVerifier(binary, path)).code).toBe(1);
    const proof = input();
    proof.consistency[0]!.proof.reverse();
    expect((await runGoVerifier(binary, proof)).code).toBe(1);
  });
});
