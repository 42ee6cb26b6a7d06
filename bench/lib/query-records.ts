// Signed attestation records for the query benchmark, built by the test kit's ledger as governance
// appends them: each embeds an agent-signed intent (when asked) and is signed by the governance key.
// Keys come from labels and ids from the seeded generator, so (Ed25519 being deterministic) every run
// produces the same bytes.
import type { KafkaMessage } from 'kafkajs';
import {
  attestationLeaf,
  newExecutionId,
  nodeHash,
  sha256Hex,
  toDsse,
  utf8,
} from '@lineage/protocol';
import type { Decision, ExecutionId, KeyId, Predicate } from '@lineage/protocol';
import { LedgerBuilder, labelledKey } from '@lineage/testkit';
import type { TestKey } from '@lineage/testkit';

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
  'overrides',
  'approver',
  'resolution',
  'grant_digest',
  'principals',
  'depth',
] as const;

/** One attestation: the Kafka record the projector reads, and the same row ready-made for the bare insert. */
export interface BenchRecord {
  message: KafkaMessage;
  /** Values of {@link EXECUTION_COLUMNS}, in order (envelope as JSON text). */
  row: unknown[];
  /** `[child_id, parent_id, parent_attestation]` per parent. */
  edges: [string, string, string][];
  /**
   * `[level, index, hash]` of the partition's Merkle tree nodes this attestation completes (its
   * leaf, and each parent whose right child it completes), as the projector stores them.
   */
  nodes: [number, number, Buffer][];
}

const ACTIONS = ['docs.read', 'docs.write', 'tickets.update', 'email.send', 'payments.quote'];
const EPOCH = Date.UTC(2025, 0, 1);
const BENCH_POLICY = { id: 'bench', version: 1, document: 'bench policy' };

/** Makes the attestations of executions 0, 1, 2, … in order; parents are earlier indexes. */
export class RecordMaker {
  /** Execution ids by index. */
  readonly ids: ExecutionId[] = [];
  private readonly principals = Array.from({ length: 16 }, (_, i) =>
    labelledKey(`bench principal ${i}`),
  );
  private readonly governance = labelledKey('bench governance');
  private readonly agents = Array.from({ length: 16 }, (_, i) => labelledKey(`bench agent ${i}`));
  private readonly ledger = new LedgerBuilder(this.governance.signer, { chained: true });
  private readonly runtime = sha256Hex(utf8('bench governance runtime'));
  /** The tree's right edge: per level, the complete subtree waiting for its right sibling. */
  private readonly frontier: Buffer[] = [];

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
    const agent: TestKey = this.agents[Math.floor(this.random() * this.agents.length)]!;
    const action = ACTIONS[Math.floor(this.random() * ACTIONS.length)]!;
    const decision: Decision = this.random() < 0.05 ? 'deny' : 'allow';
    const a = this.ledger.decide(
      parents.map((p) => this.ids[p]!),
      {
        executionId,
        decision,
        action,
        resource: `doc:${i % 50_000}`,
        policy: BENCH_POLICY,
        runtime: this.runtime,
        principal: this.principals[i % this.principals.length]!.keyid,
        at: at + 3,
        ...(this.embedIntent ? { agentSigner: agent.signer } : { agent: agent.keyid }),
      },
    );
    this.ids.push(executionId);
    return {
      message: {
        key: Buffer.from(executionId),
        value: a.value,
        offset: String(i),
        timestamp: String(at),
        attributes: 0,
        headers: {},
      },
      row: rowOf(a.predicate, a.digest, String(i), toDsse(a.envelope)),
      edges: a.parentRefs.map((p) => [executionId, p.execution_id, p.attestation]),
      nodes: this.grow(i, a.envelope.payload),
    };
  }

  // Appends leaf `index` (the protocol's attestation leaf) and returns the nodes it completes.
  private grow(index: number, payload: Uint8Array): [number, number, Buffer][] {
    let hash = Buffer.from(attestationLeaf(payload));
    const nodes: [number, number, Buffer][] = [[0, index, hash]];
    let level = 0;
    for (let i = index; i % 2 === 1; i = (i - 1) / 2) {
      hash = Buffer.from(nodeHash(this.frontier[level]!, hash));
      level++;
      nodes.push([level, (i - 1) / 2, hash]);
    }
    this.frontier[level] = hash;
    return nodes;
  }
}

/** The values of {@link EXECUTION_COLUMNS} for one attestation at `offset` of partition 0. */
function rowOf(p: Predicate, digest: string, offset: string, envelope: unknown): unknown[] {
  return [
    p.execution_id,
    digest,
    p.kind,
    p.decision,
    p.reasons,
    p.agent,
    p.action,
    p.resource,
    p.policy.id,
    p.policy.version,
    p.policy.hash,
    p.runtime_hash,
    p.execution_fingerprint,
    p.issued_at,
    p.issuer,
    0,
    offset,
    p.sequence,
    JSON.stringify(envelope),
    p.override?.pending ?? null,
    null,
    null,
    p.authorization.grant,
    p.authorization.principals,
    p.authorization.depth,
  ];
}
