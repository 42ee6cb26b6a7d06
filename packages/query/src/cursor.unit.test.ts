import { describe, expect, it } from 'vitest';
import { newExecutionId, sha256Hex, toBase64, utf8 } from '@lineage/protocol';
import {
  decodeListCursor,
  decodeWalkCursor,
  encodeListCursor,
  encodeWalkCursor,
} from './cursor.js';
import { QueryError } from './errors.js';

const codeOf = (f: () => unknown): string | null => {
  try {
    f();
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(QueryError);
    return (e as QueryError).code;
  }
};
const b64url = (text: string) =>
  toBase64(utf8(text)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

describe('page cursors', () => {
  it('round-trip a walk position, as unpadded base64url', () => {
    const position = { depth: 17, execution_id: newExecutionId() };
    const cursor = encodeWalkCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeWalkCursor(cursor)).toEqual(position);
    expect(
      decodeWalkCursor(encodeWalkCursor({ depth: 0, execution_id: position.execution_id })),
    ).toEqual({
      depth: 0,
      execution_id: position.execution_id,
    });
  });

  it('round-trip a listing position with microseconds', () => {
    const position = {
      issued_at: '2025-01-01T00:00:01.123456Z',
      attestation_digest: sha256Hex(utf8('x')),
    };
    expect(decodeListCursor(encodeListCursor(position))).toEqual(position);
    const leapDay = { ...position, issued_at: '2024-02-29T23:59:59.999999Z' };
    expect(decodeListCursor(encodeListCursor(leapDay))).toEqual(leapDay);
  });

  it('refuse anything else with INVALID_CURSOR, never a SyntaxError', () => {
    const id = newExecutionId();
    const bad: unknown[] = [
      '',
      '!!!',
      'a',
      'e30', // {}
      b64url('null'),
      b64url('[1]'),
      b64url('{"k":"w","d":"1","id":"x"}'),
      b64url(`{"k":"w","d":-1,"id":"${id}"}`),
      b64url(`{"k":"w","d":1001,"id":"${id}"}`),
      b64url(`{"k":"w","d":1.5,"id":"${id}"}`),
      b64url(`{"k":"w","d":1,"id":"../../etc/passwd"}`),
      b64url(`{"k":"w","d":1,"id":"${id}","extra":1}`),
      b64url(`{"k":"l","t":"2025-01-01T00:00:01.123456Z","a":"${sha256Hex(utf8('x'))}"}`),
      'x'.repeat(600),
      42,
      {},
    ];
    for (const cursor of bad) expect(codeOf(() => decodeWalkCursor(cursor))).toBe('INVALID_CURSOR');
    for (const cursor of [
      b64url(`{"k":"l","t":"2025-01-01","a":"${sha256Hex(utf8('x'))}"}`),
      b64url(`{"k":"l","t":"2025-13-45T00:00:00.000000Z","a":"${sha256Hex(utf8('x'))}"}`),
      // Impossible dates and times that Date.parse rolls over and Postgres refuses.
      ...[
        '2026-02-30T00:00:00.000000Z',
        '2025-02-29T12:00:00.000000Z',
        '2026-04-31T00:00:00.000000Z',
        '2026-01-01T24:00:00.000000Z',
        '2026-01-01T23:59:60.000000Z',
        '0000-01-01T00:00:00.000000Z',
      ].map((t) => b64url(`{"k":"l","t":"${t}","a":"${sha256Hex(utf8('x'))}"}`)),
      b64url(`{"k":"l","t":"2025-01-01T00:00:01.123456Z","a":"' OR 1=1 --"}`),
      encodeWalkCursor({ depth: 1, execution_id: id }),
    ])
      expect(codeOf(() => decodeListCursor(cursor))).toBe('INVALID_CURSOR');
  });
});
