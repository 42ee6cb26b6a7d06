// Test fixtures: signed attestations as governance appends them, projected through the projector's
// own write path into a fresh schema, for the query tests.
import { randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
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
import { PROJECTION_MIGRATIONS as PROJECTOR_MIGRATIONS } from '@lineage/projection';
import { projectAttestations, projectPolicies } from '@lineage/projector';
import { attestationCodec, envelopeRecord, policyCodec } from '@lineage/schemas';
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
  document: {
    id: 'default',
    version: 3,
    allow: [{ id: 'allow-all', agents: ['*'], actions: ['*'] }],
    deny: [],
  },
};

/** An agent key id (the shape of one; these agents sign nothing here). */
export const agentKey = (name: string): Digest => sha256Hex(utf8(`agent:${name}`));
/** The principal a root grant names unless told otherwise. */
export const DEFAULT_PRINCIPAL = agentKey('principal') as string as KeyId;

export interface DecideOptions {
  decision?: Decision;
  agent?: string;
  policy?: FixturePolicy;
  runtime?: Digest;
  /** For a root: the principal of its grant. */
  principal?: KeyId;
}

/**
 * Builds a ledger of signed attestations. Parents are referred to by the attestation that settled
 * them (their decision, or the override that answered it); a child's authority is its parents'
 * principals, one link deeper. Resolutions are signed by `approver` (default: the governance
 * signer, which then also needs the approver role).
 */
export class LedgerBuilder {
  /** What a child names as its parent: the decision, or the override answering it. */
  private readonly settled = new Map<ExecutionId, Digest>();
  private readonly decisions = new Map<ExecutionId, Digest>();
  private readonly predicates = new Map<ExecutionId, Predicate>();
  // Later attestations of an execution repeat what its first one said was requested.
  private readonly requests = new Map<
    ExecutionId,
    { agent: string; action: string; resource: string }
  >();
  private sequence = 0;

  constructor(
    private readonly signer: Signer,
    private readonly approver: Signer = signer,
  ) {}

  /** Attests a decision for a new execution with the given parents (already attested here). */
  decide(parents: ExecutionId[] = [], options: DecideOptions = {}): Attested {
    return this.attest(newExecutionId(), 'decision', parents, options);
  }

  /**
   * Attests the override of an execution decided `pending_override` earlier: its predicate
   * repeated, the approver-signed resolution applied. Children attested after it name it.
   */
  override(executionId: ExecutionId, decision: 'allow' | 'deny' = 'allow'): Attested {
    return this.answer(executionId, 'override', decision);
  }

  /** Attests a refused resolution of an execution decided earlier: it changes no outcome. */
  refuse(executionId: ExecutionId): Attested {
    return this.answer(executionId, 'override_rejection', 'deny');
  }

  private answer(
    executionId: ExecutionId,
    kind: 'override' | 'override_rejection',
    decision: 'allow' | 'deny',
  ): Attested {
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
        reason: kind === 'override' ? 'checked by hand' : 'second look',
        resolved_at: new Date(Date.UTC(2025, 0, 1) + this.sequence * 1000).toISOString(),
      },
      this.approver,
    );
    return this.attest(executionId, kind, [], {
      decision,
      override: { pending, resolution: toDsse(resolution) },
      from: decided,
    });
  }

  /** Attests a replay rejection of an execution decided earlier. */
  rejectReplay(executionId: ExecutionId): Attested {
    return this.attest(executionId, 'replay_rejection', [], { decision: 'deny' });
  }

  private attest(
    executionId: ExecutionId,
    kind: AttestationKind,
    parents: ExecutionId[],
    options: DecideOptions & { override?: Predicate['override']; from?: Predicate },
  ): Attested {
    const sequence = this.sequence++;
    const decision = options.decision ?? 'allow';
    const policy =
      options.policy ??
      (options.from === undefined
        ? DEFAULT_POLICY
        : { id: options.from.policy.id, version: options.from.policy.version, document: null });
    const request = this.requests.get(executionId) ?? {
      agent: options.agent ?? agentKey(`${sequence % 7}`),
      action: `action-${sequence}`,
      resource: `resource/${sequence}`,
    };
    this.requests.set(executionId, request);
    const { agent } = request;
    const parentRefs = parents.map((id) => {
      const attestation = this.settled.get(id);
      if (attestation === undefined) throw new Error(`parent ${id} was not attested here`);
      return { execution_id: id, attestation };
    });
    const runtimeHash = options.runtime ?? options.from?.runtime_hash ?? sha256Hex(utf8('runtime'));
    const pinned = options.from?.policy ?? {
      id: policy.id,
      version: policy.version,
      hash: digestOf(policy.document),
    };
    const parentAuthority = parents.map((id) => this.predicates.get(id)!.authorization);
    const authorization: Predicate['authorization'] = options.from?.authorization ?? {
      grant: parents.length === 0 ? sha256Hex(utf8(`grant:${executionId}`)) : null,
      inherited_from: parentRefs.map((p) => p.attestation),
      principals:
        parents.length === 0
          ? [options.principal ?? DEFAULT_PRINCIPAL]
          : [...new Set(parentAuthority.flatMap((a) => a.principals))].sort(),
      scope: { actions: ['*'], resources: [''] },
      depth: parents.length === 0 ? 0 : 1 + Math.max(...parentAuthority.map((a) => a.depth)),
    };
    // A distinct stand-in intent digest per attestation; the fingerprint follows the real formula.
    const subjectDigest = sha256Hex(utf8(`intent:${executionId}:${kind}`));
    const fingerprint = executionFingerprint(executionId, subjectDigest, pinned);
    const predicate: Predicate = {
      execution_id: executionId,
      execution_fingerprint: fingerprint,
      kind,
      decision,
      reasons:
        kind === 'override'
          ? [decision === 'allow' ? 'OVERRIDE_APPROVED' : 'OVERRIDE_REJECTED']
          : kind === 'override_rejection'
            ? ['OVERRIDE_ALREADY_RESOLVED']
            : decision === 'allow'
              ? []
              : decision === 'deny'
                ? ['POLICY_DENIED']
                : ['needs-review'],
      ...request,
      policy: pinned,
      runtime_hash: runtimeHash,
      parents: options.from?.parents ?? parentRefs,
      authorization,
      partition: 0,
      sequence,
      prev: null,
      issued_at: new Date(Date.UTC(2025, 0, 1) + sequence * 1000).toISOString(),
      issuer: this.signer.keyid as Predicate['issuer'],
      intent: null,
      override: options.override ?? null,
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

/** The policies-topic record of a fixture policy, as governance publishes it. */
export function policyValue(
  policy: FixturePolicy,
  activatedAt = '2025-01-01T00:00:00.000Z',
): Buffer {
  return policyCodec.encode({
    hash: digestOf(policy.document),
    id: policy.id,
    version: policy.version,
    document: canonicalize(policy.document),
    activated_at: activatedAt,
  });
}

/**
 * A fresh schema migrated with the projector's migrations and holding `attestations` and
 * `policies`, written by the projector's own `projectAttestations` and `projectPolicies` as
 * partition 0, offsets 0, 1, 2, … of each topic.
 */
export async function projected(
  pool: Pool,
  attestations: Attested[],
  policies: readonly FixturePolicy[] = [],
): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  await migrate(pool, schema, PROJECTOR_MIGRATIONS);
  const message = (key: string, value: Buffer, i: number) => ({
    key: Buffer.from(key),
    value,
    offset: String(i),
    timestamp: '0',
    attributes: 0,
    headers: {},
  });
  const project: Project = projectAttestations(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await project(
      client,
      0,
      attestations.map((a, i) => message(a.executionId, a.value, i)),
    );
    await projectPolicies(schema)(
      client,
      0,
      policies.map((p, i) => message(digestOf(p.document), policyValue(p), i)),
    );
    await client.query('COMMIT');
  } finally {
    client.release();
  }
  return schema;
}
