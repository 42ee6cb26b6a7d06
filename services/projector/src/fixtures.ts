// Test fixtures: signed attestation records as governance appends them, for building ledgers in tests.
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
  Predicate,
  Signer,
} from '@lineage/protocol';
import { attestationCodec, envelopeRecord, policyCodec } from '@lineage/schemas';

/** One attestation as produced to the topic, with what the projection should make of it. */
export interface FixtureAttestation {
  executionId: ExecutionId;
  kind: AttestationKind;
  decision: Decision;
  parents: ExecutionId[];
  /** The parent links as the predicate names them (a parent's decision or its override). */
  parentRefs: Predicate['parents'];
  digest: Digest;
  /** Avro-encoded `Attestation` record: the Kafka value. */
  value: Buffer;
}

/**
 * Builds a ledger of signed attestations. Parents are referred to by the attestation that settled
 * them: their decision, or the override that approved or rejected it. Override resolutions are
 * signed by `approver` (default: the governance signer, which then also needs the approver role).
 */
export class LedgerBuilder {
  /** The digest children name: the decision, or the override answering it. */
  private readonly settled = new Map<ExecutionId, Digest>();
  /** The decision of each execution (for an overridden one, its `pending_override`). */
  private readonly decisions = new Map<ExecutionId, Digest>();
  private readonly parentsOf = new Map<ExecutionId, Predicate['parents']>();
  private readonly requests = new Map<
    ExecutionId,
    Pick<Predicate, 'agent' | 'action' | 'resource'>
  >();
  private sequence = 0;

  constructor(
    private readonly signer: Signer,
    private readonly approver: Signer = signer,
  ) {}

  /** Attests a decision for a new execution with the given parents (already attested here). */
  decide(parents: ExecutionId[] = [], decision: Decision = 'allow'): FixtureAttestation {
    return this.attest(newExecutionId(), 'decision', decision, parents);
  }

  /**
   * Attests the override of an execution decided earlier (`pending_override`): an approver-signed
   * resolution applied, the decision's parents repeated, no new lineage edges. Children attested
   * after it name the override.
   */
  override(executionId: ExecutionId, decision: 'allow' | 'deny' = 'allow'): FixtureAttestation {
    return this.answer(executionId, 'override', decision);
  }

  /** Attests a refused resolution of an execution decided earlier: it changes no outcome. */
  refuse(executionId: ExecutionId, reason = 'OVERRIDE_ALREADY_RESOLVED'): FixtureAttestation {
    return this.answer(executionId, 'override_rejection', 'deny', reason);
  }

  private answer(
    executionId: ExecutionId,
    kind: 'override' | 'override_rejection',
    decision: 'allow' | 'deny',
    reason?: string,
  ): FixtureAttestation {
    const pending = this.decisions.get(executionId);
    if (pending === undefined) throw new Error(`${executionId} was not decided by this builder`);
    const resolution = signResolution(
      {
        execution_id: executionId,
        pending,
        resolution: decision === 'allow' ? 'approve' : 'reject',
        approver: this.approver.keyid as Predicate['issuer'],
        reason: 'reviewed',
        resolved_at: new Date(Date.UTC(2025, 0, 1) + this.sequence * 1000).toISOString(),
      },
      this.approver,
    );
    const parents = this.parentsOf.get(executionId) ?? [];
    return this.attest(executionId, kind, decision, [], {
      parents,
      reasons:
        reason === undefined
          ? [decision === 'allow' ? 'OVERRIDE_APPROVED' : 'OVERRIDE_REJECTED']
          : [reason],
      override: { pending, resolution: toDsse(resolution) },
    });
  }

  /** Attests a root decision whose predicate fields are overridden by `patch` (odd or hostile values). */
  custom(patch: Partial<Predicate>): FixtureAttestation {
    return this.attest(newExecutionId(), 'decision', 'allow', [], patch);
  }

  private attest(
    executionId: ExecutionId,
    kind: AttestationKind,
    decision: Decision,
    parents: ExecutionId[],
    patch: Partial<Predicate> = {},
  ): FixtureAttestation {
    const sequence = this.sequence++;
    const parentRefs = parents.map((id) => {
      const attestation = this.settled.get(id);
      if (attestation === undefined)
        throw new Error(`parent ${id} was not attested by this builder`);
      return { execution_id: id, attestation };
    });
    // Later attestations of an execution (overrides) repeat what its first one said was requested.
    const request = this.requests.get(executionId) ?? {
      agent: `agent-${sequence % 7}`,
      action: `action-${sequence}`,
      resource: `resource/${sequence}`,
    };
    this.requests.set(executionId, request);
    const predicate: Predicate = {
      execution_id: executionId,
      execution_fingerprint: '' as Predicate['execution_fingerprint'],
      kind,
      decision,
      reasons:
        decision === 'allow' ? [] : decision === 'deny' ? ['POLICY_DENIED'] : ['needs-review'],
      ...request,
      policy: { id: 'default', version: 3, hash: sha256Hex(utf8('policy')) },
      runtime_hash: sha256Hex(utf8('runtime')),
      parents: parentRefs,
      authorization: {
        grant: parents.length === 0 ? sha256Hex(utf8(`grant:${executionId}`)) : null,
        inherited_from: parentRefs.map((p) => p.attestation),
        principals: [sha256Hex(utf8(`principal:${sequence % 3}`)) as string as Predicate['issuer']],
        scope: { actions: ['*'], resources: [''] },
        depth: parents.length === 0 ? 0 : 1,
      },
      partition: 0,
      sequence,
      prev: null,
      issued_at: new Date(Date.UTC(2025, 0, 1) + sequence * 1000).toISOString(),
      issuer: this.signer.keyid as Predicate['issuer'],
      intent: null,
      override: null,
      ...patch,
    };
    // A distinct stand-in intent digest per attestation; the fingerprint follows the real formula.
    const subjectDigest = sha256Hex(utf8(`intent:${executionId}:${kind}`));
    if (!patch.execution_fingerprint) {
      predicate.execution_fingerprint = executionFingerprint(
        predicate.execution_id,
        subjectDigest,
        predicate.policy,
      );
    }
    const payload = encodeStatement(buildStatement(predicate, subjectDigest));
    const envelope = signEnvelope(ATTESTATION_PAYLOAD_TYPE, payload, this.signer);
    const digest = attestationDigest(envelope);
    if (kind === 'decision') {
      this.decisions.set(executionId, digest);
      this.settled.set(executionId, digest);
      this.parentsOf.set(executionId, parentRefs);
    }
    if (kind === 'override') this.settled.set(executionId, digest);
    const value = attestationCodec.encode({
      execution_id: executionId,
      envelope: envelopeRecord(envelope),
    });
    return { executionId, kind, decision, parents, parentRefs: predicate.parents, digest, value };
  }
}

/**
 * A multi-parent DAG of `count` decisions: each execution after the first few has 1 to 4 parents
 * drawn from earlier ones, using a seeded generator so failures reproduce.
 */
export function randomDag(builder: LedgerBuilder, count: number, seed = 1): FixtureAttestation[] {
  let state = seed >>> 0;
  const next = () => {
    // xorshift32
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const out: FixtureAttestation[] = [];
  for (let i = 0; i < count; i++) {
    const parents = new Set<ExecutionId>();
    const wanted = i < 5 ? 0 : 1 + Math.floor(next() * 4);
    while (parents.size < Math.min(wanted, i))
      parents.add(out[Math.floor(next() * i)]!.executionId);
    const roll = next();
    out.push(
      builder.decide(
        [...parents],
        roll < 0.1 ? 'deny' : roll < 0.15 ? 'pending_override' : 'allow',
      ),
    );
  }
  return out;
}

/**
 * `layers` layers of two decisions each, every node a child of both nodes of the layer before, and one
 * leaf below the last layer: the leaf has 2 × layers ancestors reached by 2^layers paths.
 */
export function diamondLadder(
  builder: LedgerBuilder,
  layers: number,
): { attestations: FixtureAttestation[]; leaf: FixtureAttestation } {
  const attestations: FixtureAttestation[] = [];
  let previous: ExecutionId[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const pair = [builder.decide(previous), builder.decide(previous)];
    attestations.push(...pair);
    previous = pair.map((a) => a.executionId);
  }
  const leaf = builder.decide(previous);
  attestations.push(leaf);
  return { attestations, leaf };
}

/** A policy document and its record on the policies topic. */
export interface FixturePolicy {
  hash: Digest;
  document: { id: string; version: number; allow: unknown[]; deny: unknown[] };
  /** Avro-encoded `PolicyDocument` record: the Kafka value (key: the hash). */
  value: Buffer;
}

/** A policy record as governance publishes it: canonical document, keyed by its hash. */
export function policyRecord(
  id: string,
  version: number,
  activatedAt = '2025-01-01T00:00:00.000Z',
): FixturePolicy {
  const document = {
    id,
    version,
    allow: [{ id: 'allow-all', agents: ['*'], actions: ['*'] }],
    deny: [],
  };
  const hash = digestOf(document);
  const value = policyCodec.encode({
    hash,
    id,
    version,
    document: canonicalize(document),
    activated_at: activatedAt,
  });
  return { hash, document, value };
}
