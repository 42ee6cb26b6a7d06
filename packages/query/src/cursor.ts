import { fromBase64, fromUtf8, isDigest, isExecutionId, toBase64, utf8 } from '@lineage/protocol';
import { QueryError } from './errors.js';
import { MAX_DEPTH } from './validate.js';

/** Position after the last item of a graph-walk page: its (depth, execution_id). */
export interface WalkCursor {
  depth: number;
  execution_id: string;
}

/** Position after the last item of a listing page: its (issued_at, attestation_digest). */
export interface ListCursor {
  /** Microsecond-precision UTC timestamp as Postgres renders it, `YYYY-MM-DDTHH:MM:SS.ffffffZ`. */
  issued_at: string;
  attestation_digest: string;
}

const TIMESTAMP = /^(\d{4})-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

// `Date.parse` rolls impossible dates over (2026-02-30 is March 2nd) where Postgres refuses them:
// a timestamp is real only when it reads back unchanged, in years Postgres and JavaScript agree on.
function isRealTimestamp(value: string): boolean {
  const match = TIMESTAMP.exec(value);
  if (match === null || Number(match[1]) < 1) return false;
  const millis = `${value.slice(0, 23)}Z`;
  const parsed = Date.parse(millis);
  return !Number.isNaN(parsed) && new Date(parsed).toISOString() === millis;
}

function encode(value: object): string {
  return toBase64(utf8(JSON.stringify(value)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

// A cursor comes back from the client: anything but what `encode` made is INVALID_CURSOR, never a
// SyntaxError or TypeError.
function decode(cursor: unknown): Record<string, unknown> {
  const bad = (why: string, cause?: unknown) =>
    new QueryError('INVALID_CURSOR', `malformed cursor: ${why}`, { cause });
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 512)
    throw bad('not a short string');
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw bad('not base64url');
  let value: unknown;
  try {
    const b64 = cursor.replace(/-/g, '+').replace(/_/g, '/');
    value = JSON.parse(fromUtf8(fromBase64(b64 + '='.repeat((4 - (b64.length % 4)) % 4))));
  } catch (cause) {
    throw bad('not base64url JSON', cause);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw bad('not an object');
  return value as Record<string, unknown>;
}

/** The opaque cursor for a walk page ending at `last`. */
export function encodeWalkCursor(last: WalkCursor): string {
  return encode({ k: 'w', d: last.depth, id: last.execution_id });
}

/** Reads a walk cursor. @throws QueryError INVALID_CURSOR. */
export function decodeWalkCursor(cursor: unknown): WalkCursor {
  const o = decode(cursor);
  if (
    o.k !== 'w' ||
    !Number.isInteger(o.d) ||
    (o.d as number) < 0 ||
    (o.d as number) > MAX_DEPTH ||
    !isExecutionId(o.id) ||
    Object.keys(o).length !== 3
  )
    throw new QueryError('INVALID_CURSOR', 'not a walk cursor');
  return { depth: o.d as number, execution_id: o.id };
}

/** The opaque cursor for a listing page ending at `last`. */
export function encodeListCursor(last: ListCursor): string {
  return encode({ k: 'l', t: last.issued_at, a: last.attestation_digest });
}

/** Reads a listing cursor. @throws QueryError INVALID_CURSOR. */
export function decodeListCursor(cursor: unknown): ListCursor {
  const o = decode(cursor);
  if (
    o.k !== 'l' ||
    typeof o.t !== 'string' ||
    !isRealTimestamp(o.t) ||
    !isDigest(o.a) ||
    Object.keys(o).length !== 3
  )
    throw new QueryError('INVALID_CURSOR', 'not a listing cursor');
  return { issued_at: o.t, attestation_digest: o.a };
}
