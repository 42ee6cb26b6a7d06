import { parseCanonical } from '../encoding/canonical.js';
import { canonicalBytes } from '../encoding/canonical.js';
import type { DsseEnvelope } from '../encoding/dsse.js';
import { VerificationError } from '../errors.js';
import { isDigest, isExecutionId, isKeyId } from './ids.js';
import type { Digest, ExecutionId, KeyId } from './ids.js';
import type { ParentRef } from './intent.js';
import type { Scope } from './scope.js';
import { parseScope } from './scope.js';
import { asArray, asInt, asObject, asString, asTimestamp, onlyKeys } from '../encoding/shape.js';

/** DSSE payload type of an attestation (an in-toto Statement). */
export const ATTESTATION_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';
/** Our predicate type URI. */
export const PREDICATE_TYPE = 'https://lineage.dev/ExecutionAttestation/v1';

export type Decision = 'allow' | 'deny' | 'pending_override';
/**
 * `decision`: the one decision of an execution id. `override`: an approver's resolution of a
 * `pending_override` decision (allow or deny). `replay_rejection`: a different intent under a consumed
 * id. `override_rejection`: a resolution governance refused; it changes no execution's outcome.
 */
export type AttestationKind = 'decision' | 'override' | 'replay_rejection' | 'override_rejection';

/** The policy that decided, pinned by content hash. */
export interface PolicyRef {
  id: string;
  version: number;
  hash: Digest;
}

/**
 * Where an execution's authority comes from. A root names the digest of the grant it carried and that
 * grant's principal and scope; a child names the parent attestations it inherits from, the
 * principals at their roots, and the intersection of their scopes. `depth` is 0 at a root and one
 * more than the deepest parent below it.
 */
export interface Authorization {
  grant: Digest | null;
  inherited_from: Digest[];
  principals: KeyId[];
  scope: Scope | null;
  depth: number;
}

/** What an `override` or `override_rejection` attestation answers: the pending decision and the signed resolution. */
export interface OverrideRef {
  pending: Digest;
  resolution: DsseEnvelope;
}

/** The Lineage predicate (ARCHITECTURE.md §2). */
export interface Predicate {
  execution_id: string;
  execution_fingerprint: Digest;
  kind: AttestationKind;
  decision: Decision;
  reasons: string[];
  agent: string;
  action: string;
  resource: string;
  policy: PolicyRef;
  runtime_hash: Digest;
  parents: ParentRef[];
  authorization: Authorization;
  partition: number;
  sequence: number;
  prev: Digest | null;
  issued_at: string;
  issuer: KeyId;
  /** The agent-signed intent verbatim, so the attestation is self-contained; null when oversized. */
  intent: DsseEnvelope | null;
  /** For `override` and `override_rejection`: the pending attestation and the resolution; else null. */
  override: OverrideRef | null;
}

/** An in-toto Statement v1 carrying the Lineage predicate. */
export interface Statement {
  _type: typeof STATEMENT_TYPE;
  subject: [{ name: string; digest: { sha256: Digest } }];
  predicateType: typeof PREDICATE_TYPE;
  predicate: Predicate;
}

/**
 * Builds the statement for a predicate; the subject is the execution, its digest the SHA-256 of the
 * canonical intent payload.
 */
export function buildStatement(predicate: Predicate, intentDigest: Digest): Statement {
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: predicate.execution_id, digest: { sha256: intentDigest } }],
    predicateType: PREDICATE_TYPE,
    predicate,
  };
}

/** The canonical bytes of a statement: the DSSE payload. Throws EncodingError on unsignable values. */
export function encodeStatement(statement: Statement): Uint8Array {
  return canonicalBytes(statement, { maxBytes: 1 << 20, maxDepth: 32 });
}

const PREDICATE_FIELDS = [
  'execution_id',
  'execution_fingerprint',
  'kind',
  'decision',
  'reasons',
  'agent',
  'action',
  'resource',
  'policy',
  'runtime_hash',
  'parents',
  'authorization',
  'partition',
  'sequence',
  'prev',
  'issued_at',
  'issuer',
  'intent',
  'override',
];
const DECISIONS: Decision[] = ['allow', 'deny', 'pending_override'];
const KINDS: AttestationKind[] = ['decision', 'override', 'replay_rejection', 'override_rejection'];

const fail = (what: string) => new VerificationError('STATEMENT_MALFORMED', what);

/**
 * Parses a statement payload from untrusted bytes and checks every field's shape.
 * @throws VerificationError STATEMENT_MALFORMED, PREDICATE_TYPE_UNSUPPORTED or SUBJECT_MISMATCH.
 */
export function parseStatement(payload: Uint8Array): Statement {
  // The payload must be canonical JSON within the statement limits.
  let value: unknown;
  try {
    value = parseCanonical(payload, { maxBytes: 1 << 20, maxDepth: 32 });
  } catch (cause) {
    throw new VerificationError('STATEMENT_MALFORMED', `statement: ${(cause as Error).message}`, {
      cause,
    });
  }
  // It must be an in-toto Statement v1 of our predicate type about one subject.
  const { name, sha256, body } = readStatement(value);
  // The predicate must have every field in its documented shape.
  const predicate = readPredicate(body);
  // Only overrides and their refusals answer a pending decision.
  const answers = predicate.kind === 'override' || predicate.kind === 'override_rejection';
  if (answers !== (predicate.override !== null))
    throw fail(`a ${predicate.kind} attestation ${answers ? 'needs' : 'cannot carry'} an override`);
  // The subject must be the execution the predicate is about.
  if (name !== predicate.execution_id)
    throw new VerificationError('SUBJECT_MISMATCH', 'subject name is not the execution id');
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name, digest: { sha256 } }],
    predicateType: PREDICATE_TYPE,
    predicate,
  };
}

// The statement's frame: its one subject, and the predicate still unread.
function readStatement(value: unknown): { name: string; sha256: Digest; body: unknown } {
  const s = asObject(value, 'statement', fail);
  onlyKeys(s, ['_type', 'subject', 'predicateType', 'predicate'], 'statement', fail);
  if (s._type !== STATEMENT_TYPE) throw fail('not an in-toto Statement v1');
  if (s.predicateType !== PREDICATE_TYPE) {
    throw new VerificationError(
      'PREDICATE_TYPE_UNSUPPORTED',
      `predicateType ${String(s.predicateType)}`,
    );
  }
  const subjects = asArray(s.subject, 'subject', fail, 1);
  const subject = asObject(subjects[0], 'subject[0]', fail);
  const sd = asObject(subject.digest, 'subject.digest', fail);
  if (!isDigest(sd.sha256) || Object.keys(sd).length !== 1)
    throw fail('subject digest is not one sha256');
  const name = asString(subject.name, 'subject.name', fail, 256);
  return { name, sha256: sd.sha256, body: s.predicate };
}

// The predicate, field by field in the order they are checked.
function readPredicate(body: unknown): Predicate {
  const p = asObject(body, 'predicate', fail);
  onlyKeys(p, PREDICATE_FIELDS, 'predicate', fail);
  const policy = asObject(p.policy, 'policy', fail);
  onlyKeys(policy, ['id', 'version', 'hash'], 'policy', fail);
  const auth = asObject(p.authorization, 'authorization', fail);
  onlyKeys(
    auth,
    ['grant', 'inherited_from', 'principals', 'scope', 'depth'],
    'authorization',
    fail,
  );
  if (!DECISIONS.includes(p.decision as Decision)) throw fail('unknown decision');
  if (!KINDS.includes(p.kind as AttestationKind)) throw fail('unknown kind');
  if (!isKeyId(p.issuer)) throw fail('issuer is not a key id');
  return {
    execution_id: asString(p.execution_id, 'execution_id', fail, 256),
    execution_fingerprint: digest(p.execution_fingerprint, 'execution_fingerprint'),
    kind: p.kind as AttestationKind,
    decision: p.decision as Decision,
    reasons: asArray(p.reasons, 'reasons', fail, 64).map((r) => asString(r, 'reason', fail, 256)),
    agent: asString(p.agent, 'agent', fail, 256),
    action: asString(p.action, 'action', fail, 256),
    resource: asString(p.resource, 'resource', fail, 1024),
    policy: {
      id: asString(policy.id, 'policy.id', fail, 256),
      version: asInt(policy.version, 'policy.version', fail),
      hash: digest(policy.hash, 'policy.hash'),
    },
    runtime_hash: digest(p.runtime_hash, 'runtime_hash'),
    parents: asArray(p.parents, 'parents', fail, 64).map(readParent),
    authorization: readAuthorization(auth),
    partition: asInt(p.partition, 'partition', fail),
    sequence: asInt(p.sequence, 'sequence', fail),
    prev: p.prev === null ? null : digest(p.prev, 'prev'),
    issued_at: asTimestamp(p.issued_at, 'issued_at', fail),
    issuer: p.issuer as KeyId,
    intent: p.intent === null ? null : parseDsseShape(p.intent, fail),
    override:
      p.override === undefined || p.override === null ? null : parseOverrideRef(p.override, fail),
  };
}

function digest(v: unknown, what: string): Digest {
  if (!isDigest(v)) throw fail(`${what} is not a digest`);
  return v;
}

function readParent(x: unknown, i: number): ParentRef {
  const po = asObject(x, `parents[${i}]`, fail);
  onlyKeys(po, ['execution_id', 'attestation'], `parents[${i}]`, fail);
  if (!isExecutionId(po.execution_id)) throw fail(`parents[${i}].execution_id`);
  return {
    execution_id: po.execution_id as ExecutionId,
    attestation: digest(po.attestation, `parents[${i}].attestation`),
  };
}

function readAuthorization(auth: Record<string, unknown>): Authorization {
  return {
    grant: auth.grant === null ? null : digest(auth.grant, 'authorization.grant'),
    inherited_from: asArray(auth.inherited_from, 'inherited_from', fail, 64).map((d) =>
      digest(d, 'inherited_from'),
    ),
    // Attestations issued before grants existed carry neither principals, scope nor depth.
    principals:
      auth.principals === undefined
        ? []
        : asArray(auth.principals, 'principals', fail, 64).map((k) => {
            if (!isKeyId(k)) throw fail('authorization.principals holds a non key id');
            return k;
          }),
    scope:
      auth.scope === undefined || auth.scope === null
        ? null
        : parseScope(auth.scope, 'authorization.scope', fail),
    depth: auth.depth === undefined ? 0 : asInt(auth.depth, 'authorization.depth', fail),
  };
}

function parseOverrideRef(v: unknown, fail: (what: string) => Error): OverrideRef {
  const o = asObject(v, 'override', fail);
  onlyKeys(o, ['pending', 'resolution'], 'override', fail);
  if (!isDigest(o.pending)) throw fail('override.pending is not a digest');
  return {
    pending: o.pending,
    resolution: parseDsseShape(o.resolution, fail, 'override.resolution'),
  };
}

function parseDsseShape(v: unknown, fail: (what: string) => Error, what = 'intent'): DsseEnvelope {
  const o = asObject(v, what, fail);
  onlyKeys(o, ['payloadType', 'payload', 'signatures'], what, fail);
  return {
    payloadType: asString(o.payloadType, `${what}.payloadType`, fail, 256),
    payload: asString(o.payload, `${what}.payload`, fail, 1 << 20),
    signatures: asArray(o.signatures, `${what}.signatures`, fail, 16).map((s) => {
      const so = asObject(s, `${what}.signature`, fail);
      onlyKeys(so, ['keyid', 'sig'], `${what}.signature`, fail);
      return {
        keyid: asString(so.keyid, 'keyid', fail, 256),
        sig: asString(so.sig, 'sig', fail, 256),
      };
    }),
  };
}
