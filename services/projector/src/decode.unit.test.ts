import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '@lineage/keys';
import { attestationCodec } from '@lineage/schemas';
import { decodeAttestation, storable } from './decode.js';
import { LedgerBuilder } from './fixtures.js';

const message = (value: Buffer | null, offset = '7'): KafkaMessage => ({
  key: null,
  value,
  offset,
  timestamp: '0',
  attributes: 0,
  headers: {},
});

describe('decodeAttestation', () => {
  const builder = new LedgerBuilder(generateKeyPair().signer);

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

  it('gives overrides no edges', () => {
    const root = builder.decide();
    const child = builder.decide([root.executionId], 'pending_override');
    const decoded = decodeAttestation(0, message(builder.override(child.executionId).value));
    expect(decoded).toMatchObject({ type: 'row', edges: [] });
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

describe('storable', () => {
  it('replaces what Postgres cannot hold and keeps everything else', () => {
    expect(storable('a\u0000b')).toBe('a\ufffdb');
    expect(storable('x\ud800y')).toBe('x\ufffdy');
    expect(storable('x\udc00')).toBe('x\ufffd');
    expect(storable('😀 ok \u00e9')).toBe('😀 ok \u00e9');
  });
});
