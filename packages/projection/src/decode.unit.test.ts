import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import {
  attestationDigest,
  attestationLeaf,
  canonicalize,
  checkpointKeyName,
  checkpointOrigin,
  digestOf,
  formatCheckpoint,
  signCheckpoint,
  toDsse,
} from '@lineage/protocol';
import { generateKeyPair } from '@lineage/keys';
import { attestationCodec, policyCodec } from '@lineage/schemas';
import { decodeAttestation, decodeCheckpoint, decodePolicy, storable } from './decode.js';
import { LedgerBuilder, policyRecord } from '@lineage/testkit';

const message = (value: Buffer | null, offset = '7'): KafkaMessage => ({
  key: null,
  value,
  offset,
  timestamp: '0',
  attributes: 0,
  headers: {},
});

describe('decodeAttestation', () => {
  const approver = generateKeyPair();
  const builder = new LedgerBuilder(generateKeyPair().signer, approver.signer);

  it('turns a decision into its row and one edge per parent', () => {
    const root = builder.decide();
    const child = builder.decide([root.executionId], 'deny');
    const decoded = decodeAttestation(2, message(child.value));
    expect(decoded.type).toBe('row');
    if (decoded.type !== 'row') return;
    expect(decoded.row).toMatchObject({
      execution_id: child.executionId,
      attestation_digest: child.digest,
      kind: 'decision',
      decision: 'deny',
      reasons: ['POLICY_DENIED'],
      partition: 2,
      offset: '7',
      policy_version: 3,
    });
    expect(decoded.row.envelope.payloadType).toBe('application/vnd.in-toto+json');
    expect(decoded.edges).toEqual([
      { child_id: child.executionId, parent_id: root.executionId, parent_attestation: root.digest },
    ]);
  });

  it('computes digest, leaf hash and DSSE JSON as the protocol does', () => {
    const record = builder.decide();
    const { envelope } = attestationCodec.decode(record.value);
    const decoded = decodeAttestation(0, message(record.value));
    if (decoded.type !== 'row') throw new Error(decoded.reason);
    expect(decoded.row.attestation_digest).toBe(attestationDigest(envelope));
    expect(new Uint8Array(decoded.leaf)).toEqual(attestationLeaf(envelope.payload));
    expect(decoded.row.envelope).toEqual(toDsse(envelope));
  });

  it('gives overrides no edges', () => {
    const root = builder.decide();
    const child = builder.decide([root.executionId], 'pending_override');
    const decoded = decodeAttestation(0, message(builder.override(child.executionId).value));
    expect(decoded).toMatchObject({ type: 'row', edges: [] });
  });

  it('records which pending decision an override answers, its approver and verdict', () => {
    const pending = builder.decide([], 'pending_override');
    const approved = decodeAttestation(0, message(builder.override(pending.executionId).value));
    expect(approved).toMatchObject({
      type: 'row',
      row: {
        kind: 'override',
        decision: 'allow',
        overrides: pending.digest,
        approver: approver.keyid,
        resolution: 'approve',
      },
    });
    const refused = decodeAttestation(0, message(builder.refuse(pending.executionId).value));
    expect(refused).toMatchObject({
      type: 'row',
      row: {
        kind: 'override_rejection',
        decision: 'deny',
        reasons: ['OVERRIDE_ALREADY_RESOLVED'],
        overrides: pending.digest,
        approver: approver.keyid,
        resolution: 'reject',
      },
      edges: [],
    });
    // A decision answers nothing.
    expect(decodeAttestation(0, message(pending.value))).toMatchObject({
      row: { overrides: null, approver: null, resolution: null },
    });
  });

  it('records the authority: root grant, principals and depth', () => {
    const root = builder.custom({
      authorization: {
        grant: 'b'.repeat(64) as never,
        inherited_from: [],
        principals: ['c'.repeat(64) as never],
        scope: { actions: ['payments.*'], resources: ['account:'] },
        depth: 0,
      },
    });
    expect(decodeAttestation(0, message(root.value))).toMatchObject({
      row: { grant_digest: 'b'.repeat(64), principals: ['c'.repeat(64)], depth: 0 },
    });
    const deep = builder.custom({
      authorization: {
        grant: null,
        inherited_from: ['d'.repeat(64) as never],
        principals: ['c'.repeat(64) as never, 'e'.repeat(64) as never],
        scope: null,
        depth: 4,
      },
    });
    expect(decodeAttestation(0, message(deep.value))).toMatchObject({
      row: { grant_digest: null, principals: ['c'.repeat(64), 'e'.repeat(64)], depth: 4 },
    });
  });

  it('skips what is not an attestation, with a reason', () => {
    expect(decodeAttestation(0, message(null))).toMatchObject({
      type: 'skip',
      reason: 'EMPTY_RECORD',
    });
    expect(decodeAttestation(0, message(Buffer.from('garbage')))).toMatchObject({
      type: 'skip',
      reason: 'UNDECODABLE',
    });
    const truncated = builder.decide().value.subarray(0, 40);
    expect(decodeAttestation(0, message(truncated))).toMatchObject({
      type: 'skip',
      reason: 'UNDECODABLE',
    });
    const notAStatement = attestationCodec.encode({
      execution_id: 'x',
      envelope: {
        payload_type: 'application/vnd.in-toto+json',
        payload: Buffer.from('{"a":1}'),
        signatures: [],
      },
    });
    expect(decodeAttestation(0, message(notAStatement))).toMatchObject({
      type: 'skip',
      reason: 'STATEMENT_MALFORMED',
    });
    const tooBig = builder.custom({
      policy: { id: 'p', version: 2 ** 31, hash: 'a'.repeat(64) as never },
    });
    expect(decodeAttestation(0, message(tooBig.value))).toMatchObject({
      type: 'skip',
      reason: 'UNSTORABLE',
    });
  });
});

describe('decodePolicy', () => {
  const encode = (record: {
    hash: string;
    id: string;
    version: number;
    document: string;
  }): Buffer => policyCodec.encode({ ...record, activated_at: '2025-01-02T03:04:05.678Z' });

  it('turns a policy record into its row', () => {
    const policy = policyRecord('payments', 4, '2025-02-03T04:05:06.000Z');
    expect(decodePolicy(0, message(policy.value, '12'))).toEqual({
      type: 'row',
      row: {
        hash: policy.hash,
        id: 'payments',
        version: 4,
        document: policy.document,
        activated_at: '2025-02-03T04:05:06.000Z',
        partition: 0,
        offset: '12',
      },
    });
  });

  it('skips a record whose document is not what its hash, id and version say', () => {
    const document = { id: 'p', version: 1, allow: [], deny: [] };
    const hash = digestOf(document);
    const cases: [string, Buffer | null, string][] = [
      ['tombstone', null, 'EMPTY_RECORD'],
      ['garbage', Buffer.from('not avro'), 'UNDECODABLE'],
      ['not JSON', encode({ hash, id: 'p', version: 1, document: '{' }), 'POLICY_INCONSISTENT'],
      [
        'another document',
        encode({ hash, id: 'p', version: 1, document: canonicalize({ ...document, deny: [1] }) }),
        'POLICY_INCONSISTENT',
      ],
      [
        'not a digest',
        encode({ hash: 'x', id: 'p', version: 1, document: canonicalize(document) }),
        'POLICY_INCONSISTENT',
      ],
      [
        'another id',
        encode({ hash, id: 'q', version: 1, document: canonicalize(document) }),
        'POLICY_INCONSISTENT',
      ],
      [
        'another version',
        encode({ hash, id: 'p', version: 2, document: canonicalize(document) }),
        'POLICY_INCONSISTENT',
      ],
    ];
    for (const [what, value, reason] of cases)
      expect({ what, decoded: decodePolicy(0, message(value)) }).toMatchObject({
        what,
        decoded: { type: 'skip', reason, offset: '7' },
      });
  });
});

describe('storable', () => {
  it('replaces what Postgres cannot hold and keeps everything else', () => {
    expect(storable('a\u0000b')).toBe('a\ufffdb');
    expect(storable('x\ud800y')).toBe('x\ufffdy');
    expect(storable('x\udc00')).toBe('x\ufffd');
    expect(storable('😀 ok \u00e9')).toBe('😀 ok \u00e9');
  });
});

describe('decodeCheckpoint', () => {
  const key = generateKeyPair();
  const root = new Uint8Array(32).fill(7);
  const noteOf = (origin: string, size = 12) =>
    signCheckpoint(
      formatCheckpoint({ origin, size, root }),
      checkpointKeyName(key.keyid),
      key.signer,
      key.publicKey,
    );
  const record = (k: string | null, value: Buffer | null): KafkaMessage => ({
    ...message(value, '3'),
    key: k === null ? null : Buffer.from(k),
  });
  const LEDGER = 'p-lineage.attestations.v1';

  it('turns a checkpoint note of a ledger partition into its row', () => {
    const text = noteOf(checkpointOrigin(LEDGER, 2));
    const decoded = decodeCheckpoint(LEDGER, 0, record('2', Buffer.from(text)));
    expect(decoded).toEqual({
      type: 'row',
      row: {
        partition: 0,
        offset: '3',
        ledger: LEDGER,
        attestation_partition: 2,
        size: 12,
        root: Buffer.from(root).toString('base64'),
        note: text,
      },
    });
  });

  it.each<[string, string | null, Buffer | null, string]>([
    ['no value', '2', null, 'EMPTY_RECORD'],
    ['no key', null, Buffer.from(noteOf(checkpointOrigin(LEDGER, 2))), 'CHECKPOINT_MALFORMED'],
    [
      'a key that is no partition',
      '02',
      Buffer.from(noteOf(checkpointOrigin(LEDGER, 2))),
      'CHECKPOINT_MALFORMED',
    ],
    [
      'another partition than the key',
      '1',
      Buffer.from(noteOf(checkpointOrigin(LEDGER, 2))),
      'CHECKPOINT_MALFORMED',
    ],
    [
      'another ledger',
      '2',
      Buffer.from(noteOf(checkpointOrigin('other', 2))),
      'CHECKPOINT_MALFORMED',
    ],
    ['bytes that are not UTF-8', '2', Buffer.from([0xff, 0xfe, 0x0a]), 'CHECKPOINT_MALFORMED'],
    ['text that is not a note', '2', Buffer.from('hello\n'), 'CHECKPOINT_MALFORMED'],
    [
      'a note that is not a checkpoint',
      '2',
      Buffer.from(
        signCheckpoint('just text\n', checkpointKeyName(key.keyid), key.signer, key.publicKey),
      ),
      'CHECKPOINT_MALFORMED',
    ],
  ])('skips %s', (_name, k, value, reason) => {
    const decoded = decodeCheckpoint(LEDGER, 0, record(k, value));
    expect(decoded).toMatchObject({ type: 'skip', reason, partition: 0, offset: '3' });
  });
});
