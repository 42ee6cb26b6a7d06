import { describe, expect, it } from 'vitest';
import { buildBundle, verifyBundle } from '../verify/bundle.js';
import type { EvidenceBundle } from '../verify/bundle.js';
import type { BundleError } from '../errors.js';
import { InclusionError } from '../errors.js';
import { fromBase64, toBase64 } from '../encoding/bytes.js';
import { formatCheckpoint, signCheckpoint } from './checkpoint.js';
import { digestOf } from '../encoding/digest.js';
import { nobleEd25519 } from '../encoding/ed25519.js';
import { bundleInclusion } from './inclusion.js';
import { checkpointSigners, verifyLedgerCheckpoint } from './ledgercheckpoint.js';
import type { ConsistencyEvidence, InclusionEvidence } from './inclusion.js';
import { checkpointKeyName, checkpointOrigin } from './ledgerlog.js';
import { consistencyProof, inclusionProof, merkleRoot } from './merkle.js';
import { attestationDigest } from '../verify/attestation.js';
import { attestationAt, flipped, testKey, trustStoreOf, trustedKey } from '@lineage/testkit';
import type { Attestation as Att, TestKey } from '@lineage/testkit';

const LEDGER = 'lineage.attestations.v1';
const governance = testKey();
const agent = testKey();
const policyDocument = { id: 'default', version: 3, allow: [], deny: [] };
const policy = { id: 'default', version: 3, hash: digestOf(policyDocument) };
const keys = [trustedKey(governance, ['governance']), trustedKey(agent, ['agent'])];

const at = (partition: number, sequence: number, parents: Att[] = []): Att =>
  attestationAt({ governance, agent, policy }, partition, sequence, parents);

// Given a ledger of two partitions: root at 0/0, middle at 0/1, target at 1/1, and fillers.
const root = at(0, 0);
const middle = at(0, 1, [root]);
const target = at(1, 1, [middle]);
const ledger: Att[][] = [
  [root, middle, at(0, 2), at(0, 3), at(0, 4)],
  [at(1, 0), target, at(1, 2)],
];
const payloads = ledger.map((p) => p.map((a) => a.envelope.payload));

function note(partition: number, size: number, key: TestKey = governance, origin?: string) {
  const body = formatCheckpoint({
    origin: origin ?? checkpointOrigin(LEDGER, partition),
    size,
    root: merkleRoot(payloads[partition]!.slice(0, size)),
  });
  return signCheckpoint(body, checkpointKeyName(key.keyid), key.signer, key.publicKey);
}

function evidence(a: Att, notes: string[] = [note(0, 5), note(1, 3)]): InclusionEvidence {
  const { partition, sequence } = a.statement.predicate;
  const size = Number(/\n(\d+)\n/.exec(notes[partition]!)![1]);
  return {
    attestation: attestationDigest(a.envelope),
    partition,
    index: sequence,
    note: notes[partition]!,
    hashes: inclusionProof(payloads[partition]!.slice(0, size), sequence),
  };
}

const proven = (xs: Att[] = [target, middle, root], proofs: Att[] = xs) =>
  buildBundle(
    target.statement.predicate.execution_id,
    xs.map((x) => x.envelope),
    keys,
    [policyDocument],
    [],
    bundleInclusion(
      LEDGER,
      proofs.map((x) => evidence(x)),
    ),
  );

// target, middle and root, each proven against the checkpoint of its partition in `notes`.
const bundleOn = (notes: string[], consistency: ConsistencyEvidence[] = []) =>
  buildBundle(
    target.statement.predicate.execution_id,
    [target, middle, root].map((x) => x.envelope),
    keys,
    [policyDocument],
    [],
    bundleInclusion(
      LEDGER,
      [target, middle, root].map((x) => evidence(x, notes)),
      consistency,
    ),
  );

const codeOf = (b: unknown, trust?: ReturnType<typeof trustStoreOf>) => {
  try {
    verifyBundle(b, { ed25519: nobleEd25519, trust });
    return 'valid';
  } catch (e) {
    return (e as BundleError).code;
  }
};
const edited = (edit: (b: EvidenceBundle) => void): EvidenceBundle => {
  const b = structuredClone(proven());
  edit(b);
  return b;
};

describe('inclusion proofs in bundles', () => {
  it('proves every attestation included against deduplicated signed checkpoints', () => {
    const b = proven();
    // root and middle share partition 0's checkpoint: one note for both.
    expect(b.checkpoints).toHaveLength(2);
    expect(b.ledger).toBe(LEDGER);
    const verified = verifyBundle(JSON.parse(JSON.stringify(b)), { ed25519: nobleEd25519 });
    expect(verified.included).toBe(true);
    expect(verified.attestations.map((a) => a.included)).toEqual([true, true, true]);
    expect(verified.target.included).toBe(true);
    expect(codeOf(b, trustStoreOf(...keys))).toBe('valid');
  });

  it('accepts an older checkpoint that already covers the attestation', () => {
    const b = bundleOn([note(0, 2), note(1, 2)]);
    expect(verifyBundle(b, { ed25519: nobleEd25519 }).included).toBe(true);
  });

  it('keeps a bundle without proofs valid, reported not included', () => {
    const b = proven([target, middle, root], []);
    expect(b.proofs).toBeUndefined();
    const verified = verifyBundle(b, { ed25519: nobleEd25519 });
    expect(verified.included).toBe(false);
    expect(verified.attestations.every((a) => !a.included)).toBe(true);
  });

  it('reports which attestations are proven when only some are', () => {
    const verified = verifyBundle(proven([target, middle, root], [root]), {
      ed25519: nobleEd25519,
    });
    expect(verified.included).toBe(false);
    expect(verified.attestations.map((a) => a.included)).toEqual([false, false, true]);
  });

  it('INCLUSION_PROOF_INVALID: an altered proof hash', () => {
    const b = edited((x) => {
      const h = x.proofs![0]!.hashes;
      h[0] = toBase64(flipped(fromBase64(h[0]!), 3));
    });
    expect(codeOf(b)).toBe('INCLUSION_PROOF_INVALID');
    // A hash dropped, or one too many.
    expect(codeOf(edited((x) => void x.proofs![1]!.hashes.pop()))).toBe('INCLUSION_PROOF_INVALID');
    expect(codeOf(edited((x) => void x.proofs![1]!.hashes.push(x.proofs![1]!.hashes[0]!)))).toBe(
      'INCLUSION_PROOF_INVALID',
    );
    // Not base64 of 32 bytes.
    expect(codeOf(edited((x) => (x.proofs![0]!.hashes[0] = 'AAAA')))).toBe(
      'INCLUSION_PROOF_INVALID',
    );
  });

  it('INCLUSION_PROOF_INVALID: another leaf (a validly signed attestation not on the ledger)', () => {
    // Same partition and sequence as root, signed by governance, but not the checkpointed leaf.
    const impostor = at(0, 0);
    const alone = buildBundle(
      impostor.statement.predicate.execution_id,
      [impostor.envelope],
      keys,
      [policyDocument],
      [],
      bundleInclusion(LEDGER, [
        { ...evidence(root), attestation: attestationDigest(impostor.envelope) },
      ]),
    );
    expect(codeOf(alone)).toBe('INCLUSION_PROOF_INVALID');
    // A proof naming another bundled attestation than the one it was made for.
    expect(codeOf(edited((x) => (x.proofs![2]!.attestation = x.proofs![1]!.attestation)))).toBe(
      'BUNDLE_MALFORMED',
    );
  });

  it('INCLUSION_PROOF_INVALID: an altered index', () => {
    expect(codeOf(edited((x) => (x.proofs![2]!.index = 1)))).toBe('INCLUSION_PROOF_INVALID');
    expect(codeOf(edited((x) => (x.proofs![2]!.index = 99)))).toBe('INCLUSION_PROOF_INVALID');
    expect(codeOf(edited((x) => (x.proofs![2]!.partition = 1)))).toBe('INCLUSION_PROOF_INVALID');
    expect(codeOf(edited((x) => (x.proofs![2]!.checkpoint = 7)))).toBe('INCLUSION_PROOF_INVALID');
  });

  it('INCLUSION_PROOF_INVALID: an index beyond a validly signed smaller checkpoint', () => {
    // A checkpoint of partition 0 at size 1 cannot prove middle (sequence 1).
    const notes = [note(0, 1), note(1, 3)];
    const e = { ...evidence(middle), note: notes[0]! };
    const b = buildBundle(
      target.statement.predicate.execution_id,
      [target, middle, root].map((x) => x.envelope),
      keys,
      [policyDocument],
      [],
      bundleInclusion(LEDGER, [e]),
    );
    expect(codeOf(b)).toBe('INCLUSION_PROOF_INVALID');
  });

  it('CHECKPOINT_INVALID: altered checkpoint text, root or signature', () => {
    const root0 = toBase64(merkleRoot(payloads[0]!));
    // The size line changed: the signature no longer covers the text.
    expect(
      codeOf(edited((x) => (x.checkpoints![1] = x.checkpoints![1]!.replace('\n5\n', '\n6\n')))),
    ).toBe('CHECKPOINT_INVALID');
    // The root changed.
    expect(
      codeOf(
        edited(
          (x) =>
            (x.checkpoints![1] = x.checkpoints![1]!.replace(
              root0,
              toBase64(merkleRoot(payloads[0]!.slice(0, 4))),
            )),
        ),
      ),
    ).toBe('CHECKPOINT_INVALID');
    // One bit of the signature changed.
    expect(
      codeOf(
        edited((x) => {
          const [text, line] = x.checkpoints![1]!.split('\n\n') as [string, string];
          const [dash, name, sig] = line.trimEnd().split(' ') as [string, string, string];
          const bad = toBase64(flipped(fromBase64(sig), 20));
          x.checkpoints![1] = `${text}\n\n${dash} ${name} ${bad}\n`;
        }),
      ),
    ).toBe('CHECKPOINT_INVALID');
    // Not a note at all.
    expect(codeOf(edited((x) => (x.checkpoints![1] = 'garbage')))).toBe('CHECKPOINT_INVALID');
  });

  it('CHECKPOINT_INVALID: signed by a key without the governance role, or for another log', () => {
    const notes = (n: string) => [n, note(1, 3)];
    const bundleWith = (n: string) =>
      buildBundle(
        target.statement.predicate.execution_id,
        [target, middle, root].map((x) => x.envelope),
        keys,
        [policyDocument],
        [],
        bundleInclusion(LEDGER, [{ ...evidence(root, notes(n)) }]),
      );
    expect(codeOf(bundleWith(note(0, 5, agent)))).toBe('CHECKPOINT_INVALID');
    const stranger = testKey();
    expect(codeOf(bundleWith(note(0, 5, stranger)))).toBe('CHECKPOINT_INVALID');
    expect(codeOf(bundleWith(note(0, 5, governance, checkpointOrigin('other.topic', 0))))).toBe(
      'CHECKPOINT_INVALID',
    );
    expect(codeOf(bundleWith(note(0, 5, governance, checkpointOrigin(LEDGER, 1))))).toBe(
      'CHECKPOINT_INVALID',
    );
    // The bundle naming another ledger than its checkpoints do.
    expect(codeOf(edited((x) => (x.ledger = 'other.topic')))).toBe('CHECKPOINT_INVALID');
  });

  it('BUNDLE_MALFORMED: proofs without a ledger or checkpoints, or malformed', () => {
    expect(codeOf(edited((x) => delete x.ledger))).toBe('BUNDLE_MALFORMED');
    expect(codeOf(edited((x) => delete x.checkpoints))).toBe('BUNDLE_MALFORMED');
    expect(codeOf(edited((x) => (x.proofs = [{ nope: 1 } as never])))).toBe(
      'INCLUSION_PROOF_INVALID',
    );
  });

  it('names the signers of a checkpoint and verifies it directly', () => {
    expect(checkpointSigners(note(0, 5))).toEqual([governance.keyid]);
    const trust = trustStoreOf(...keys);
    const cp = verifyLedgerCheckpoint(note(0, 5), LEDGER, 0, { trust, ed25519: nobleEd25519 });
    expect(cp).toMatchObject({
      origin: checkpointOrigin(LEDGER, 0),
      size: 5,
      signer: governance.keyid,
    });
    let code: unknown;
    try {
      verifyLedgerCheckpoint(note(0, 5), LEDGER, 1, { trust, ed25519: nobleEd25519 });
    } catch (e) {
      code = e instanceof InclusionError ? e.code : e;
    }
    expect(code).toBe('CHECKPOINT_INVALID');
  });
});

// A verifier holds an earlier (or later) checkpoint of a partition; the bundle proves its own
// checkpoint of that partition consistent with it, and a fork cannot.
describe('consistency proofs to pinned checkpoints', () => {
  const forkedRoot = merkleRoot([payloads[0]![0]!, at(0, 1).envelope.payload]);
  const forkNote = signCheckpoint(
    formatCheckpoint({ origin: checkpointOrigin(LEDGER, 0), size: 2, root: forkedRoot }),
    checkpointKeyName(governance.keyid),
    governance.signer,
    governance.publicKey,
  );
  // The bundle of `proven()` with its partition-0 checkpoint at `size`, proving consistency to
  // the pinned sizes (from the honest ledger).
  const pinnedBundle = (size: number, pins: number[]) => {
    const notes = [note(0, size), note(1, 3)];
    const consistency: ConsistencyEvidence[] = pins.map((pin) => ({
      partition: 0,
      note: notes[0]!,
      size: pin,
      hashes: consistencyProof(payloads[0]!, Math.min(pin, size), Math.max(pin, size)),
    }));
    return JSON.parse(JSON.stringify(bundleOn(notes, consistency))) as EvidenceBundle;
  };
  const verdictOf = (b: unknown, pins: string[]) => {
    try {
      return verifyBundle(b, { ed25519: nobleEd25519, pins }).pinned;
    } catch (e) {
      return (e as BundleError).code;
    }
  };

  it('verifies the bundle checkpoint extends an earlier pin, or is a prefix of a later one', () => {
    expect(pinnedBundle(5, [2]).consistency).toHaveLength(1);
    expect(verdictOf(pinnedBundle(5, [2]), [note(0, 2)])).toEqual([0]);
    expect(verdictOf(pinnedBundle(2, [5]), [note(0, 5)])).toEqual([0]);
    expect(verdictOf(pinnedBundle(5, [5]), [note(0, 5)])).toEqual([0]);
    // A pin of a partition, or a log, the bundle has no checkpoint of does not apply.
    const elsewhere = note(0, 2, governance, checkpointOrigin('other.attestations.v1', 0));
    expect(verdictOf(pinnedBundle(5, []), [elsewhere])).toEqual([]);
    // Without pins the consistency proofs are not needed.
    expect(verdictOf(pinnedBundle(5, [2]), [])).toEqual([]);
  });

  it('CONSISTENCY_PROOF_INVALID: a pin from a forked log, a tampered or missing proof', () => {
    // The operator signed a fork of partition 0 at size 2: nothing proves it a prefix of size 5.
    const forked = pinnedBundle(5, [2]);
    expect(verdictOf(forked, [forkNote])).toBe('CONSISTENCY_PROOF_INVALID');
    const tampered = pinnedBundle(5, [2]);
    tampered.consistency![0]!.hashes[0] = toBase64(
      flipped(fromBase64(tampered.consistency![0]!.hashes[0]!), 7),
    );
    expect(verdictOf(tampered, [note(0, 2)])).toBe('CONSISTENCY_PROOF_INVALID');
    const short = pinnedBundle(5, [2]);
    short.consistency![0]!.hashes.pop();
    expect(verdictOf(short, [note(0, 2)])).toBe('CONSISTENCY_PROOF_INVALID');
    expect(verdictOf(pinnedBundle(5, []), [note(0, 2)])).toBe('CONSISTENCY_PROOF_INVALID');
    expect(verdictOf(pinnedBundle(5, [3]), [note(0, 2)])).toBe('CONSISTENCY_PROOF_INVALID');
    const malformed = pinnedBundle(5, [2]) as unknown as { consistency: unknown };
    malformed.consistency = [{ partition: 0 }];
    expect(verdictOf(malformed, [note(0, 2)])).toBe('CONSISTENCY_PROOF_INVALID');
  });

  it('CHECKPOINT_INVALID: a pin not signed by a governance key, or not a note', () => {
    expect(verdictOf(pinnedBundle(5, [2]), [note(0, 2, agent)])).toBe('CHECKPOINT_INVALID');
    expect(verdictOf(pinnedBundle(5, [2]), ['not a note'])).toBe('CHECKPOINT_INVALID');
  });
});
