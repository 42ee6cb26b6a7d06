import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DENY_REASONS,
  INTENT_TYPE,
  IntentError,
  MAX_PARENTS,
  canonicalBytes,
  isDigest,
  isExecutionId,
  isKeyId,
  newExecutionId,
  parseIntent,
  sha256Hex,
  utf8,
} from '../index.js';
import { errorOf, intentBody, testKey } from '@lineage/testkit';

const agent = testKey();
const intentError = (code: string) => ({ type: 'IntentError', code });
const parse = (body: unknown) => parseIntent(canonicalBytes(body));
// Deterministic parents: parent(i) is the same reference every time it is asked for.
const PARENTS = Array.from({ length: 70 }, (_, i) => ({
  execution_id: newExecutionId(Date.parse('2024-01-01T00:00:00Z') + i, (b) => b.fill(i)),
  attestation: sha256Hex(utf8(`parent ${i}`)),
}));
const parent = (i: number) => ({ ...PARENTS[i]! });

describe('parseIntent', () => {
  it('a valid intent body round-trips', () => {
    const body = intentBody(agent, { parents: [parent(1), parent(2)], grant: null });
    expect(parse(body)).toEqual(body);
    expect(canonicalBytes(parse(body))).toEqual(canonicalBytes(body));
  });

  it('refuses a child that carries a grant: authority is inherited (INTENT_MALFORMED)', () => {
    const body = intentBody(agent, { parents: [parent(1)] });
    expect(errorOf(() => parse(body))).toEqual(intentError('INTENT_MALFORMED'));
  });

  it('accepts a root intent without trace, grant null, exactly MAX_PARENTS parents', () => {
    expect(MAX_PARENTS).toBe(64);
    const body = intentBody(agent, {
      trace: null,
      grant: null,
      parents: Array.from({ length: 64 }, (_, i) => parent(i)),
    });
    expect(parse(body).parents).toHaveLength(64);
  });

  describe('the execution id gets its own reason codes (checked first)', () => {
    it.each([
      ['absent', undefined],
      ['null', null],
      ['empty', ''],
    ])('%s → EXECUTION_ID_MISSING', (_what, id) => {
      expect(errorOf(() => parse(intentBody(agent, { execution_id: id })))).toEqual(
        intentError('EXECUTION_ID_MISSING'),
      );
    });

    it.each([
      ['"not-a-uuid"', 'not-a-uuid'],
      ['a UUIDv4', crypto.randomUUID()],
      ['an upper-case UUIDv7', newExecutionId().toUpperCase()],
      // The variant nibble is character 19 (after the third dash).
      [
        'a UUIDv7 with the wrong variant',
        ((id: string) => `${id.slice(0, 19)}c${id.slice(20)}`)(newExecutionId()),
      ],
      ['a UUIDv7 in braces', `{${newExecutionId()}}`],
      ['a number', 7],
      ['an object', { id: newExecutionId() }],
    ])('%s → EXECUTION_ID_MALFORMED', (_what, id) => {
      expect(errorOf(() => parse(intentBody(agent, { execution_id: id })))).toEqual(
        intentError('EXECUTION_ID_MALFORMED'),
      );
    });

    it('a malformed id wins over other defects in the same intent', () => {
      expect(
        errorOf(() => parse(intentBody(agent, { execution_id: 'x', _type: 'other', extra: 1 }))),
      ).toEqual(intentError('EXECUTION_ID_MALFORMED'));
    });
  });

  const tooManyParents = Array.from({ length: 65 }, (_, i) => parent(i));
  const malformed: [string, Record<string, unknown>][] = [
    ['an unknown field', { extra: 1 }],
    ['another _type', { _type: 'https://lineage.dev/ExecutionIntent/v2' }],
    ['an agent that is not a key id', { agent: 'agent-1' }],
    ['a duplicate parent', { parents: [parent(1), parent(1)] }],
    [
      'two parents with the same execution id',
      { parents: [parent(1), { ...parent(1), attestation: sha256Hex(utf8('x')) }] },
    ],
    ['more than 64 parents', { parents: tooManyParents }],
    ['a parent with an unknown field', { parents: [{ ...parent(1), extra: 1 }] }],
    ['a parent with a v4 id', { parents: [{ ...parent(1), execution_id: crypto.randomUUID() }] }],
    [
      'a parent attestation that is not a digest',
      { parents: [{ ...parent(1), attestation: 'abc' }] },
    ],
    ['parents that are not an array', { parents: parent(1) }],
    [
      'a traceparent with upper-case hex',
      { trace: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01' },
    ],
    [
      'a traceparent with a short trace id',
      { trace: '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01' },
    ],
    [
      'a traceparent with extra text',
      { trace: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x' },
    ],
    ['a traceparent that is not a string', { trace: 1 }],
    ['a missing trace', { trace: undefined }],
    ['a grant that is an array', { grant: [] }],
    ['a grant that is a string', { grant: 'alice' }],
    ['a missing grant', { grant: undefined }],
    [
      'a runtime with an unknown field',
      { runtime: { name: 'r', version: '1', digest: 'd', extra: 1 } },
    ],
    ['a runtime without a version', { runtime: { name: 'r', digest: 'd' } }],
    [
      'a dependency with an unknown field',
      { dependencies: [{ kind: 'model', name: 'm', digest: 'd', extra: 1 }] },
    ],
    ['inputs that are an array', { inputs: [] }],
    ['a requested_at that is not RFC 3339 UTC', { requested_at: '2024-06-01 11:59:59' }],
    ['a numeric action', { action: 1 }],
    ['an over-long resource', { resource: 'r'.repeat(1025) }],
    [
      'inputs nested deeper than 16',
      { inputs: { a: JSON.parse('['.repeat(16) + ']'.repeat(16)) as unknown } },
    ],
  ];
  it.each(malformed)('%s → INTENT_MALFORMED', (_what, overrides) => {
    expect(errorOf(() => parse(intentBody(agent, overrides)))).toEqual(
      intentError('INTENT_MALFORMED'),
    );
  });

  it.each([
    ['non-canonical bytes (pretty-printed)', utf8(JSON.stringify(intentBody(agent), null, 2))],
    ['non-canonical bytes (keys in insertion order)', utf8(JSON.stringify(intentBody(agent)))],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
    ['not JSON', utf8('{"execution_id":')],
    ['an array', utf8('[]')],
    ['a string', utf8('"intent"')],
    [
      'a float inside inputs',
      utf8(
        new TextDecoder()
          .decode(canonicalBytes(intentBody(agent)))
          .replace('"amount":"100.00"', '"amount":100.5'),
      ),
    ],
    [
      'more than 256 KiB',
      canonicalBytes(intentBody(agent, { inputs: { blob: 'x'.repeat(256 * 1024) } })),
    ],
    ['empty bytes', new Uint8Array(0)],
  ])('%s → INTENT_MALFORMED', (_what, bytes) => {
    expect(errorOf(() => parseIntent(bytes))).toEqual(intentError('INTENT_MALFORMED'));
  });

  it('every code parseIntent throws is a documented deny reason', () => {
    for (const code of ['EXECUTION_ID_MISSING', 'EXECUTION_ID_MALFORMED', 'INTENT_MALFORMED']) {
      expect(DENY_REASONS).toContain(code);
    }
    expect(() => parseIntent(utf8('{}'))).toThrow(IntentError);
    expect(INTENT_TYPE).toBe(intentBody(agent)._type);
  });
});

describe('newExecutionId (RFC 9562 §5.7 UUIDv7)', () => {
  it('makes valid, lower-case v7 ids', () => {
    for (let i = 0; i < 1000; i++) {
      const id = newExecutionId();
      expect(isExecutionId(id)).toBe(true);
      expect(id[14]).toBe('7');
      expect('89ab').toContain(id[19]);
    }
  });

  it('lays out the 48-bit millisecond timestamp, version and variant exactly', () => {
    const ms = 0x0190_1234_5678;
    expect(newExecutionId(ms, (b) => b.fill(0xff))).toBe('01901234-5678-7fff-bfff-ffffffffffff');
    expect(newExecutionId(ms, (b) => b.fill(0x00))).toBe('01901234-5678-7000-8000-000000000000');
  });

  it('the timestamp reads back from the first 48 bits', () => {
    const now = Date.parse('2024-06-01T12:00:00.123Z');
    const id = newExecutionId(now);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(now);
  });

  it('ids made at increasing times sort in time order', () => {
    const start = Date.parse('2020-01-01T00:00:00Z');
    const times = Array.from({ length: 500 }, (_, i) => start + i * 997 + (i % 3));
    const ids = times.map((t) => newExecutionId(t));
    expect([...ids].sort()).toEqual(ids);
    // Even across a byte boundary of the timestamp and far in the future.
    expect(newExecutionId(0xff) < newExecutionId(0x100)).toBe(true);
    expect(newExecutionId(Date.parse('2100-01-01T00:00:00Z')) > newExecutionId(Date.now())).toBe(
      true,
    );
  });

  it('ids made in the same millisecond differ', () => {
    const now = Date.now();
    const ids = new Set(Array.from({ length: 1000 }, () => newExecutionId(now)));
    expect(ids.size).toBe(1000);
  });
});

describe('id predicates', () => {
  it('isDigest / isKeyId accept exactly 64 lower-case hex characters', () => {
    const d = sha256Hex(utf8('x'));
    expect(isDigest(d)).toBe(true);
    expect(isKeyId(d)).toBe(true);
    for (const bad of [d.toUpperCase(), d.slice(1), `${d}0`, `sha256:${d}`, 42, null]) {
      expect(isDigest(bad)).toBe(false);
      expect(isKeyId(bad)).toBe(false);
    }
  });

  it('isExecutionId refuses other versions and non-strings', () => {
    expect(isExecutionId(crypto.randomUUID())).toBe(false);
    expect(isExecutionId('00000000-0000-0000-0000-000000000000')).toBe(false);
    expect(isExecutionId(undefined)).toBe(false);
    expect(isExecutionId('01901234-5678-7000-8000-000000000000')).toBe(true);
  });
});
