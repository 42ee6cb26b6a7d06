// Single attestations exactly as governance makes them: decisions over agent-signed intents and the
// overrides that answer them.
import {
  ATTESTATION_PAYLOAD_TYPE,
  INTENT_PAYLOAD_TYPE,
  attestationDigest,
  buildStatement,
  canonicalBytes,
  encodeStatement,
  executionFingerprint,
  sha256Hex,
  signEnvelope,
  toDsse,
  utf8,
} from '@lineage/protocol';
import type {
  Digest,
  DsseEnvelope,
  ExecutionId,
  IntentBody,
  PolicyRef,
  Predicate,
  RawEnvelope,
  Signer,
  Statement,
} from '@lineage/protocol';
import { ISSUED_AT, POLICY, RUNTIME_HASH } from './defaults.js';
import { intentBody } from './intents.js';
import type { TestKey } from './keys.js';

/** Signs the statement of `predicate` about the intent digest `subject` as governance: the envelope. */
export function sealAttestation(
  predicate: Predicate,
  subject: Digest,
  signer: Signer,
): RawEnvelope {
  const payload = encodeStatement(buildStatement(predicate, subject));
  return signEnvelope(ATTESTATION_PAYLOAD_TYPE, payload, signer);
}

/** Signs arbitrary payload bytes (e.g. hand-made, non-canonical ones) as an envelope. */
export function signRaw(
  key: { signer: Signer },
  payloadType: string,
  payload: Uint8Array,
): RawEnvelope {
  return signEnvelope(payloadType, payload, key.signer);
}

/** A decision attestation with the envelope, statement and the intent it was made on. */
export interface Attestation {
  envelope: RawEnvelope;
  statement: Statement;
  intentPayload: Uint8Array;
  intentDigest: Digest;
  intentEnvelope: RawEnvelope;
}

export interface AttestationOptions {
  governance: TestKey;
  agent: TestKey;
  /** Overrides applied to the predicate after it is built. */
  predicate?: Partial<Predicate>;
  /** Overrides applied to the intent body. */
  intent?: Record<string, unknown>;
  /** Embed the agent-signed intent (default true). */
  embedIntent?: boolean;
  /** Overrides the statement's subject digest (default: digest of the intent payload). */
  subjectDigest?: Digest;
}

/** A governance attestation over a freshly built, agent-signed intent, exactly as governance makes it. */
export function makeAttestation(opts: AttestationOptions): Attestation {
  const intentPayload = canonicalBytes(intentBody(opts.agent, opts.intent));
  const intentDigest = sha256Hex(intentPayload);
  const intentEnvelope = signEnvelope(INTENT_PAYLOAD_TYPE, intentPayload, opts.agent.signer);
  const intent = JSON.parse(new TextDecoder().decode(intentPayload)) as IntentBody;
  const subject = opts.subjectDigest ?? intentDigest;
  const predicate: Predicate = {
    execution_id: intent.execution_id,
    // Derived from the final subject digest and policy, as governance does.
    execution_fingerprint: executionFingerprint(
      opts.predicate?.execution_id ?? intent.execution_id,
      subject,
      opts.predicate?.policy ?? POLICY,
    ),
    kind: 'decision',
    decision: 'allow',
    reasons: [],
    agent: opts.agent.keyid,
    action: intent.action,
    resource: intent.resource,
    policy: POLICY,
    runtime_hash: RUNTIME_HASH,
    parents: [],
    authorization: {
      grant: sha256Hex(canonicalBytes(intent.grant)),
      inherited_from: [],
      principals: [],
      scope: { actions: ['*'], resources: [''] },
      depth: 0,
    },
    partition: 0,
    sequence: 7,
    prev: sha256Hex(utf8('previous attestation')),
    issued_at: ISSUED_AT,
    issuer: opts.governance.keyid,
    intent: opts.embedIntent === false ? null : toDsse(intentEnvelope),
    override: null,
    ...opts.predicate,
  };
  const statement = buildStatement(predicate, subject);
  const envelope = sealAttestation(predicate, subject, opts.governance.signer);
  return { envelope, statement, intentPayload, intentDigest, intentEnvelope };
}

/**
 * An attestation at `partition`/`sequence` (no chain link) whose intent and predicate name
 * `parents`, signed by `governance` for `agent` under `policy`: a ledger position for log tests.
 */
export function attestationAt(
  keys: { governance: TestKey; agent: TestKey; policy: PolicyRef },
  partition: number,
  sequence: number,
  parents: readonly Attestation[] = [],
): Attestation {
  const refs = parents.map((p) => ({
    execution_id: p.statement.predicate.execution_id as ExecutionId,
    attestation: attestationDigest(p.envelope),
  }));
  return makeAttestation({
    governance: keys.governance,
    agent: keys.agent,
    intent: { parents: refs },
    predicate: {
      policy: keys.policy,
      parents: refs,
      agent: keys.agent.keyid,
      partition,
      sequence,
      prev: null,
    },
  });
}

export interface OverrideOptions {
  governance: TestKey;
  /** The agent that signed the pending execution's intent. */
  agent: TestKey;
  /** The `pending_override` attestation being answered. */
  pending: Attestation;
  /** The signed resolution the override applies. */
  resolution: DsseEnvelope;
  /** Overrides applied to the predicate (default: an approval, `allow`). */
  predicate?: Partial<Predicate>;
}

/**
 * The `override` attestation governance issues for a resolution of `pending`: same execution, same
 * intent, policy and parents, answering the pending attestation by digest.
 */
export function makeOverride(opts: OverrideOptions): Attestation {
  const p = opts.pending.statement.predicate;
  const pendingDigest = attestationDigest(opts.pending.envelope);
  return makeAttestation({
    governance: opts.governance,
    agent: opts.agent,
    // The very intent the pending decision was made on.
    intent: JSON.parse(new TextDecoder().decode(opts.pending.intentPayload)) as Record<
      string,
      unknown
    >,
    predicate: {
      kind: 'override',
      decision: 'allow',
      reasons: ['OVERRIDE_APPROVED'],
      agent: p.agent,
      policy: p.policy,
      runtime_hash: p.runtime_hash,
      parents: p.parents,
      authorization: p.authorization,
      sequence: p.sequence + 1,
      prev: pendingDigest,
      issued_at: '2024-06-01T12:06:00Z',
      override: { pending: pendingDigest, resolution: opts.resolution },
      ...opts.predicate,
    },
  });
}
