import { describe, expect, it } from 'vitest';
import { RESOLUTION_TYPE, canonicalBytes, parseResolution, utf8 } from '../index.js';
import { errorOf, makeAttestation, testKey, RESOLVED_AT, resolutionBody } from '@lineage/testkit';

const governance = testKey();
const agent = testKey();
const approver = testKey();
const pending = makeAttestation({
  governance,
  agent,
  predicate: { decision: 'pending_override', reasons: ['OVERRIDE_REQUIRED'] },
});
const malformed = { type: 'ResolutionError', code: 'OVERRIDE_MALFORMED' };
const parseWith = (overrides: Record<string, unknown>) =>
  parseResolution(canonicalBytes(resolutionBody(approver, pending, overrides)));

describe('parseResolution', () => {
  it.each(['approve', 'reject'])('reads a canonical %s', (resolution) => {
    const body = resolutionBody(approver, pending, { resolution });
    expect(parseResolution(canonicalBytes(body))).toEqual({
      _type: RESOLUTION_TYPE,
      execution_id: pending.statement.predicate.execution_id,
      pending: body.pending,
      resolution,
      approver: approver.keyid,
      reason: 'checked with the account owner',
      resolved_at: RESOLVED_AT,
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['another _type', { _type: 'https://lineage.dev/OverrideResolution/v2' }],
    ['an unknown field', { scope: { actions: ['*'], resources: [''] } }],
    ['no execution_id', { execution_id: undefined }],
    ['an execution_id that is a UUIDv4', { execution_id: '0b7e4c5a-3f2d-4e8a-9b1c-2d3e4f5a6b7c' }],
    [
      'an uppercase execution_id',
      { execution_id: pending.statement.predicate.execution_id.toUpperCase() },
    ],
    ['no pending', { pending: undefined }],
    ['a pending that is not a digest', { pending: 'abc' }],
    ['a resolution that is neither approve nor reject', { resolution: 'maybe' }],
    ['a capitalised resolution', { resolution: 'Approve' }],
    ['no approver', { approver: undefined }],
    ['an approver that is a name', { approver: 'bob' }],
    ['a non-string reason', { reason: 42 }],
    ['a 1025-char reason', { reason: 'r'.repeat(1025) }],
    ['no reason', { reason: undefined }],
    ['resolved_at without a zone', { resolved_at: '2024-06-01T12:05:00' }],
    ['resolved_at that is not a date', { resolved_at: '2024-13-01T12:05:00Z' }],
    ['no resolved_at', { resolved_at: undefined }],
  ])('refuses %s', (_name, overrides) => {
    expect(errorOf(() => parseWith(overrides))).toEqual(malformed);
  });

  it.each<[string, Uint8Array]>([
    ['bytes that are not JSON', utf8('approve')],
    ['a JSON array', utf8('[]')],
    [
      'JSON that is not canonical',
      utf8(JSON.stringify(resolutionBody(approver, pending), null, 1)),
    ],
    [
      'a payload over 16 KiB',
      canonicalBytes(resolutionBody(approver, pending, { reason: 'r'.repeat(17_000) })),
    ],
  ])('refuses %s', (_name, bytes) => {
    expect(errorOf(() => parseResolution(bytes))).toEqual(malformed);
  });

  it('accepts a reason of exactly 1024 chars', () => {
    expect(parseWith({ reason: 'r'.repeat(1024) }).reason).toHaveLength(1024);
  });
});
