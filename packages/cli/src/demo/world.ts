import { readFile } from 'node:fs/promises';
import type { Kafka } from 'kafkajs';
import { loadTrustStore } from '@lineage/protocol';
import type {
  DsseEnvelope,
  JsonValue,
  KeyRole,
  TrustStore,
  TrustStoreDocument,
} from '@lineage/protocol';
import { createKafka, topicNames } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { generateKeyPair, trustedKey } from '@lineage/keys';
import type { KeyPair } from '@lineage/keys';
import { loadPolicy } from '@lineage/policy';
import type { LoadedPolicy } from '@lineage/policy';
import { loadRuntimeManifest } from '@lineage/governance';
import type { RuntimeManifest } from '@lineage/governance';
import { resolveDatabase, startKafka } from '@lineage/infra';
import type { KafkaHandle, ResolvedDatabase } from '@lineage/infra';
import { createPool } from '@lineage/store';
import { issueGrant } from '../commands/grant.js';
import { AGENTS, GRANTED, demoPolicy } from './scenario.js';
import type { AgentName } from './scenario.js';

/** The keys of one run: governance, the agents, and three people. */
export interface DemoKeys {
  governance: KeyPair;
  agents: Record<AgentName, KeyPair>;
  /** alice: grants the planner. */
  principal: KeyPair;
  /** bob: resolves held executions. */
  approver: KeyPair;
  /** release-manager: vouches for the governance runtime. */
  release: KeyPair;
  /** The local witness that cosigns checkpoints. */
  witness: KeyPair;
}

/** The cosigner key name of the demo's local witness (its trust-store entry name). */
export const WITNESS_NAME = 'witness.lineage.local/demo';

/** Everything a run works in: infrastructure, names, keys, trust, policy and grant. */
export interface DemoWorld {
  broker: KafkaHandle;
  kafka: Kafka;
  dbUrl: string;
  /** The database the run uses: DATABASE_URL, the server psql would reach, or an embedded PGlite. */
  db: ResolvedDatabase;
  pool: ReturnType<typeof createPool>;
  /** This run's stamp: its topics are `demo.<run>.…`, its schema `demo_<run>`. */
  run: string;
  topics: TopicNames;
  schema: string;
  keys: DemoKeys;
  trustDocument: TrustStoreDocument;
  trust: TrustStore;
  /** Key id → a person's or agent's name, for printing. */
  names: Map<string, string>;
  policy: LoadedPolicy;
  grant: DsseEnvelope;
  manifest: RuntimeManifest;
}

/** Starts (or finds) Kafka and Postgres and makes this run's keys, trust store, policy and grant. */
export async function openWorld(): Promise<DemoWorld> {
  const broker = await startKafka();
  // DATABASE_URL, else the server psql would reach, else an embedded PGlite under .lineage/pglite.
  const db = await resolveDatabase();
  const dbUrl = db.url;
  const run = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').toLowerCase();
  const keys = generateKeys();
  const trustDocument = trustDocumentOf(keys);
  const policy = await loadDemoPolicy(keys.approver.keyid);
  // alice signs a grant for the planner, exactly as `lineage grant issue` does.
  const grant = issueGrant(
    { agent: keys.agents.planner.keyid, ...GRANTED, policy: policy.ref.id },
    keys.principal.signer,
  );
  return {
    broker,
    kafka: createKafka({ brokers: broker.brokers, clientId: 'lineage-demo' }),
    dbUrl,
    db,
    pool: createPool(dbUrl),
    run,
    topics: topicNames(`demo.${run}.`),
    schema: `demo_${run}`,
    keys,
    trustDocument,
    trust: loadTrustStore(trustDocument),
    names: new Map(trustDocument.keys.map((k) => [k.keyid, k.name ?? k.keyid])),
    policy,
    grant,
    manifest: await loadRuntimeManifest(),
  };
}

function generateKeys(): DemoKeys {
  const agents = Object.fromEntries(AGENTS.map((name) => [name, generateKeyPair()]));
  return {
    governance: generateKeyPair(),
    agents: agents as Record<AgentName, KeyPair>,
    principal: generateKeyPair(),
    approver: generateKeyPair(),
    release: generateKeyPair(),
    witness: generateKeyPair(),
  };
}

/**
 * Public keys only: governance, the agents (owned by ops), alice, bob and the release manager, and
 * the witness, with a 1-of-1 witness policy.
 */
function trustDocumentOf(keys: DemoKeys): TrustStoreDocument {
  const person = (k: KeyPair, role: KeyRole, name: string) => ({
    ...trustedKey(k, [role], { name }),
    owner: name,
  });
  return {
    version: 1,
    keys: [
      trustedKey(keys.governance, ['governance'], { name: 'governance' }),
      ...Object.entries(keys.agents).map(([name, k]) => ({
        ...trustedKey(k, ['agent'], { name }),
        owner: 'ops-team',
      })),
      person(keys.principal, 'principal', 'alice'),
      person(keys.approver, 'approver', 'bob'),
      person(keys.release, 'release', 'release-manager'),
      trustedKey(keys.witness, ['witness'], { name: WITNESS_NAME }),
    ],
    // Evidence counts only checkpoints the local witness cosigned (1 of 1).
    witness_policy: { quorum: 1, witnesses: [keys.witness.keyid] },
  };
}

/** The default policy's deny rules, plus the demo's allow rules and its hold on publishing. */
async function loadDemoPolicy(approver: string): Promise<LoadedPolicy> {
  const base = JSON.parse(
    await readFile(new URL('../../../../infra/policy/default.json', import.meta.url), 'utf8'),
  ) as { deny: JsonValue };
  return loadPolicy({ ...(demoPolicy(approver) as object), deny: base.deny } as JsonValue);
}
