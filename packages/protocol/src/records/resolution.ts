import type { JsonValue } from '../encoding/canonical.js';
import { canonicalBytes, parseCanonical } from '../encoding/canonical.js';
import type { RawEnvelope } from '../encoding/dsse.js';
import { signEnvelope } from '../encoding/dsse.js';
import type { Signer } from '../encoding/ed25519.js';
import { ResolutionError } from '../errors.js';
import { isDigest, isExecutionId, isKeyId } from './ids.js';
import type { Digest, ExecutionId, KeyId } from './ids.js';
import { asObject, asString, asTimestamp, onlyKeys } from '../encoding/shape.js';

export const RESOLUTION_PAYLOAD_TYPE = 'application/vnd.lineage.override.v1+json';
export const RESOLUTION_TYPE = 'https://lineage.dev/OverrideResolution/v1';

/**
 * An approver's signed answer to a `pending_override` attestation, published to the overrides
 * topic. It names the pending attestation by digest, so it resolves that decision and no other.
 */
export interface ResolutionBody {
  _type: typeof RESOLUTION_TYPE;
  execution_id: ExecutionId;
  /** Digest of the `pending_override` attestation being resolved. */
  pending: Digest;
  resolution: 'approve' | 'reject';
  approver: KeyId;
  reason: string;
  resolved_at: string;
}

const FIELDS = [
  '_type',
  'execution_id',
  'pending',
  'resolution',
  'approver',
  'reason',
  'resolved_at',
];

/**
 * Parses and shape-checks a resolution payload from untrusted bytes.
 * @throws ResolutionError OVERRIDE_MALFORMED.
 */
export function parseResolution(payload: Uint8Array): ResolutionBody {
  const fail = (what: string) => new ResolutionError('OVERRIDE_MALFORMED', what);
  let value: JsonValue;
  try {
    value = parseCanonical(payload, { maxBytes: 16 * 1024, maxDepth: 4 });
  } catch (cause) {
    throw new ResolutionError('OVERRIDE_MALFORMED', `resolution: ${(cause as Error).message}`, {
      cause,
    });
  }
  const o = asObject(value, 'resolution', fail);
  onlyKeys(o, FIELDS, 'resolution', fail);
  if (o._type !== RESOLUTION_TYPE) throw fail('resolution _type is not ' + RESOLUTION_TYPE);
  if (!isExecutionId(o.execution_id)) throw fail('execution_id is not a UUIDv7');
  if (!isDigest(o.pending)) throw fail('pending is not a digest');
  if (o.resolution !== 'approve' && o.resolution !== 'reject')
    throw fail('resolution is not approve or reject');
  if (!isKeyId(o.approver)) throw fail('approver is not a key id');
  return {
    _type: RESOLUTION_TYPE,
    execution_id: o.execution_id,
    pending: o.pending,
    resolution: o.resolution,
    approver: o.approver,
    reason: asString(o.reason, 'reason', fail, 1024),
    resolved_at: asTimestamp(o.resolved_at, 'resolved_at', fail),
  };
}

/**
 * Signs a resolution as the approver: the envelope an approver publishes to the overrides topic.
 * @throws EncodingError when the body holds a value canonical JSON cannot carry.
 */
export function signResolution(body: Omit<ResolutionBody, '_type'>, approver: Signer): RawEnvelope {
  return signEnvelope(
    RESOLUTION_PAYLOAD_TYPE,
    canonicalBytes({ _type: RESOLUTION_TYPE, ...body }),
    approver,
  );
}
