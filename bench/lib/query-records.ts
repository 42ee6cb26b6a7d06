// Signed attestation records for the query benchmark, as governance appends them: each embeds an
// agent-signed intent and is signed by the governance key. Keys come from a seed, so (Ed25519 being
// deterministic) every run produces the same bytes.
import type { KafkaMessage } from 'kafkajs';
import { nodeSigner, privateKeyObject, rawPublicKey } from '@lineage/keys';
import {
  ATTESTATION_PAYLOAD_TYPE,
  INTENT_PAYLOAD_TYPE,
  INTENT_TYPE,
  attestationDigest,
  buildStatement,
  canonicalBytes,
  encodeStatement,
  executionFingerprint,
  keyIdOf,
  newExecutionId,
  sha256Hex,
  signEnvelope,
  toDsse,
  utf8,
} from '@lineage/protocol';
import type {
  Decision,
  Digest,
  ExecutionId,
  IntentBody,
  KeyId,
  PolicyRef,
  Predicate,
  Signer,
} from '@lineage/protocol';
import { attestationCodec, envelopeRecord } from '@lineage/schemas';

/** The `executions` columns in table order, as the bare insert writes them. */
export const EXECUTION_COLUMNS = [
  'execution_id',
  'attestation_digest',
  'kind',
  'decision',
  'reasons',
  'agent',
  'action',
  'resource',
  'policy_id',
  'policy_version',
  'policy_hash',
  'runtime_hash',
  'fingerprint',
  'issued_at',
  'issuer',
  'partition',
  'offset',
  'sequence',
  'envelope',
] as const;

/** One attestation: the Kafka record the projector reads, and the same row ready-made for the bare insert. */
export interface BenchRecord {
  message: KafkaMessage;
  /** Values of {@link EXECUTION_COLUMNS}, in order (envelope as JSON text). */
  row: unknown[];
  /** `[child_id, parent_id, parent_attestation]` per parent. */
  edges: [string, string, string][];
}

interface Key {
  keyid: KeyId;
  signer: Signer;
}

function seededKey(label: string): Key {
  const privateKey = privateKeyObject(Buffer.from(sha256Hex(utf8(label)), 'hex'));
  const keyid = keyIdOf(rawPublicKey(privateKey));
  return { keyid, signer: nodeSigner(privateKey, keyid) };
}

const ACTIONS = ['docs.read', 'docs.write', 'tickets.update', 'email.send', 'payments.quote'];
const EPOCH = Date.UTC(2025, 0, 1);

/** Makes the attestations of executions 0, 1, 2, … in order; parents are earlier indexes. */
export class RecordMaker {
  /** Execution ids by index. */
  readonly ids: ExecutionId[] = [];
  private readonly digests: Digest[] = [];
  /** Per execution: the principals its authority comes from and its distance from the root grant. */
  private readonly principalsOf: KeyId[][] = [];
  private readonly depths: number[] = [];
  private readonly principals = Array.from({ length: 16 }, (_, i) =>
    seededKey(`bench principal ${i}`),
  );
  private readonly governance = seededKey('bench governance');
  private readonly agents = Array.from({ length: 16 }, (_, i) => seededKey(`bench agent ${i}`));
  private readonly policy: PolicyRef = {
    id: 'bench',
    version: 1,
    hash: sha256Hex(utf8('bench policy')),
  };
  private readonly runtimeHash = sha256Hex(utf8('bench governance runtime'));

  /**
   * @param embedIntent whether the attestation embeds the agent-signed intent, as governance does
   *   (false: `intent: null`, as the projector's fixtures; one signature per record instead of two).
   */
  constructor(
    private readonly random: () => number,
    private readonly embedIntent: boolean,
  ) {}

  /** The governance key id, for the report. */
  get issuer(): KeyId {
    return this.governance.keyid;
  }

  /** Builds and signs the next execution's intent and decision attestation. */
  make(parents: readonly number[]): BenchRecord {
    const i = this.ids.length;
    const at = EPOCH + i * 50;
    const executionId = newExecutionId(at, (b) => {
      for (let k = 0; k < b.length; k++) b[k] = Math.floor(this.random() * 256);
      return b;
    });
    const agent = this.agents[Math.floor(this.random() * this.agents.length)]!;
    const action = ACTIONS[Math.floor(this.random() * ACTIONS.length)]!;
    const decision: Decision = this.random() < 0.05 ? 'deny' : 'allow';
    const parentRefs = parents.map((p) => ({
      execution_id: this.ids[p]!,
      attestation: this.digests[p]!,
    }));
    const principal = this.principals[i % this.principals.length]!.keyid;
    const grant = parents.length === 0 ? { principal, scope: [action] } : null;
    const principals =
      parents.length === 0
        ? [principal]
        : [...new Set(parents.flatMap((p) => this.principalsOf[p]!))].sort();
    const depth = parents.length === 0 ? 0 : 1 + Math.max(...parents.map((p) => this.depths[p]!));
    const requestedAt = new Date(at).toISOString();
    const intent: IntentBody = {
      _type: INTENT_TYPE,
      execution_id: executionId,
      agent: agent.keyid,
      action,
      resource: `doc:${i % 50_000}`,
      inputs: { query: `step ${i}`, limit: 20 },
      parents: parentRefs,
      grant,
      runtime: {
        name: 'agent-runtime',
        version: '1.4.0',
        digest: sha256Hex(utf8('agent runtime')),
      },
      dependencies: [
        { kind: 'model', name: 'planner', digest: sha256Hex(utf8('planner weights')) },
      ],
      requested_at: requestedAt,
      trace: null,
    };
    const intentPayload = canonicalBytes(intent);
    const intentDigest = sha256Hex(intentPayload);
    const predicate: Predicate = {
      execution_id: executionId,
      execution_fingerprint: executionFingerprint(executionId, intentDigest, this.policy),
      kind: 'decision',
      decision,
      reasons: decision === 'allow' ? [] : ['POLICY_DENIED'],
      agent: agent.keyid,
      action,
      resource: intent.resource,
      policy: this.policy,
      runtime_hash: this.runtimeHash,
      parents: parentRefs,
      authorization: {
        grant: grant === null ? null : sha256Hex(canonicalBytes(grant)),
        inherited_from: parentRefs.map((p) => p.attestation),
        principals,
        scope: { actions: [action], resources: [''] },
        depth,
      },
      partition: 0,
      sequence: i,
      prev: this.digests[i - 1] ?? null,
      issued_at: new Date(at + 3).toISOString(),
      issuer: this.governance.keyid,
      intent: this.embedIntent
        ? toDsse(signEnvelope(INTENT_PAYLOAD_TYPE, intentPayload, agent.signer))
        : null,
      override: null,
    };
    const envelope = signEnvelope(
      ATTESTATION_PAYLOAD_TYPE,
      encodeStatement(buildStatement(predicate, intentDigest)),
      this.governance.signer,
    );
    const digest = attestationDigest(envelope);
    this.ids.push(executionId);
    this.digests.push(digest);
    this.principalsOf.push(principals);
    this.depths.push(depth);
    const value = attestationCodec.encode({
      execution_id: executionId,
      envelope: envelopeRecord(envelope),
    });
    const offset = String(i);
    const row = [
      executionId,
      digest,
      predicate.kind,
      decision,
      predicate.reasons,
      agent.keyid,
      action,
      predicate.resource,
      this.policy.id,
      this.policy.version,
      this.policy.hash,
      this.runtimeHash,
      predicate.execution_fingerprint,
      predicate.issued_at,
      predicate.issuer,
      0,
      offset,
      i,
      JSON.stringify(toDsse(envelope)),
    ];
    return {
      message: {
        key: Buffer.from(executionId),
        value,
        offset,
        timestamp: String(at),
        attributes: 0,
        headers: {},
      },
      row,
      edges: parentRefs.map((p) => [executionId, p.execution_id, p.attestation]),
    };
  }
}
