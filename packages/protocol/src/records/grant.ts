import type { JsonValue } from '../encoding/canonical.js';
import { canonicalBytes, parseCanonical } from '../encoding/canonical.js';
import { sha256Hex } from '../encoding/digest.js';
import type { Sha256 } from '../encoding/digest.js';
import type { DsseEnvelope, RawEnvelope } from '../encoding/dsse.js';
import { fromDsse, pae, signEnvelope, toDsse } from '../encoding/dsse.js';
import type { Ed25519Verifier, Signer } from '../encoding/ed25519.js';
import { GrantError } from '../errors.js';
import { isKeyId } from './ids.js';
import type { Digest, KeyId } from './ids.js';
import type { Scope } from './scope.js';
import { parseScope, scopeCovers } from './scope.js';
import { asObject, asString, asTimestamp, onlyKeys } from '../encoding/shape.js';
import type { TrustStore } from '../trust/store.js';
import { keyUnusableAt } from '../trust/store.js';

export const GRANT_PAYLOAD_TYPE = 'application/vnd.lineage.grant.v1+json';
export const GRANT_TYPE = 'https://lineage.dev/Grant/v1';

/**
 * A principal's signed authorization of one agent, for an action scope under a policy, within a
 * validity window. Carried (as a DSSE envelope) in the `grant` field of a root intent.
 */
export interface GrantBody {
  _type: typeof GRANT_TYPE;
  grant_id: string;
  principal: KeyId;
  agent: KeyId;
  scope: Scope;
  /** The policy id the grant is issued under; any version of it. */
  policy: string;
  valid_from: string;
  valid_until: string;
  issued_at: string;
}

const FIELDS = [
  '_type',
  'grant_id',
  'principal',
  'agent',
  'scope',
  'policy',
  'valid_from',
  'valid_until',
  'issued_at',
];

/**
 * Parses and shape-checks a grant payload from untrusted bytes.
 * @throws GrantError GRANT_INVALID.
 */
export function parseGrant(payload: Uint8Array): GrantBody {
  const fail = (what: string) => new GrantError('GRANT_INVALID', what);
  let value: JsonValue;
  try {
    value = parseCanonical(payload, { maxBytes: 64 * 1024, maxDepth: 8 });
  } catch (cause) {
    throw new GrantError('GRANT_INVALID', `grant payload: ${(cause as Error).message}`, { cause });
  }
  const o = asObject(value, 'grant', fail);
  onlyKeys(o, FIELDS, 'grant', fail);
  if (o._type !== GRANT_TYPE) throw fail('grant _type is not ' + GRANT_TYPE);
  if (!isKeyId(o.principal)) throw fail('principal is not a key id');
  if (!isKeyId(o.agent)) throw fail('agent is not a key id');
  const grant: GrantBody = {
    _type: GRANT_TYPE,
    grant_id: asString(o.grant_id, 'grant_id', fail, 128),
    principal: o.principal,
    agent: o.agent,
    scope: parseScope(o.scope, 'scope', fail),
    policy: asString(o.policy, 'policy', fail, 64),
    valid_from: asTimestamp(o.valid_from, 'valid_from', fail),
    valid_until: asTimestamp(o.valid_until, 'valid_until', fail),
    issued_at: asTimestamp(o.issued_at, 'issued_at', fail),
  };
  if (Date.parse(grant.valid_until) <= Date.parse(grant.valid_from))
    throw fail('grant window is empty');
  return grant;
}

/** What a grant must authorize: the intent's agent, action and resource, at its time, under a policy. */
export interface GrantRequest {
  agent: string;
  action: string;
  resource: string;
  policyId: string;
  /** The instant the authority is exercised (the intent's `requested_at`). */
  at: string;
}

/** A grant that verified: the document and its digest (SHA-256 of the grant payload). */
export interface VerifiedGrant {
  grant: GrantBody;
  digest: Digest;
}

/** A grant envelope as read: the envelope, the grant it holds and its digest. */
interface ReadGrant {
  envelope: RawEnvelope;
  grant: GrantBody;
  digest: Digest;
}

/**
 * Grants read before, by their envelope's JSON (payload type, payload and signatures, the only
 * fields {@link fromDsse} reads): a grant carried by many root intents is decoded, parsed and
 * canonical-checked once. Bounded: the least recently used goes first beyond `capacity`. It holds
 * what reading the bytes gave, never a verdict: each intent's grant is still checked in full.
 */
export class GrantMemo {
  private readonly read = new Map<string, ReadGrant>();

  constructor(private readonly capacity = 1024) {}

  /** The grant `value` holds, read once per distinct envelope. Throws as reading it does. */
  get(value: JsonValue, hash?: Sha256): ReadGrant {
    const id = memoId(value);
    const known = id === undefined ? undefined : this.read.get(id);
    if (known !== undefined) {
      this.read.delete(id!);
      this.read.set(id!, known);
      return known;
    }
    const read = readGrant(value, hash);
    if (id === undefined) return read;
    if (this.read.size >= this.capacity) this.read.delete(this.read.keys().next().value!);
    this.read.set(id, read);
    return read;
  }
}

// The memo key of an envelope whose fields are all strings; undefined for anything else (read in full).
function memoId(value: JsonValue): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { payloadType, payload, signatures } = value;
  if (typeof payloadType !== 'string' || typeof payload !== 'string') return undefined;
  if (!Array.isArray(signatures) || signatures.length > 16) return undefined;
  const sigs: string[] = [];
  for (const s of signatures) {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) return undefined;
    if (typeof s.keyid !== 'string' || typeof s.sig !== 'string') return undefined;
    sigs.push(s.keyid, s.sig);
  }
  return JSON.stringify([payloadType, payload, sigs]);
}

// A grant envelope read from JSON: a DSSE envelope holding a well-formed grant.
function readGrant(value: JsonValue, hash?: Sha256): ReadGrant {
  let envelope: RawEnvelope;
  try {
    envelope = fromDsse(value);
  } catch (cause) {
    throw new GrantError('GRANT_INVALID', 'grant is not a DSSE envelope', { cause });
  }
  if (envelope.payload_type !== GRANT_PAYLOAD_TYPE)
    throw new GrantError('GRANT_INVALID', `grant payload type ${envelope.payload_type}`);
  return {
    envelope,
    grant: parseGrant(envelope.payload),
    digest: sha256Hex(envelope.payload, hash),
  };
}

/**
 * Verifies the grant a root intent carries, failing closed: it must be a DSSE grant envelope signed
 * by the principal it names, that principal a trusted key with the `principal` role usable both when
 * the grant was issued and when it is used, within the grant's window, for this agent, action,
 * resource and policy. Pure; never throws on malformed input.
 * @throws GrantError GRANT_MISSING, GRANT_INVALID, GRANT_PRINCIPAL_UNTRUSTED, GRANT_EXPIRED or
 *   GRANT_OUT_OF_SCOPE.
 */
export function verifyGrant(
  value: JsonValue | null,
  request: GrantRequest,
  ctx: { trust: TrustStore; ed25519: Ed25519Verifier; sha256?: Sha256; grants?: GrantMemo },
): VerifiedGrant {
  // A root intent must carry a grant.
  if (value === null) throw new GrantError('GRANT_MISSING', 'root intent carries no grant');
  // It must be a DSSE envelope holding a grant (read once per distinct envelope with a memo).
  const { envelope, grant, digest } = ctx.grants
    ? ctx.grants.get(value, ctx.sha256)
    : readGrant(value, ctx.sha256);
  // The principal it names must be trusted as a principal, at issue time and now.
  const principal = ctx.trust.get(grant.principal);
  if (!principal || !principal.key.roles.includes('principal'))
    throw new GrantError(
      'GRANT_PRINCIPAL_UNTRUSTED',
      `principal ${grant.principal} is not trusted`,
    );
  if (keyUnusableAt(principal.key, grant.issued_at) || keyUnusableAt(principal.key, request.at))
    throw new GrantError('GRANT_PRINCIPAL_UNTRUSTED', `principal ${grant.principal} key not valid`);
  // The principal must have signed exactly these bytes.
  const sig = envelope.signatures.find((s) => s.keyid === grant.principal);
  if (
    !sig ||
    sig.sig.length !== 64 ||
    !ctx.ed25519.verify(sig.sig, pae(envelope.payload_type, envelope.payload), principal.publicKey)
  )
    throw new GrantError('GRANT_INVALID', 'grant is not signed by its principal');
  // The authority must be exercised inside the grant's window (an unreadable time is outside it).
  const at = Date.parse(request.at);
  if (!(at >= Date.parse(grant.valid_from) && at < Date.parse(grant.valid_until)))
    throw new GrantError('GRANT_EXPIRED', `grant ${grant.grant_id} is not valid at ${request.at}`);
  // It must authorize this agent, this action on this resource, under this policy.
  if (
    grant.agent !== request.agent ||
    grant.policy !== request.policyId ||
    !scopeCovers(grant.scope, request.action, request.resource)
  )
    throw new GrantError('GRANT_OUT_OF_SCOPE', `grant ${grant.grant_id} does not cover the intent`);
  return { grant, digest };
}

/**
 * Signs a grant as the principal: the DSSE envelope (JSON form) a root intent carries in `grant`.
 * @throws EncodingError when the body holds a value canonical JSON cannot carry.
 */
export function signGrant(body: Omit<GrantBody, '_type'>, principal: Signer): DsseEnvelope {
  const payload = canonicalBytes({ _type: GRANT_TYPE, ...body });
  return toDsse(signEnvelope(GRANT_PAYLOAD_TYPE, payload, principal));
}
