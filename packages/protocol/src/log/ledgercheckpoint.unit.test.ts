import { describe, expect, it } from 'vitest';
import { labelledKey, trustStoreOf, trustedKey } from '@lineage/testkit';
import { nobleEd25519 } from '../encoding/ed25519.js';
import { InclusionError } from '../errors.js';
import { formatCheckpoint, signCheckpoint } from './checkpoint.js';
import { cosignLine, verifyCosignature } from './cosignature.js';
import { checkpointSigners, verifyLedgerCheckpoint } from './ledgercheckpoint.js';
import { checkpointKeyName, checkpointOrigin, signLedgerCheckpoint } from './ledgerlog.js';

const LEDGER = 'lineage.attestations.v1';
const governance = labelledKey('rule2 governance');
const witness = labelledKey('rule2 witness');
const checkpoint = {
  origin: checkpointOrigin(LEDGER, 4),
  size: 3,
  root: new Uint8Array(32).fill(7),
};
const T = 1_750_000_000;
const ctx = (overrides = {}) => ({
  trust: trustStoreOf(trustedKey(governance, ['governance'], overrides)),
  ed25519: nobleEd25519,
});
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return e instanceof InclusionError ? e.code : String(e);
  }
  return 'passed';
};

describe('rule-2 checkpoints: key name = origin, with the signing time', () => {
  it('verify under rule 2 and carry the time the log signed them', () => {
    const note = signLedgerCheckpoint(checkpoint, governance, T);
    expect(
      note.split('\n').filter((l) => l.startsWith(`\u2014 ${checkpoint.origin} `)),
    ).toHaveLength(2);
    const v = verifyLedgerCheckpoint(note, LEDGER, 4, ctx());
    expect(v).toMatchObject({ size: 3, rule: 2, time: T, signer: governance.keyid });
  });

  it('rule-1 notes (key name lineage-<keyid>, no time) still verify', () => {
    const body = formatCheckpoint(checkpoint);
    const note = signCheckpoint(
      body,
      checkpointKeyName(governance.keyid),
      governance.signer,
      governance.publicKey,
    );
    expect(verifyLedgerCheckpoint(note, LEDGER, 4, ctx())).toMatchObject({ rule: 1, time: null });
  });

  it('refuse a time outside the key validity window, a missing or forged time, another partition', () => {
    const note = signLedgerCheckpoint(checkpoint, governance, T);
    const expired = { valid_until: new Date((T - 1) * 1000).toISOString() };
    expect(codeOf(() => verifyLedgerCheckpoint(note, LEDGER, 4, ctx(expired)))).toBe(
      'CHECKPOINT_INVALID',
    );
    const revoked = { revoked_at: new Date((T - 1) * 1000).toISOString() };
    expect(codeOf(() => verifyLedgerCheckpoint(note, LEDGER, 4, ctx(revoked)))).toBe(
      'CHECKPOINT_INVALID',
    );
    const untimed = note.slice(0, note.lastIndexOf('\u2014'));
    expect(codeOf(() => verifyLedgerCheckpoint(untimed, LEDGER, 4, ctx()))).toBe(
      'CHECKPOINT_INVALID',
    );
    const lines = note.split('\n');
    const stamp = Buffer.from(lines.at(-2)!.split(' ').at(-1)!, 'base64');
    stamp[11] = stamp[11]! ^ 1;
    lines[lines.length - 2] = `\u2014 ${checkpoint.origin} ${stamp.toString('base64')}`;
    expect(codeOf(() => verifyLedgerCheckpoint(lines.join('\n'), LEDGER, 4, ctx()))).toBe(
      'CHECKPOINT_INVALID',
    );
    expect(codeOf(() => verifyLedgerCheckpoint(note, LEDGER, 5, ctx()))).toBe('CHECKPOINT_INVALID');
  });

  it('name the keys that sign a note, by key ID, for bundling', () => {
    const note = signLedgerCheckpoint(checkpoint, governance, T);
    const body = formatCheckpoint(checkpoint);
    const cosigned = note + cosignLine(body, 'w.test/1', witness.signer, witness.publicKey, T + 5);
    const keys = [trustedKey(governance, ['governance']), trustedKey(witness, ['witness'])];
    expect(checkpointSigners(cosigned, keys).sort()).toEqual(
      [governance.keyid, witness.keyid].sort(),
    );
    expect(checkpointSigners(note, keys)).toEqual([governance.keyid]);
    const key = { name: 'w.test/1', publicKey: witness.publicKey, ed25519: nobleEd25519 };
    expect(verifyCosignature(cosigned, key)).toBe(T + 5);
  });
});
