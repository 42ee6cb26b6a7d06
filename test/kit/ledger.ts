import { randomUUID } from 'node:crypto';
import type { Kafka, Producer } from 'kafkajs';
import { loadTrustStore, nobleEd25519 } from '@lineage/protocol';
import type { TrustStore, TrustStoreDocument, TrustedKey, VerifyContext } from '@lineage/protocol';
import { createKafka, topicNames } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { generateKeyPair, nodeEd25519, trustedKey } from '@lineage/keys';
import type { KeyPair } from '@lineage/keys';
import { loadPolicy } from '@lineage/policy';
import type { LoadedPolicy } from '@lineage/policy';
import { loadRuntimeManifest, runtimeHash, startGovernance } from '@lineage/governance';
import type { GovernanceService } from '@lineage/governance';
import { connectAgent } from '@lineage/sdk';
import type { LineageAgent } from '@lineage/sdk';
import { readDeadLetters, readLedger } from '@lineage/testkit/kafka';
import type { LedgerEntry } from '@lineage/testkit/kafka';
import type { DeadLetterRecord } from '@lineage/schemas';
import { TEST_PRINCIPAL, withGrant } from './authority.js';

/** The policy tests run under: agents may read and plan; nobody deletes under prod/. */
export const TEST_POLICY = {
  id: 'test',
  version: 1,
  allow: [
    { id: 'agents-read', agents: ['*'], actions: ['read.*', 'plan.*', 'summarize', 'delete.*'] },
  ],
  deny: [{ id: 'no-prod-delete', actions: ['delete.*'], resource_prefix: 'prod/' }],
};

export const TEST_RUNTIME = {
  name: 'test-agent',
  version: '1.0.0',
  digest: 'sha256:' + '0'.repeat(64),
};

/**
 * A ledger under test: its own topics, keys and trust store on the real broker. The trust store
 * holds the governance key, the agent keys, {@link TEST_PRINCIPAL} (principal), an approver key and
 * a release key, plus any extra keys the test asked for.
 */
export interface TestLedger {
  kafka: Kafka;
  topics: TopicNames;
  governanceKey: KeyPair;
  agentKeys: KeyPair[];
  principalKey: KeyPair;
  approverKey: KeyPair;
  releaseKey: KeyPair;
  trustDocument: TrustStoreDocument;
  trust: TrustStore;
  policy: LoadedPolicy;
  verify: VerifyContext;
  groupId: string;
  startGovernance(options?: StartOptions): Promise<GovernanceService>;
  /** A connected agent; root drafts that name no grant carry the default test grant. */
  agent(index: number): Promise<LineageAgent>;
  /** An idempotent producer, connected; disconnected by `close` if the test did not. */
  producer(): Promise<Producer>;
  /** The ledger's attestations and dead letters, once as many as `counted` are readable. */
  outcomes(counted: {
    attestations: number;
    deadLetters: number;
  }): Promise<{ entries: LedgerEntry[]; deadLetters: DeadLetterRecord[] }>;
  close(): Promise<void>;
}

export interface TestLedgerOptions {
  agents?: number;
  partitions?: number;
  /** The policy document governance is configured with (default {@link TEST_POLICY}). */
  policy?: unknown;
  /** More trusted keys, e.g. keys with owners or several roles. */
  extraKeys?: TrustedKey[];
}

/** Per-instance governance settings a test may choose. */
export interface StartOptions {
  /** The instance's state store directory (default: state in memory). */
  stateDir?: string;
  /** Receives the service's log events (default: printed when LINEAGE_TEST_LOG is set). */
  log?: (event: string, fields?: Record<string, unknown>) => void;
}

/** Creates keys, a trust store and unique topics; governance and agents start on demand. */
export async function createTestLedger(
  brokers: string[],
  options: TestLedgerOptions = {},
): Promise<TestLedger> {
  const prefix = `t-${randomUUID().slice(0, 8)}-`;
  const kafka = createKafka({ brokers, clientId: `test-${prefix}` });
  const topics = topicNames(prefix);
  const governanceKey = generateKeyPair();
  const agentKeys = Array.from({ length: options.agents ?? 3 }, () => generateKeyPair());
  const approverKey = generateKeyPair();
  const releaseKey = generateKeyPair();
  const trustDocument: TrustStoreDocument = {
    version: 1,
    keys: [
      trustedKey(governanceKey, ['governance'], { name: 'governance' }),
      ...agentKeys.map((k, i) => trustedKey(k, ['agent'], { name: `agent-${i}` })),
      trustedKey(TEST_PRINCIPAL, ['principal'], { name: 'principal' }),
      trustedKey(approverKey, ['approver'], { name: 'approver' }),
      trustedKey(releaseKey, ['release'], { name: 'release' }),
      ...(options.extraKeys ?? []),
    ],
  };
  const trust = loadTrustStore(trustDocument);
  const policy = loadPolicy(options.policy ?? TEST_POLICY);
  const hash = runtimeHash(await loadRuntimeManifest());
  const services: GovernanceService[] = [];
  const agents: LineageAgent[] = [];
  const producers: Producer[] = [];
  const groupId = `${prefix}governance`;
  const ledger: TestLedger = {
    kafka,
    topics,
    governanceKey,
    agentKeys,
    principalKey: TEST_PRINCIPAL,
    approverKey,
    releaseKey,
    trustDocument,
    trust,
    policy,
    groupId,
    verify: { trust, ed25519: nobleEd25519 },
    async startGovernance(start: StartOptions = {}) {
      const s = await startGovernance({
        kafka,
        topics,
        groupId,
        key: governanceKey,
        trust,
        policy,
        ed25519: nodeEd25519(),
        runtimeHash: hash,
        partitions: options.partitions ?? 3,
        stateDir: start.stateDir,
        log:
          start.log ??
          (process.env.LINEAGE_TEST_LOG ? (m, f) => console.log(m, JSON.stringify(f)) : undefined),
      });
      services.push(s);
      return s;
    },
    async agent(index) {
      const a = await connectAgent({
        kafka,
        topics,
        signer: agentKeys[index]!.signer,
        verify: { trust, ed25519: nodeEd25519() },
        runtime: TEST_RUNTIME,
        timeoutMs: 60_000,
      });
      agents.push(a);
      const agent = agentKeys[index]!.signer.keyid;
      return { ...a, publishIntent: (draft) => a.publishIntent(withGrant(agent, draft)) };
    },
    async producer() {
      const producer = kafka.producer({ idempotent: true });
      producers.push(producer);
      await producer.connect();
      return producer;
    },
    async outcomes(counted) {
      return {
        entries: await readLedger(kafka, topics, counted.attestations),
        deadLetters: await readDeadLetters(kafka, topics, counted.deadLetters),
      };
    },
    async close() {
      await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
      await Promise.all(agents.map((a) => a.close()));
      await Promise.all(services.map((s) => s.stop().catch(() => undefined)));
    },
  };
  return ledger;
}
