// The one builder of signed ledgers: decisions, overrides, refusals and replay rejections as
// governance appends them to the attestations topic.
import {
  INTENT_PAYLOAD_TYPE,
  INTENT_TYPE,
  attestationDigest,
  canonicalBytes,
  digestOf,
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
  IntentBody,
  KeyId,
  PolicyRef,
  Predicate,
  RawEnvelope,
  Signer,
} from '@lineage/protocol';
import { sealAttestation } from './attestation.js';
import { DEFAULT_POLICY, DEFAULT_PRINCIPAL, FIXTURE_RUNTIME, agentKey } from './defaults.js';
import type { FixturePolicy } from './defaults.js';
import { attestationValue } from './records.js';

/** One attestation as produced to the topic, with what a projection should make of it. */
export interface LedgerRecord {
  executionId: ExecutionId;
  kind: AttestationKind;
  decision: Decision;
  agent: string;
  /** The parent executions (empty for answers: they add no lineage edges). */
  parents: ExecutionId[];
  /** The parent links as the predicate names them (a parent's decision or its override). */
  parentRefs: Predicate['parents'];
  digest: Digest;
  fingerprint: Digest;
  policy: PolicyRef;
  runtimeHash: Digest;
  predicate: Predicate;
  envelope: RawEnvelope;
  /** Avro-encoded `Attestation` record: the Kafka value. */
  value: Buffer;
}

/** What a decision says; everything has a default. */
export interface DecideOptions {
  decision?: Decision;
  reasons?: string[];
  /** The agent's key id (default: a stand-in per sequence number). */
  agent?: string;
  /** The agent's signer: the attestation then embeds an intent it signed, and attests its digest. */
  agentSigner?: Signer;
  action?: string;
  resource?: string;
  policy?: FixturePolicy;
  runtime?: Digest;
  /** For a root: the principal of its grant. */
  principal?: KeyId;
  /** The execution id (default: a fresh UUIDv7). */
  executionId?: ExecutionId;
  /** When it is issued, in ms since the epoch (default: 2025-01-01 plus a second per sequence). */
  at?: number;
}

/** How a ledger is built: who signs and whom roots name. */
export interface LedgerOptions {
  /** Signs resolutions (default: the governance signer, which then also needs the approver role). */
  approver?: Signer;
  /** The principal roots name unless a decision says otherwise. */
  principal?: KeyId;
  /** Link each attestation to the one before (`prev`), as one partition's hash chain. */
  chained?: boolean;
}

type Request = Pick<Predicate, 'agent' | 'action' | 'resource'>;
type Body = Omit<Predicate, 'execution_id' | 'execution_fingerprint' | 'kind' | 'sequence'>;

const EPOCH = Date.UTC(2025, 0, 1);
const REASONS: Record<Decision, string[]> = {
  allow: [],
  deny: ['POLICY_DENIED'],
  pending_override: ['needs-review'],
};

/**
 * Builds a ledger of signed attestations on partition 0. Parents are referred to by the attestation
 * that settled them (their decision, or the override that answered it); a child's authority is its
 * parents' principals, one link deeper. Later attestations of an execution repeat its decision's
 * request, policy, runtime, parents and authority.
 */
export class LedgerBuilder {
  /** What a child names as its parent: the decision, or the override answering it. */
  private readonly settled = new Map<ExecutionId, Digest>();
  private readonly decisions = new Map<ExecutionId, { digest: Digest; predicate: Predicate }>();
  private sequence = 0;
  private last: Digest | null = null;
  private readonly options: Required<Pick<LedgerOptions, 'principal' | 'chained'>> & {
    approver: Signer;
  };

  constructor(
    private readonly signer: Signer,
    approver: Signer | LedgerOptions = signer,
    principal: KeyId = DEFAULT_PRINCIPAL,
  ) {
    const o: LedgerOptions = 'sign' in approver ? { approver, principal } : approver;
    this.options = {
      approver: o.approver ?? signer,
      principal: o.principal ?? principal,
      chained: o.chained ?? false,
    };
  }

  /** Attests a decision for a new execution with the given parents (already attested here). */
  decide(parents: ExecutionId[] = [], options: DecideOptions | Decision = {}): LedgerRecord {
    const o = typeof options === 'string' ? { decision: options } : options;
    const { executionId, body, intentDigest } = this.decision(parents, o);
    return this.attest(executionId, 'decision', body, intentDigest);
  }

  // The predicate of a new execution's decision, and the digest of its intent when one is embedded.
  private decision(
    parents: ExecutionId[],
    o: DecideOptions,
  ): { executionId: ExecutionId; body: Body; intentDigest?: Digest } {
    const executionId = o.executionId ?? newExecutionId();
    const sequence = this.sequence;
    const decision = o.decision ?? 'allow';
    const parentRefs = parents.map((id) => ({ execution_id: id, attestation: this.settledOf(id) }));
    const request: Request = {
      agent: (o.agentSigner?.keyid ?? o.agent ?? agentKey(`${sequence % 7}`)) as KeyId,
      action: o.action ?? `action-${sequence}`,
      resource: o.resource ?? `resource/${sequence}`,
    };
    const policy = o.policy ?? DEFAULT_POLICY;
    const issued = o.at ?? EPOCH + sequence * 1000;
    const intent = o.agentSigner && this.intentOf(executionId, request, parentRefs, issued, o);
    const body: Body = {
      decision,
      reasons: o.reasons ?? REASONS[decision],
      ...request,
      policy: { id: policy.id, version: policy.version, hash: digestOf(policy.document) },
      runtime_hash: o.runtime ?? FIXTURE_RUNTIME,
      parents: parentRefs,
      authorization: this.authority(executionId, parents, request, intent?.grant, o.principal),
      partition: 0,
      prev: null,
      issued_at: new Date(issued).toISOString(),
      issuer: this.signer.keyid as KeyId,
      intent: intent ? toDsse(intent.envelope) : null,
      override: null,
    };
    return { executionId, body, intentDigest: intent?.digest };
  }

  /**
   * Attests the override of an execution decided `pending_override` earlier: its predicate
   * repeated, the approver-signed resolution applied. Children attested after it name it.
   */
  override(
    executionId: ExecutionId,
    decision: 'allow' | 'deny' = 'allow',
    options: { reason?: string } = {},
  ): LedgerRecord {
    return this.answer(executionId, 'override', decision, {
      reasons: [decision === 'allow' ? 'OVERRIDE_APPROVED' : 'OVERRIDE_REJECTED'],
      reason: options.reason ?? 'approved after review',
    });
  }

  /** Attests a refused resolution of an execution decided earlier: it changes no outcome. */
  refuse(executionId: ExecutionId, reason = 'OVERRIDE_ALREADY_RESOLVED'): LedgerRecord {
    return this.answer(executionId, 'override_rejection', 'deny', {
      reasons: [reason],
      reason: 'already resolved',
    });
  }

  /** Attests a replay rejection of an execution decided earlier. */
  rejectReplay(executionId: ExecutionId): LedgerRecord {
    const { predicate } = this.decisionOf(executionId);
    return this.attest(executionId, 'replay_rejection', {
      ...this.repeated(predicate),
      decision: 'deny',
      reasons: REASONS.deny,
      override: null,
    });
  }

  /** Attests a root decision whose predicate fields are overridden by `patch` (odd or hostile values). */
  custom(patch: Partial<Predicate>): LedgerRecord {
    const { executionId, body } = this.decision([], {});
    return this.attest(
      (patch.execution_id as ExecutionId | undefined) ?? executionId,
      'decision',
      { ...body, ...patch },
      undefined,
      patch,
    );
  }

  // The decision of an execution made here, or an error naming it.
  private decisionOf(executionId: ExecutionId): { digest: Digest; predicate: Predicate } {
    const decided = this.decisions.get(executionId);
    if (decided === undefined) throw new Error(`${executionId} was not decided here`);
    return decided;
  }

  private settledOf(executionId: ExecutionId): Digest {
    const digest = this.settled.get(executionId);
    if (digest === undefined) throw new Error(`parent ${executionId} was not attested here`);
    return digest;
  }

  // What every later attestation of an execution repeats from its decision.
  private repeated(p: Predicate): Omit<Body, 'decision' | 'reasons' | 'override'> {
    return {
      agent: p.agent,
      action: p.action,
      resource: p.resource,
      policy: p.policy,
      runtime_hash: p.runtime_hash,
      parents: p.parents,
      authorization: p.authorization,
      partition: 0,
      prev: null,
      issued_at: new Date(EPOCH + this.sequence * 1000).toISOString(),
      issuer: this.signer.keyid as KeyId,
      intent: null,
    };
  }

  private answer(
    executionId: ExecutionId,
    kind: 'override' | 'override_rejection',
    decision: 'allow' | 'deny',
    said: { reasons: string[]; reason: string },
  ): LedgerRecord {
    const { digest: pending, predicate } = this.decisionOf(executionId);
    const resolution = signResolution(
      {
        execution_id: executionId,
        pending,
        resolution: decision === 'allow' ? 'approve' : 'reject',
        approver: this.options.approver.keyid as KeyId,
        reason: said.reason,
        resolved_at: new Date(EPOCH + this.sequence * 1000).toISOString(),
      },
      this.options.approver,
    );
    return this.attest(executionId, kind, {
      ...this.repeated(predicate),
      decision,
      reasons: said.reasons,
      override: { pending, resolution: toDsse(resolution) },
    });
  }

  // A root's authority is its grant's principal; a child's, its parents' principals one link deeper.
  private authority(
    executionId: ExecutionId,
    parents: ExecutionId[],
    request: Request,
    grant: unknown,
    principal: KeyId | undefined,
  ): Predicate['authorization'] {
    const inherited = parents.map((id) => this.decisionOf(id).predicate.authorization);
    const root = parents.length === 0;
    return {
      grant: !root ? null : sha256Hex(grant ? canonicalBytes(grant) : utf8(`grant:${executionId}`)),
      inherited_from: parents.map((id) => this.settledOf(id)),
      principals: root
        ? [principal ?? this.options.principal]
        : [...new Set(inherited.flatMap((a) => a.principals))].sort(),
      scope: grant
        ? { actions: [request.action], resources: [''] }
        : { actions: ['*'], resources: [''] },
      depth: root ? 0 : 1 + Math.max(...inherited.map((a) => a.depth)),
    };
  }

  // The agent-signed intent a decision embeds, when the decision names the agent's signer.
  private intentOf(
    executionId: ExecutionId,
    request: Request,
    parents: Predicate['parents'],
    issued: number,
    o: DecideOptions,
  ): { envelope: RawEnvelope; digest: Digest; grant: unknown } {
    const principal = o.principal ?? this.options.principal;
    const grant = parents.length === 0 ? { principal, scope: [request.action] } : null;
    const body: IntentBody = {
      _type: INTENT_TYPE,
      execution_id: executionId,
      agent: request.agent as KeyId,
      action: request.action,
      resource: request.resource,
      inputs: { query: `step ${this.sequence}`, limit: 20 },
      parents,
      grant,
      runtime: {
        name: 'agent-runtime',
        version: '1.4.0',
        digest: sha256Hex(utf8('agent runtime')),
      },
      dependencies: [
        { kind: 'model', name: 'planner', digest: sha256Hex(utf8('planner weights')) },
      ],
      requested_at: new Date(issued).toISOString(),
      trace: null,
    };
    const payload = canonicalBytes(body);
    const envelope = signEnvelope(INTENT_PAYLOAD_TYPE, payload, o.agentSigner!);
    return { envelope, digest: sha256Hex(payload), grant };
  }

  // Seals the predicate at the next chain position and remembers what later attestations need.
  private attest(
    executionId: ExecutionId,
    kind: AttestationKind,
    body: Body,
    intentDigest?: Digest,
    patch: Partial<Predicate> = {},
  ): LedgerRecord {
    const sequence = this.sequence++;
    // A distinct stand-in intent digest per attestation unless a real intent is embedded.
    const subject = intentDigest ?? sha256Hex(utf8(`intent:${executionId}:${kind}`));
    const predicate: Predicate = {
      ...body,
      execution_id: executionId,
      execution_fingerprint: executionFingerprint(executionId, subject, body.policy),
      kind,
      sequence,
      prev: this.options.chained ? this.last : body.prev,
      ...patch,
    };
    const envelope = sealAttestation(predicate, subject, this.signer);
    const digest = attestationDigest(envelope);
    this.last = digest;
    if (kind === 'decision') {
      this.decisions.set(executionId, { digest, predicate });
      this.settled.set(executionId, digest);
    }
    if (kind === 'override') this.settled.set(executionId, digest);
    return {
      executionId,
      kind,
      decision: predicate.decision,
      agent: predicate.agent,
      parents: kind === 'decision' ? predicate.parents.map((p) => p.execution_id) : [],
      parentRefs: predicate.parents,
      digest,
      fingerprint: predicate.execution_fingerprint,
      policy: predicate.policy,
      runtimeHash: predicate.runtime_hash,
      predicate,
      envelope,
      value: attestationValue(executionId, envelope),
    };
  }
}
