import { describe, expect, it } from 'vitest';
import { CheckpointError } from '../errors.js';
import {
  formatCheckpoint,
  noteKeyId,
  parseCheckpoint,
  parseSignedNote,
  signCheckpoint,
  verifyCheckpoint,
  verifyNote,
} from './checkpoint.js';
import { fromBase64, toBase64, toHex } from '../encoding/bytes.js';
import { nobleEd25519, nobleSigner, noblePublicKey } from '../encoding/ed25519.js';
import { merkleRoot } from './merkle.js';
import { errorOf, nodeEd25519Verifier, readVector, testKey } from '@lineage/testkit';

interface NoteVectors {
  source: string;
  text: string;
  keys: {
    name: string;
    verifier_key: string;
    signer_key?: string;
    key_id: string;
    signature_line: string;
  }[];
}
const vectors = readVector<NoteVectors>('c2sp-note.json');

/** Splits a Go note verifier key `name+hexid+base64(0x01 || key)` into name and raw key. */
function parseVerifierKey(vkey: string): { name: string; id: string; publicKey: Uint8Array } {
  const [name, id, ...rest] = vkey.split('+') as [string, string, ...string[]];
  const raw = fromBase64(rest.join('+'));
  expect(raw[0]).toBe(0x01);
  return { name, id, publicKey: raw.slice(1) };
}

describe('golang/mod sumdb note vectors (the origin of C2SP signed-note)', () => {
  const [peter, enoch] = vectors.keys as [NoteVectors['keys'][0], NoteVectors['keys'][0]];
  const note = `${vectors.text}\n${peter.signature_line}${enoch.signature_line}`;

  it('the vector file cites its source', () => {
    expect(vectors.source).toMatch(/golang\/mod.*sumdb\/note\/note_test\.go/);
  });

  it('key IDs are SHA-256(name || 0x0A || 0x01 || key)[:4]', () => {
    for (const k of vectors.keys) {
      const { name, id, publicKey } = parseVerifierKey(k.verifier_key);
      expect(id).toBe(k.key_id);
      expect(toHex(noteKeyId(name, publicKey))).toBe(k.key_id);
    }
  });

  it('verifies the note under each key, ignoring the other signature', () => {
    for (const k of vectors.keys) {
      const { name, publicKey } = parseVerifierKey(k.verifier_key);
      expect(verifyNote(note, { name, publicKey, ed25519: nobleEd25519 })).toBe(vectors.text);
    }
  });

  it('signing the text with the vector seed reproduces the signature line byte for byte', () => {
    const seed = fromBase64(peter.signer_key!.split('+').slice(4).join('+')).slice(1);
    const { name, publicKey } = parseVerifierKey(peter.verifier_key);
    expect(toHex(noblePublicKey(seed))).toBe(toHex(publicKey));
    const signed = signCheckpoint(vectors.text, name, nobleSigner(seed, 'peter'), publicKey);
    expect(signed).toBe(`${vectors.text}\n${peter.signature_line}`);
  });

  it('parses the signature lines', () => {
    const parsed = parseSignedNote(note);
    expect(parsed.text).toBe(vectors.text);
    expect(parsed.signatures.map((s) => [s.name, toHex(s.keyId), s.signature.length])).toEqual([
      ['PeterNeumann', 'c74f20a3', 64],
      ['EnochRoot', 'af0cfe78', 64],
    ]);
  });
});

const ed25519 = nodeEd25519Verifier();
const log = testKey();
const stranger = testKey();
const origin = 'lineage.dev/attestations/lineage.attestations.v1/3';
const leaves = Array.from({ length: 11 }, (_, i) => new Uint8Array([i, i + 1]));
const head = { origin, size: 11, root: merkleRoot(leaves) };
const body = formatCheckpoint(head);
const signed = signCheckpoint(body, origin, log.signer, log.publicKey);
const trusted = { name: origin, publicKey: log.publicKey, ed25519 };

describe('checkpoints', () => {
  it('formats the three C2SP lines', () => {
    expect(body).toBe(`${origin}\n11\n${toBase64(head.root)}\n`);
    expect(signed.startsWith(`${body}\n\u2014 ${origin} `)).toBe(true);
    expect(signed.endsWith('\n')).toBe(true);
  });

  it('round-trips through sign and verify', () => {
    const got = verifyCheckpoint(signed, trusted);
    expect(got.origin).toBe(origin);
    expect(got.size).toBe(11);
    expect(toHex(got.root)).toBe(toHex(head.root));
    expect(got.extensions).toBeUndefined();
  });

  it('round-trips the empty tree and extension lines', () => {
    const empty = formatCheckpoint({ origin, size: 0, root: merkleRoot([]), extensions: ['x y'] });
    const got = verifyCheckpoint(signCheckpoint(empty, origin, log.signer, log.publicKey), trusted);
    expect(got.size).toBe(0);
    expect(got.extensions).toEqual(['x y']);
  });

  it('ignores signatures by unknown keys next to a valid one', () => {
    const cosigned = signCheckpoint(
      body,
      'witness.example/w1',
      stranger.signer,
      stranger.publicKey,
    );
    const both = `${signed}${cosigned.slice(body.length + 1)}`;
    expect(parseSignedNote(both).signatures).toHaveLength(2);
    expect(verifyCheckpoint(both, trusted).size).toBe(11);
  });

  it('a signature by another key under the same name is UNKNOWN_KEY', () => {
    const forged = signCheckpoint(body, origin, stranger.signer, stranger.publicKey);
    expect(errorOf(() => verifyCheckpoint(forged, trusted))).toEqual({
      type: 'CheckpointError',
      code: 'UNKNOWN_KEY',
    });
  });

  it('another key claiming our key ID is SIGNATURE_INVALID', () => {
    const forged = signCheckpoint(body, origin, stranger.signer, log.publicKey);
    expect(errorOf(() => verifyCheckpoint(forged, trusted))).toEqual({
      type: 'CheckpointError',
      code: 'SIGNATURE_INVALID',
    });
  });

  it('a trusted key under another name is UNKNOWN_KEY', () => {
    const other = { ...trusted, name: 'lineage.dev/attestations/other/0' };
    expect(errorOf(() => verifyCheckpoint(signed, other)).code).toBe('UNKNOWN_KEY');
  });

  it('every one-character edit of the note fails with a typed error', () => {
    const codes = new Set<unknown>();
    for (let i = 0; i < signed.length; i++) {
      const c = signed.charCodeAt(i);
      const edited =
        signed.slice(0, i) + String.fromCharCode(c === 0x41 ? 0x42 : 0x41) + signed.slice(i + 1);
      const err = errorOf(() => verifyCheckpoint(edited, trusted));
      expect(err.type, `edit at ${i}`).toBe('CheckpointError');
      codes.add(err.code);
    }
    expect(codes).toContain('SIGNATURE_INVALID');
  });

  it('signed but malformed checkpoint text is MALFORMED_CHECKPOINT', () => {
    const root = toBase64(head.root);
    for (const text of [
      `${origin}\n11\n`,
      `${origin}\n011\n${root}\n`,
      `${origin}\n-1\n${root}\n`,
      `${origin}\n1e3\n${root}\n`,
      `${origin}\n99999999999999999999\n${root}\n`,
      `${origin}\n11\n${toBase64(head.root.slice(1))}\n`,
      `${origin}\n11\n${root.slice(0, -1)}\n`,
    ]) {
      const note = signCheckpoint(text, origin, log.signer, log.publicKey);
      expect(
        errorOf(() => verifyCheckpoint(note, trusted)),
        text,
      ).toEqual({
        type: 'CheckpointError',
        code: 'MALFORMED_CHECKPOINT',
      });
    }
    expect(errorOf(() => parseCheckpoint(42 as unknown as string)).code).toBe(
      'MALFORMED_CHECKPOINT',
    );
  });

  it('formatCheckpoint rejects what it could not write back', () => {
    for (const bad of [
      { ...head, origin: '' },
      { ...head, origin: 'a\nb' },
      { ...head, size: -1 },
      { ...head, size: 1.5 },
      { ...head, root: new Uint8Array(31) },
      { ...head, extensions: [''] },
    ]) {
      expect(errorOf(() => formatCheckpoint(bad))).toEqual({
        type: 'CheckpointError',
        code: 'MALFORMED_CHECKPOINT',
      });
    }
  });
});

describe('malformed notes give typed errors, never TypeError', () => {
  const sigLine = signed.slice(body.length + 1);
  it.each([
    ['not a string', 42],
    ['null', null],
    ['empty', ''],
    ['no blank line', `${body}${sigLine}`],
    ['no signatures', `${body}\n`],
    ['signature line without newline', `${body}\n${sigLine.slice(0, -1)}`],
    ['control character', `\u0001${signed}`],
    ['tab', signed.replace('\n11\n', '\n\t11\n')],
    ['lone surrogate', `\ud800${signed}`],
    ['hyphen instead of em dash', `${body}\n-${sigLine.slice(1)}`],
    ['key name with plus', `${body}\n${sigLine.replace(origin, 'a+b')}`],
    ['no key name', `${body}\n\u2014 ${sigLine.slice(sigLine.lastIndexOf(' ') + 1)}`],
    ['bad base64', `${body}\n${sigLine.replace(/ \S+\n$/, ' AAAA!\n')}`],
    ['signature too short', `${body}\n\u2014 ${origin} AAAA\n`],
    ['unexpected trailing line', `${signed}not a signature\n`],
    ['too many signatures', `${body}\n${sigLine.repeat(101)}`],
  ])('%s', (_name, note) => {
    expect(errorOf(() => verifyCheckpoint(note as string, trusted))).toEqual({
      type: 'CheckpointError',
      code: 'MALFORMED_NOTE',
    });
  });

  it('signCheckpoint refuses text that is not a note body or a bad key name', () => {
    for (const [text, name] of [
      ['no newline', origin],
      ['', origin],
      [body, 'has space'],
      [body, ''],
    ] as const) {
      expect(errorOf(() => signCheckpoint(text, name, log.signer, log.publicKey))).toEqual({
        type: 'CheckpointError',
        code: 'MALFORMED_NOTE',
      });
    }
    expect(new CheckpointError('MALFORMED_NOTE', 'x')).toBeInstanceOf(Error);
  });
});
