import { isDigest, isExecutionId, isKeyId } from '@lineage/protocol';
import type { Digest, ExecutionId, KeyId } from '@lineage/protocol';
import { MAX_DEPTH, MAX_LIMIT } from '@lineage/contract';
import { QueryError } from './errors.js';

/** The largest `maxDepth` and `limit` accepted: the API contract's. */
export { MAX_DEPTH, MAX_LIMIT };
export const DEFAULT_DEPTH = 50;
export const DEFAULT_LIMIT = 100;
const INT4_MAX = 2_147_483_647;

// Every argument comes from an HTTP request or a command line: check it before it reaches SQL.
const invalid = (message: string) => new QueryError('INVALID_ARGUMENT', message);
const shown = (value: unknown) => JSON.stringify(value)?.slice(0, 80) ?? String(value);

/** @throws QueryError INVALID_ARGUMENT unless a UUIDv7 execution id. */
export function executionIdArg(value: unknown): ExecutionId {
  if (!isExecutionId(value)) throw invalid(`not an execution id: ${shown(value)}`);
  return value;
}

/** @throws QueryError INVALID_ARGUMENT unless a lowercase hex SHA-256 digest. */
export function digestArg(value: unknown, what: string): Digest {
  if (!isDigest(value)) throw invalid(`${what} is not a digest: ${shown(value)}`);
  return value;
}

/** @throws QueryError INVALID_ARGUMENT unless a key id. */
export function keyIdArg(value: unknown): KeyId {
  if (!isKeyId(value)) throw invalid(`not a key id: ${shown(value)}`);
  return value;
}

/** A policy id as predicates carry it: 1..256 characters. @throws QueryError INVALID_ARGUMENT. */
export function policyIdArg(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 256)
    throw invalid(`not a policy id: ${shown(value)}`);
  return value;
}

/** A policy version: an integer that fits the int4 column. @throws QueryError INVALID_ARGUMENT. */
export function policyVersionArg(value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > INT4_MAX)
    throw invalid(`not a policy version: ${shown(value)}`);
  return value as number;
}

function rangeArg(value: unknown, what: string, max: number, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max)
    throw invalid(`${what} must be an integer in 1..${max}, got ${shown(value)}`);
  return value as number;
}

/** `maxDepth`, 1..1000, default 50. @throws QueryError INVALID_ARGUMENT. */
export function depthArg(value: unknown): number {
  return rangeArg(value, 'maxDepth', MAX_DEPTH, DEFAULT_DEPTH);
}

/** `limit`, 1..1000, default 100. @throws QueryError INVALID_ARGUMENT. */
export function limitArg(value: unknown): number {
  return rangeArg(value, 'limit', MAX_LIMIT, DEFAULT_LIMIT);
}
