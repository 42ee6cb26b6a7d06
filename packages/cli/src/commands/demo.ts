import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import {
  loadTrustStore,
  nobleEd25519,
  toDsse,
  verifyAttestation,
  verifyBundle,
} from '@lineage/protocol';
import type { ExecutionId, JsonValue, RawEnvelope, TrustStoreDocument } from '@lineage/protocol';
import { attestationCodec } from '@lineage/schemas';
import { createKafka, readToEnd, topicNames } from '@lineage/kafka';
import { generateKeyPair, nodeEd25519, trustedKey, writeTrustStore } from '@lineage/keys';
import type { KeyPair } from '@lineage/keys';
import { loadPolicy } from '@lineage/policy';
import { loadRuntimeManifest, runtimeHash, startGovernance } from '@lineage/governance';
import { LineageSdkError, connectAgent, signIntent } from '@lineage/sdk';
import type { LineageAgent, ReceivedAttestation, SignedIntent } from '@lineage/sdk';
import { databaseUrl, ensureDatabase, startKafka } from '@lineage/infra';
import { startProjector } from '@lineage/projector';
import { openQueries } from '@lineage/query';
import { exportBundle } from './query.js';
import { createPool } from '@lineage/store';

const OUT = '.lineage/demo';
const RUNTIME = { name: 'demo-agent', version: '1.0.0', digest: 'sha256:' + 'd'.repeat(64) };
const short = (s: string) => `${s.slice(0, 8)}…${s.slice(-4)}`;
/** UUIDv7s share their leading timestamp digits; the tail tells them apart. */
const shortId = (id: string) => `…${id.slice(-12)}`;

interface Step {
  label: string;
  agent: 'planner' | 'researcher' | 'executor';
  action: string;
  resource: string;
  parents: string[];
}

// Seven executions, one multi-parent join, one policy denial and one denial inherited from a parent.
const TREE: Step[] = [
  {
    label: 'E1',
    agent: 'planner',
    action: 'plan.quarterly-report',
    resource: 'reports/q3',
    parents: [],
  },
  {
    label: 'E2',
    agent: 'researcher',
    action: 'read.sales',
    resource: 'warehouse/sales',
    parents: ['E1'],
  },
  {
    label: 'E3',
    agent: 'researcher',
    action: 'read.inventory',
    resource: 'warehouse/inventory',
    parents: ['E1'],
  },
  {
    label: 'E4',
    agent: 'executor',
    action: 'summarize',
    resource: 'reports/q3/draft',
    parents: ['E2', 'E3'],
  },
  {
    label: 'E5',
    agent: 'executor',
    action: 'delete.records',
    resource: 'prod/customers',
    parents: ['E4'],
  },
  {
    label: 'E6',
    agent: 'planner',
    action: 'plan.review',
    resource: 'reports/q3/review',
    parents: ['E4'],
  },
  {
    label: 'E7',
    agent: 'executor',
    action: 'summarize',
    resource: 'reports/q3/final',
    parents: ['E6'],
  },
  {
    label: 'E8',
    agent: 'researcher',
    action: 'read.archive',
    resource: 'warehouse/archive',
    parents: ['E5'],
  },
];

/** Runs the whole system end to end on a real broker and Postgres, and leaves evidence behind. */
export async function runDemo(): Promise<void> {
  const say = (line = '') => console.log(line);
  say(
    'Lineage demo: agents → intents → governance → signed attestations → projection → evidence\n',
  );

  const broker = await startKafka();
  const dbUrl = databaseUrl();
  await ensureDatabase(dbUrl);
  const pool = createPool(dbUrl);
  const run = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').toLowerCase();
  const topics = topicNames(`demo.${run}.`);
  const schema = `demo_${run}`;
  const kafka = createKafka({ brokers: broker.brokers, clientId: 'lineage-demo' });

  const governanceKey = generateKeyPair();
  const agentKeys: Record<Step['agent'], KeyPair> = {
    planner: generateKeyPair(),
    researcher: generateKeyPair(),
    executor: generateKeyPair(),
  };
  const trustDocument: TrustStoreDocument = {
    version: 1,
    keys: [
      trustedKey(governanceKey, ['governance'], { name: 'governance' }),
      ...Object.entries(agentKeys).map(([name, k]) => trustedKey(k, ['agent'], { name })),
    ],
  };
  const trust = loadTrustStore(trustDocument);
  const policyJson = JSON.parse(
    await readFile(new URL('../../../../infra/policy/default.json', import.meta.url), 'utf8'),
  ) as JsonValue;
  const policy = loadPolicy(policyJson);
  const manifest = await loadRuntimeManifest();
  const names = new Map<string, string>(
    trustDocument.keys.map((k) => [k.keyid, k.name ?? k.keyid]),
  );

  say(
    `  kafka      ${broker.brokers.join(',')} (${broker.owned ? 'started by the demo' : 'already running'})`,
  );
  say(`  postgres   ${dbUrl.replace(/\/\/[^@]*@/, '//')} (schema ${schema})`);
  say(`  topics     ${topics.intents}, ${topics.attestations}, ${topics.deadLetters}`);
  say(`  policy     ${policy.ref.id}@${policy.ref.version} sha256:${short(policy.ref.hash)}`);
  say(
    `  runtime    ${manifest.name} ${manifest.version} runtime_hash sha256:${short(runtimeHash(manifest))}`,
  );
  say(
    `  keys       governance ${short(governanceKey.keyid)}; agents ${Object.entries(agentKeys)
      .map(([n, k]) => `${n} ${short(k.keyid)}`)
      .join(', ')}\n`,
  );

  const governance = await startGovernance({
    kafka,
    topics,
    groupId: `demo.${run}.governance`,
    key: governanceKey,
    trust,
    policy,
    ed25519: nodeEd25519(),
    runtimeHash: runtimeHash(manifest),
    partitions: 3,
  });
  const projector = await startProjector({
    kafka,
    pool,
    schema,
    topics,
    groupId: `demo.${run}.projector`,
  });
  const agents = {} as Record<Step['agent'], LineageAgent>;
  for (const [name, key] of Object.entries(agentKeys)) {
    agents[name as Step['agent']] = await connectAgent({
      kafka,
      topics,
      signer: key.signer,
      verify: { trust, ed25519: nodeEd25519() },
      runtime: RUNTIME,
    });
  }

  const results = new Map<string, ReceivedAttestation>();
  const signed = new Map<string, SignedIntent>();
  let published = 0;
  const publish = async (
    agent: Step['agent'],
    intent: SignedIntent,
  ): Promise<ReceivedAttestation> => {
    published++;
    try {
      return await agents[agent].publishSigned(intent);
    } catch (e) {
      // A signed denial is an answer too; only timeouts and transport failures are errors.
      if (e instanceof LineageSdkError && e.attestation) return e.attestation;
      throw e;
    }
  };
  try {
    say('Decisions');
    for (const step of TREE) {
      const parents = step.parents.map((p) => results.get(p)!.envelope);
      const intent = signIntent(
        { action: step.action, resource: step.resource, parents },
        agentKeys[step.agent].signer,
        RUNTIME,
      );
      signed.set(step.label, intent);
      const received = await publish(step.agent, intent);
      results.set(step.label, received);
      const p = received.verified.predicate;
      const mark = p.decision === 'allow' ? '✔' : '✘';
      say(
        `  ${mark} ${step.label} ${p.decision.padEnd(5)} ${shortId(p.execution_id)}  ${step.agent.padEnd(10)} ${`${step.action} ${step.resource}`.padEnd(42)} ${(step.parents.length ? `parents ${step.parents.join('+')}` : 'root').padEnd(13)}  ${p.reasons.join(' ')}`,
      );
    }

    // An agent retries E2 byte for byte: governance answers with the attestation it already issued.
    const again = await publish('researcher', signed.get('E2')!);
    const e2 = results.get('E2')!.verified.digest;
    say(
      `  ↺ E2 redelivered identically → attestation sha256:${short(again.verified.digest)} (${again.verified.digest === e2 ? 'the same one' : 'A DIFFERENT ONE'}), no new decision`,
    );

    // A different intent reusing E7's consumed execution id is a replay: a signed rejection.
    const e7 = results.get('E7')!.verified.predicate;
    const reuse = signIntent(
      {
        action: 'delete.records',
        resource: 'reports/q3/final',
        parents: [results.get('E6')!.envelope],
        executionId: e7.execution_id as ExecutionId,
      },
      agentKeys.executor.signer,
      RUNTIME,
    );
    const replay = (await publish('executor', reuse)).verified.predicate;
    say(
      `  ⟲ E7's id reused by a different intent → ${replay.kind} ${replay.decision} ${replay.reasons.join(' ')}`,
    );
    if (replay.decision === 'allow') throw new Error('a replayed execution id was allowed');

    // Wait until governance has consumed every intent, including the redelivery.
    for (let i = 0; i < 300 && governance.stats.intents < published; i++)
      await new Promise((r) => setTimeout(r, 100));

    // Every record on the ledger verifies with nothing but the public keys (pure-JS Ed25519).
    // A reader stops at the last stable offset; the final commit's markers may still be landing.
    let ledger: RawEnvelope[] = [];
    for (let i = 0; i < 100 && ledger.length < governance.stats.attestations; i++) {
      const read: RawEnvelope[] = [];
      await readToEnd(kafka, topics.attestations, new Map([0, 1, 2].map((p) => [p, 0n])), (_p, m) =>
        read.push(attestationCodec.decode(m.value!).envelope),
      );
      ledger = read;
    }
    let ok = 0;
    for (const env of ledger) {
      verifyAttestation(env, { trust, ed25519: nobleEd25519 });
      ok++;
    }
    say(
      `\nVerification\n  ${published} intents published → ${ledger.length} attestations + ${governance.stats.deadLetters} dead letters + ${governance.stats.redeliveries} redelivery answered from the ledger; ${ok}/${ledger.length} verify with only the public keys`,
    );
    if (ledger.length + governance.stats.deadLetters + governance.stats.redeliveries !== published)
      throw new Error('intents in ≠ attestations + dead letters + redeliveries');

    // The projection answers where the deepest execution came from.
    const deepest = results.get('E7')!.verified.predicate;
    const rows = await waitForAncestry(pool, schema, deepest.execution_id, 5);
    const label = new Map([...results].map(([l, r]) => [r.verified.predicate.execution_id, l]));
    say(
      `\nAncestry of E7 ${deepest.execution_id} (Postgres projection, recursive over the multi-parent graph)`,
    );
    say(
      `  depth 0  E7  ${shortId(deepest.execution_id)}  ${deepest.decision.padEnd(5)} ${deepest.action.padEnd(22)} by executor`,
    );
    for (const r of rows)
      say(
        `  depth ${r.depth}  ${label.get(r.execution_id) ?? '?'}  ${shortId(r.execution_id)}  ${(r.decision ?? '?').padEnd(5)} ${(r.action ?? '?').padEnd(22)} by ${names.get(r.agent ?? '') ?? r.agent}`,
      );

    // Evidence: exported from the projection exactly as `lineage export` does, then checked offline.
    await mkdir(OUT, { recursive: true });
    await writeTrustStore(join(OUT, 'truststore.json'), trustDocument);
    const bundle = await exportBundle(deepest.execution_id, schema, {
      keys: trustDocument.keys,
      policies: [policy.document as unknown as JsonValue],
    });
    verifyBundle(bundle, { ed25519: nobleEd25519, trust });
    await writeFile(join(OUT, 'evidence.json'), JSON.stringify(bundle, null, 2) + '\n');
    // Where this run's data is, so the CLI can be pointed at it (lineage ancestors/export --schema …).
    const executions = Object.fromEntries(
      [...results].map(([l, r]) => [l, r.verified.predicate.execution_id]),
    );
    await writeFile(
      join(OUT, 'run.json'),
      JSON.stringify({ schema, topics, executions }, null, 2) + '\n',
    );
    await writeFile(
      join(OUT, 'attestation.json'),
      JSON.stringify(toDsse(results.get('E7')!.envelope), null, 2) + '\n',
    );
    say(`\nEvidence`);
    say(
      `  ${OUT}/evidence.json     bundle of E7: ${bundle.attestations.length} attestations, ${bundle.keys.length} public keys, ${bundle.policies.length} policy`,
    );
    say(
      `    the same as: pnpm lineage export ${deepest.execution_id} --schema ${schema} --trust ${OUT}/truststore.json --out ${OUT}/evidence.json`,
    );
    say(`  ${OUT}/attestation.json  E7's attestation alone (DSSE envelope)`);
    say(`  ${OUT}/truststore.json   public keys only`);
    say(`  ${OUT}/run.json          this run's projection schema, topics and execution ids`);
    say(
      `  check it yourself:  pnpm lineage verify ${OUT}/evidence.json --trust ${OUT}/truststore.json`,
    );
    say(`  governance stats: ${JSON.stringify(governance.stats)}`);
  } finally {
    await Promise.all(Object.values(agents).map((a) => a.close()));
    await projector.stop();
    await governance.stop();
    await pool.end();
    if (broker.owned) {
      await broker.stop();
      say('\nStopped the Kafka broker the demo started.');
    }
  }
}

async function waitForAncestry(
  pool: ReturnType<typeof createPool>,
  schema: string,
  id: string,
  expected: number,
) {
  const queries = openQueries(pool, schema);
  for (let i = 0; i < 300; i++) {
    const { items } = await queries.ancestors(id);
    if (items.length >= expected) return items;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`projection did not catch up with ${id}`);
}

/** `lineage demo`. */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the whole system end to end and write evidence to .lineage/demo')
    .action(runDemo);
}
