// Test fixtures: signed attestations as governance appends them, projected through the projector's
// own write path into a fresh schema, for the query tests.
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import {
  ATTESTATION_PAYLOAD_TYPE,
  attestationDigest,
  buildStatement,
  digestOf,
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
  JsonValue,
  Predicate,
  Signer,
} from '@lineage/protocol';
import { PROJECTOR_MIGRATIONS, projectAttestations } from '@lineage/projector';
import { attestationCodec, envelopeRecord } from '@lineage/schemas';
import { migrate } from '@lineage/store';
import type { Project } from '@lineage/store';

/** One attestation as produced to the topic. */
export interface Attested {
  executionId: ExecutionId;
  kind: AttestationKind;
  decision: Decision;
  agent: string;
  digest: Digest;
  fingerprint: Digest;
  policy: Predicate['policy'];
  runtimeHash: Digest;
  /** Avro-encoded `Attestation` record: the Kafka value. */
  value: Buffer;
}

/** A policy document and how predicates pin it. */
export interface FixturePolicy {
  id: string;
  version: number;
  document: JsonValue;
}

export const DEFAULT_POLICY: FixturePolicy = {
  id: 'default',
  version: 3,
  document: { rules: [{ id: 'allow-all', effect: 'allow' }] },
};

/** An agent key id (the shape of one; these agents sign nothing here). */
export const agentKey = (name: string): Digest => sha256Hex(utf8(`agent:${name}`));

export interface DecideOptions {
  decision?: Decision;
  agent?: string;
  policy?: FixturePolicy;
  runtime?: Digest;
}

/** Builds a ledger of signed attestations; parents are referred to by their decision's digest. */
export class LedgerBuilder {
  private readonly decisions = new Map<ExecutionId, Digest>();
  // Later attestations of an execution repeat what its first one said was requested.
  private readonly requests = new Map<
    ExecutionId,
    { agent: string; action: string; resource: string }
  >();
  private sequence = 0;

  constructor(private readonly signer: Signer) {}

  /** Attests a decision for a new execution with the given parents (already attested here). */
  decide(parents: ExecutionId[] = [], options: DecideOptions = {}): Attested {
    return this.attest(newExecutionId(), 'decision', parents, options);
  }

  /** Attests an override of an execution decided earlier (no new lineage edges). */
  override(executionId: ExecutionId, decision: Decision = 'allow'): Attested {
    return this.attest(executionId, 'override', [], { decision });
  }

  /** Attests a replay rejection of an execution decided earlier. */
  rejectReplay(executionId: ExecutionId): Attested {
    return this.attest(executionId, 'replay_rejection', [], { decision: 'deny' });
  }

  private attest(
    executionId: ExecutionId,
    kind: AttestationKind,
    parents: ExecutionId[],
    options: DecideOptions,
  ): Attested {
    const sequence = this.sequence++;
    const decision = options.decision ?? 'allow';
    const policy = options.policy ?? DEFAULT_POLICY;
    const request = this.requests.get(executionId) ?? {
      agent: options.agent ?? agentKey(`${sequence % 7}`),
      action: `action-${sequence}`,
      resource: `resource/${sequence}`,
    };
    this.requests.set(executionId, request);
    const { agent } = request;
    const parentRefs = parents.map((id) => {
      const attestation = this.decisions.get(id);
      if (attestation === undefined) throw new Error(`parent ${id} was not attested here`);
      return { execution_id: id, attestation };
    });
    const runtimeHash = options.runtime ?? sha256Hex(utf8('runtime'));
    const pinned = {
      id: policy.id,
      version: policy.version,
      hash: digestOf(policy.document),
    };
    // A distinct stand-in intent digest per attestation; the fingerprint follows the real formula.
    const subjectDigest = sha256Hex(utf8(`intent:${executionId}:${kind}`));
    const fingerprint = executionFingerprint(executionId, subjectDigest, pinned);
    const predicate: Predicate = {
      execution_id: executionId,
      execution_fingerprint: fingerprint,
      kind,
      decision,
      reasons: decision === 'allow' ? [] : ['POLICY_DENIED'],
      ...request,
      policy: pinned,
      runtime_hash: runtimeHash,
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
    };
    const payload = encodeStatement(buildStatement(predicate, subjectDigest));
    const envelope = signEnvelope(ATTESTATION_PAYLOAD_TYPE, payload, this.signer);
    const digest = attestationDigest(envelope);
    if (kind === 'decision') this.decisions.set(executionId, digest);
    const value = attestationCodec.encode({
      execution_id: executionId,
      envelope: envelopeRecord(envelope),
    });
    return {
      executionId,
      kind,
      decision,
      agent,
      digest,
      fingerprint,
      policy: pinned,
      runtimeHash,
      value,
    };
  }
}

/**
 * `layers` layers of two decisions each, every node a child of both nodes of the layer before, and
 * one leaf below the last layer: the leaf has 2 × layers ancestors reached by 2^layers paths.
 */
export function diamondLadder(
  builder: LedgerBuilder,
  layers: number,
): { attestations: Attested[]; leaf: Attested; layers: Attested[][] } {
  const attestations: Attested[] = [];
  const all: Attested[][] = [];
  let previous: ExecutionId[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const pair = [builder.decide(previous), builder.decide(previous)];
    attestations.push(...pair);
    all.push(pair);
    previous = pair.map((a) => a.executionId);
  }
  const leaf = builder.decide(previous);
  attestations.push(leaf);
  return { attestations, leaf, layers: all };
}

/**
 * A fresh schema migrated with the projector's migrations and holding `attestations`, written by
 * the projector's own `projectAttestations` as partition 0, offsets 0, 1, 2, …
 */
export async function projected(pool: Pool, attestations: Attested[]): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await migrate(pool, schema, PROJECTOR_MIGRATIONS);
  const project: Project = projectAttestations(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await project(
      client,
      0,
      attestations.map((a, i) => ({
        key: Buffer.from(a.executionId),
        value: a.value,
        offset: String(i),
        timestamp: '0',
        attributes: 0,
        headers: {},
      })),
    );
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return schema;
}
