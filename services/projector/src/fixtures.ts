// Test fixtures: signed attestation records as governance appends them, for building ledgers in tests.
import {
  ATTESTATION_PAYLOAD_TYPE,
  attestationDigest,
  buildStatement,
  encodeStatement,
  executionFingerprint,
  newExecutionId,
  sha256Hex,
  signEnvelope,
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
import { attestationCodec, envelopeRecord } from '@lineage/schemas';

/** One attestation as produced to the topic, with what the projection should make of it. */
export interface FixtureAttestation {
  executionId: ExecutionId;
  kind: AttestationKind;
  decision: Decision;
  parents: ExecutionId[];
  digest: Digest;
  /** Avro-encoded `Attestation` record: the Kafka value. */
  value: Buffer;
}

/** Builds a ledger of signed attestations; parents are referred to by their decision's digest. */
export class LedgerBuilder {
  private readonly decisions = new Map<ExecutionId, Digest>();
  private readonly requests = new Map<
    ExecutionId,
    Pick<Predicate, 'agent' | 'action' | 'resource'>
  >();
  private sequence = 0;

  constructor(private readonly signer: Signer) {}

  /** Attests a decision for a new execution with the given parents (already attested here). */
  decide(parents: ExecutionId[] = [], decision: Decision = 'allow'): FixtureAttestation {
    return this.attest(newExecutionId(), 'decision', decision, parents);
  }

  /** Attests an override of an execution decided earlier (no new lineage edges). */
  override(executionId: ExecutionId, decision: Decision = 'allow'): FixtureAttestation {
    return this.attest(executionId, 'override', decision, []);
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
      const attestation = this.decisions.get(id);
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
      reasons: decision === 'allow' ? [] : ['POLICY_DENIED'],
      ...request,
      policy: { id: 'default', version: 3, hash: sha256Hex(utf8('policy')) },
      runtime_hash: sha256Hex(utf8('runtime')),
      parents: parentRefs,
      authorization: {
        grant: parents.length === 0 ? sha256Hex(utf8(`grant:${executionId}`)) : null,
        inherited_from: parentRefs.map((p) => p.attestation),
      },
      partition: 0,
      sequence,
      prev: null,
      issued_at: new Date(Date.UTC(2025, 0, 1) + sequence * 1000).toISOString(),
      issuer: this.signer.keyid as Predicate['issuer'],
      intent: null,
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
    if (kind === 'decision') this.decisions.set(executionId, digest);
    const value = attestationCodec.encode({
      execution_id: executionId,
      envelope: envelopeRecord(envelope),
    });
    return { executionId, kind, decision, parents, digest, value };
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
    out.push(builder.decide([...parents], next() < 0.1 ? 'deny' : 'allow'));
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
