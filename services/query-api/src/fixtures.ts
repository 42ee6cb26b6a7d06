// Test fixtures: signed attestation and policy records as governance appends them, for the API's
// int tests.
import {
  ATTESTATION_PAYLOAD_TYPE,
  attestationDigest,
  buildStatement,
  canonicalize,
  digestOf,
  encodeStatement,
  executionFingerprint,
  newExecutionId,
  sha256Hex,
  signEnvelope,
  signResolution,
  toDsse,
  utf8,
} from '@lineage/protocol';
import type {
  AttestationKind,
  Decision,
  Digest,
  ExecutionId,
  JsonValue,
  KeyId,
  Predicate,
  Signer,
} from '@lineage/protocol';
import { attestationCodec, envelopeRecord, policyCodec } from '@lineage/schemas';

/** The policy document every fixture decision pins (by its canonical hash). */
export const FIXTURE_POLICY: JsonValue = {
  id: 'default',
  version: 3,
  allow: [{ id: 'allow-all', agents: ['*'], actions: ['*'] }],
  deny: [],
};
export const FIXTURE_POLICY_HASH: Digest = digestOf(FIXTURE_POLICY);
/** The governance runtime manifest every fixture attestation names by hash. */
export const FIXTURE_RUNTIME_MANIFEST: JsonValue = { name: 'lineage-governance', version: '1.0.0' };
export const FIXTURE_RUNTIME: Digest = digestOf(FIXTURE_RUNTIME_MANIFEST);

/** The policies-topic record of {@link FIXTURE_POLICY}: canonical document, keyed by its hash. */
export function fixturePolicyRecord(): Buffer {
  return policyCodec.encode({
    hash: FIXTURE_POLICY_HASH,
    id: 'default',
    version: 3,
    document: canonicalize(FIXTURE_POLICY),
    activated_at: '2025-01-01T00:00:00.000Z',
  });
}

/** One attestation as produced to the topic. */
export interface FixtureAttestation {
  executionId: ExecutionId;
  digest: Digest;
  fingerprint: string;
  /** Avro-encoded `Attestation` record: the Kafka value. */
  value: Buffer;
}

/**
 * Builds a ledger of signed attestations. Parents are referred to by the attestation that settled
 * them (their decision, or the override that answered it); a root's grant names `principal`, a
 * child inherits its parents' principals one link deeper. Resolutions are signed by `approver`.
 */
export class Ledger {
  private readonly settled = new Map<ExecutionId, Digest>();
  private readonly decisions = new Map<ExecutionId, Digest>();
  private readonly predicates = new Map<ExecutionId, Predicate>();
  private sequence = 0;

  constructor(
    private readonly signer: Signer,
    private readonly approver: Signer = signer,
    private readonly principal: KeyId = sha256Hex(utf8('principal')) as string as KeyId,
  ) {}

  /** Attests a decision by `agent` for a new execution with the given parents (attested here). */
  decide(
    agent: string,
    parents: ExecutionId[] = [],
    decision: Decision = 'allow',
  ): FixtureAttestation {
    const executionId = newExecutionId();
    const parentRefs = parents.map((id) => {
      const attestation = this.settled.get(id);
      if (attestation === undefined) throw new Error(`parent ${id} was not attested here`);
      return { execution_id: id, attestation };
    });
    const inherited = parents.map((id) => this.predicates.get(id)!.authorization);
    return this.attest(executionId, 'decision', {
      decision,
      reasons: decision === 'allow' ? [] : decision === 'deny' ? ['POLICY_DENIED'] : ['review'],
      agent,
      parents: parentRefs,
      authorization: {
        grant: parents.length === 0 ? sha256Hex(utf8(`grant:${executionId}`)) : null,
        inherited_from: parentRefs.map((p) => p.attestation),
        principals:
          parents.length === 0
            ? [this.principal]
            : [...new Set(inherited.flatMap((a) => a.principals))].sort(),
        scope: { actions: ['*'], resources: [''] },
        depth: parents.length === 0 ? 0 : 1 + Math.max(...inherited.map((a) => a.depth)),
      },
      override: null,
    });
  }

  /** Attests the approver's resolution of a `pending_override` decision made here. */
  override(executionId: ExecutionId, decision: 'allow' | 'deny' = 'allow'): FixtureAttestation {
    return this.answer(executionId, 'override', decision);
  }

  /** Attests a refused resolution of a decision made here: it changes no outcome. */
  refuse(executionId: ExecutionId): FixtureAttestation {
    return this.answer(executionId, 'override_rejection', 'deny');
  }

  private answer(
    executionId: ExecutionId,
    kind: 'override' | 'override_rejection',
    decision: 'allow' | 'deny',
  ): FixtureAttestation {
    const pending = this.decisions.get(executionId);
    const decided = this.predicates.get(executionId);
    if (pending === undefined || decided === undefined)
      throw new Error(`${executionId} was not decided here`);
    const resolution = signResolution(
      {
        execution_id: executionId,
        pending,
        resolution: decision === 'allow' ? 'approve' : 'reject',
        approver: this.approver.keyid as KeyId,
        reason: kind === 'override' ? 'approved after review' : 'already resolved',
        resolved_at: new Date(Date.UTC(2025, 0, 1) + this.sequence * 1000).toISOString(),
      },
      this.approver,
    );
    return this.attest(executionId, kind, {
      decision,
      reasons:
        kind === 'override_rejection'
          ? ['OVERRIDE_ALREADY_RESOLVED']
          : [decision === 'allow' ? 'OVERRIDE_APPROVED' : 'OVERRIDE_REJECTED'],
      agent: decided.agent,
      parents: decided.parents,
      authorization: decided.authorization,
      override: { pending, resolution: toDsse(resolution) },
    });
  }

  private attest(
    executionId: ExecutionId,
    kind: AttestationKind,
    p: Pick<Predicate, 'decision' | 'reasons' | 'agent' | 'parents' | 'authorization' | 'override'>,
  ): FixtureAttestation {
    const sequence = this.sequence++;
    const decided = this.predicates.get(executionId);
    const subjectDigest = sha256Hex(utf8(`intent:${executionId}`));
    const policy = { id: 'default', version: 3, hash: FIXTURE_POLICY_HASH };
    const fingerprint = executionFingerprint(executionId, subjectDigest, policy);
    const predicate: Predicate = {
      execution_id: executionId,
      execution_fingerprint: fingerprint,
      kind,
      ...p,
      action: decided?.action ?? `action-${sequence}`,
      resource: decided?.resource ?? `resource/${sequence}`,
      policy,
      runtime_hash: FIXTURE_RUNTIME,
      partition: 0,
      sequence,
      prev: null,
      issued_at: new Date(Date.UTC(2025, 0, 1) + sequence * 1000).toISOString(),
      issuer: this.signer.keyid as Predicate['issuer'],
      intent: null,
    };
    const payload = encodeStatement(buildStatement(predicate, subjectDigest));
    const envelope = signEnvelope(ATTESTATION_PAYLOAD_TYPE, payload, this.signer);
    const digest = attestationDigest(envelope);
    if (kind === 'decision') {
      this.decisions.set(executionId, digest);
      this.settled.set(executionId, digest);
      this.predicates.set(executionId, predicate);
    }
    if (kind === 'override') this.settled.set(executionId, digest);
    const value = attestationCodec.encode({
      execution_id: executionId,
      envelope: envelopeRecord(envelope),
    });
    return { executionId, digest, fingerprint, value };
  }
}
