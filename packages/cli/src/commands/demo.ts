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
import type {
  EvidenceBundle,
  ExecutionId,
  JsonValue,
  KeyRole,
  RawEnvelope,
  TrustStoreDocument,
} from '@lineage/protocol';
import { attestationCodec } from '@lineage/schemas';
import { createKafka, readToEnd, topicNames } from '@lineage/kafka';
import { generateKeyPair, nodeEd25519, trustedKey, writeTrustStore } from '@lineage/keys';
import type { KeyPair } from '@lineage/keys';
import { loadPolicy } from '@lineage/policy';
import { loadRuntimeManifest, runtimeHash, startGovernance } from '@lineage/governance';
import { LineageSdkError, connectAgent, signIntent } from '@lineage/sdk';
import type { LineageAgent, ReceivedAttestation, SignedIntent } from '@lineage/sdk';
import { resolveDatabase, startKafka } from '@lineage/infra';
import { startProjector } from '@lineage/projector';
import { startCheckpointer } from '@lineage/checkpointer';
import { openQueries } from '@lineage/query';
import type { BundleSources } from '@lineage/query';
import { createPool, qualifiedName } from '@lineage/store';
import { issueGrant } from './grant.js';
import { describeOverride, resolveExecution } from './override.js';
import { exportBundle } from './query.js';
import { describeMismatch, describeReport, replayVerify } from './replay.js';
import { auditTopics, describeAudit } from './log.js';
import { currentRuntime, releaseCurrentRuntime } from './runtime.js';

const OUT = '.lineage/demo';
/** Small on purpose: the demo's ledger is short, and it should see a few checkpoints per partition. */
const CHECKPOINT_EVERY = 3;
const CHECKPOINT_INTERVAL_MS = 500;
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

// Eight executions under one grant: a multi-parent join, a policy denial and a denial inherited
// from a parent; then (below) a publication held for a human, its child, approval, and a child after.
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

/**
 * The demo's policy: what the default policy allows, and publishing held for the approver named.
 * Built per run, because it names the run's approver key.
 */
function demoPolicy(approver: string): JsonValue {
  return {
    id: 'demo',
    version: 1,
    max_clock_skew_seconds: 300,
    allow: [
      {
        id: 'any-agent-read',
        agents: ['*'],
        actions: ['read.*', 'plan.*', 'summarize', 'publish.*'],
      },
    ],
    deny: [{ id: 'no-prod-delete', actions: ['delete.*'], resource_prefix: 'prod/' }],
    require_override: [
      { id: 'publish-needs-a-human', actions: ['publish.*'], approvers: [approver] },
    ],
  };
}

/** What the principal authorizes the planner (and so, by inheritance, everything below it) to do. */
const GRANTED = {
  actions: ['plan.*', 'read.*', 'summarize', 'delete.*', 'publish.*'],
  resources: ['reports/', 'warehouse/', 'prod/'],
};

/** Runs the whole system end to end on a real broker and Postgres, and leaves evidence behind. */
export async function runDemo(): Promise<void> {
  const say = (line = '') => console.log(line);
  say(
    'Lineage demo: agents → intents → governance → signed attestations → projection → evidence\n',
  );

  const broker = await startKafka();
  // DATABASE_URL, else the server psql would reach, else an embedded PGlite under .lineage/pglite.
  const db = await resolveDatabase();
  const dbUrl = db.url;
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
  // People: alice (a principal) grants the planner; bob (an approver) resolves held executions.
  const principalKey = generateKeyPair();
  const approverKey = generateKeyPair();
  const releaseKey = generateKeyPair();
  const person = (k: KeyPair, role: KeyRole, name: string, owner: string) => ({
    ...trustedKey(k, [role], { name }),
    owner,
  });
  const trustDocument: TrustStoreDocument = {
    version: 1,
    keys: [
      trustedKey(governanceKey, ['governance'], { name: 'governance' }),
      ...Object.entries(agentKeys).map(([name, k]) => ({
        ...trustedKey(k, ['agent'], { name }),
        owner: 'ops-team',
      })),
      person(principalKey, 'principal', 'alice', 'alice'),
      person(approverKey, 'approver', 'bob', 'bob'),
      person(releaseKey, 'release', 'release-manager', 'release-manager'),
    ],
  };
  const trust = loadTrustStore(trustDocument);
  // The default policy's rules, plus a hold on publishing (its own file shows the base rules).
  const base = JSON.parse(
    await readFile(new URL('../../../../infra/policy/default.json', import.meta.url), 'utf8'),
  ) as { deny: JsonValue };
  const policyJson = { ...(demoPolicy(approverKey.keyid) as object), deny: base.deny } as JsonValue;
  const policy = loadPolicy(policyJson);
  // alice signs a grant for the planner, exactly as `lineage grant issue` does.
  const grant = issueGrant(
    { agent: agentKeys.planner.keyid, ...GRANTED, policy: policy.ref.id, validForMs: 86_400_000 },
    principalKey.signer,
  );
  const manifest = await loadRuntimeManifest();
  const names = new Map<string, string>(
    trustDocument.keys.map((k) => [k.keyid, k.name ?? k.keyid]),
  );

  say(
    `  kafka      ${broker.brokers.join(',')} (${broker.owned ? 'started by the demo' : 'already running'})`,
  );
  say(
    `  postgres   ${dbUrl.replace(/\/\/[^@]*@/, '//')} (schema ${schema}${db.embedded ? `; ${db.note}` : ''})`,
  );
  say(
    `  topics     ${topics.intents}, ${topics.attestations}, ${topics.overrides}, ${topics.policies}, ${topics.deadLetters}, ${topics.checkpoints}`,
  );
  say(`  policy     ${policy.ref.id}@${policy.ref.version} sha256:${short(policy.ref.hash)}`);
  say(
    `  runtime    ${manifest.name} ${manifest.version} runtime_hash sha256:${short(runtimeHash(manifest))}`,
  );
  say(
    `  keys       governance ${short(governanceKey.keyid)}; agents ${Object.entries(agentKeys)
      .map(([n, k]) => `${n} ${short(k.keyid)}`)
      .join(', ')}`,
  );
  say(
    `  people     alice (principal) ${short(principalKey.keyid)}, bob (approver) ${short(approverKey.keyid)}, release-manager ${short(releaseKey.keyid)}`,
  );
  say(
    `  grant      alice → planner: ${GRANTED.actions.join(',')} on ${GRANTED.resources.join(',')} under policy ${policy.ref.id}, 24h; children inherit it through their parents' attestations`,
  );
  say(`  hold       publish.* waits for bob (rule publish-needs-a-human)`);
  say(
    `  ledger     governance signs a Merkle checkpoint of each attestation partition every ${CHECKPOINT_EVERY} attestations or ${CHECKPOINT_INTERVAL_MS} ms\n`,
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
  // The checkpointer signs with governance's key: checkpoints need a trusted `governance` key.
  const checkpointer = await startCheckpointer({
    kafka,
    topics,
    key: governanceKey,
    ed25519: nodeEd25519(),
    every: CHECKPOINT_EVERY,
    intervalMs: CHECKPOINT_INTERVAL_MS,
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
      // Only the planner starts executions: it carries alice's grant on its root intents.
      ...(name === 'planner' ? { grant: grant as unknown as JsonValue } : {}),
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
  let resolutions = 0;
  // Publishes one child step of the tree's continuation and prints its decision.
  const step9 = async (
    label: string,
    agent: Step['agent'],
    action: string,
    resource: string,
    parentLabels: string[],
  ) => {
    const step: Step = { label, agent, action, resource, parents: parentLabels };
    const intent = signIntent(
      { action, resource, parents: parentLabels.map((p) => results.get(p)!.envelope) },
      agentKeys[agent].signer,
      RUNTIME,
    );
    signed.set(label, intent);
    const received = await publish(agent, intent);
    results.set(label, received);
    say(line(step, received.verified.predicate));
    return received.verified.predicate;
  };
  try {
    say('Decisions');
    for (const step of TREE) {
      const parents = step.parents.map((p) => results.get(p)!.envelope);
      const intent = signIntent(
        {
          action: step.action,
          resource: step.resource,
          parents,
          grant: parents.length === 0 ? (grant as unknown as JsonValue) : null,
        },
        agentKeys[step.agent].signer,
        RUNTIME,
      );
      signed.set(step.label, intent);
      const received = await publish(step.agent, intent);
      results.set(step.label, received);
      say(line(step, received.verified.predicate));
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

    // Publishing is held for a human: governance appends a pending_override, not an answer.
    const e9 = await step9('E9', 'executor', 'publish.report', 'reports/q3/final', ['E7']);
    if (e9.decision !== 'pending_override') throw new Error('the publication was not held');
    // A child of the held execution is denied until someone approves it.
    const e10 = await step9('E10', 'researcher', 'read.published', 'reports/q3/final', ['E9']);
    if (!e10.reasons.includes('PARENT_PENDING_OVERRIDE'))
      throw new Error('a child of a pending execution was not denied');

    // bob approves E9 by the same code path as `lineage override approve <id> --key bob.key`.
    say('\nOverride');
    await waitForRow(pool, schema, e9.execution_id);
    const approval = await resolveExecution({
      kafka,
      topics,
      pool,
      schema,
      trust,
      approver: approverKey.signer,
      executionId: e9.execution_id,
      resolution: 'approve',
      reason: 'reviewed the Q3 report; fine to publish',
    });
    resolutions++;
    say(`  ✔ bob approves E9 → ${describeOverride(approval)}`);
    say(`    the pending attestation stays as it was; the override extends E9's lineage`);
    results.set('E9', approval);
    // The same resolution of the same pending decision again: refused, signed, nothing changes.
    const twice = await resolveExecution({
      kafka,
      topics,
      pool,
      schema,
      trust,
      approver: approverKey.signer,
      executionId: e9.execution_id,
      resolution: 'reject',
      reason: 'second thoughts',
    }).then(
      () => 'ACCEPTED',
      (e: unknown) => (e as Error).message.split(':')[0]!,
    );
    resolutions++;
    say(`  ✘ bob resolves E9 a second time → refused ${twice}`);
    if (twice !== 'OVERRIDE_ALREADY_RESOLVED')
      throw new Error('a second resolution was not refused');
    // A child of the approved execution inherits authority through the override attestation.
    const e11 = await step9('E11', 'researcher', 'read.published', 'reports/q3/final', ['E9']);
    if (e11.decision !== 'allow') throw new Error('the child of the approved execution was denied');

    // Wait until governance has consumed every intent and resolution, including the redelivery.
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
      `\nVerification\n  ${published} intents + ${resolutions} resolutions published → ${ledger.length} attestations + ${governance.stats.deadLetters} dead letters + ${governance.stats.redeliveries} redelivery answered from the ledger; ${ok}/${ledger.length} verify with only the public keys`,
    );
    if (
      ledger.length + governance.stats.deadLetters + governance.stats.redeliveries !==
      published + resolutions
    )
      throw new Error('intents + resolutions in ≠ attestations + dead letters + redeliveries');

    // The projection answers where the deepest execution came from.
    const deepest = results.get('E11')!.verified.predicate;
    const rows = await waitForAncestry(pool, schema, deepest.execution_id, 7);
    const label = new Map([...results].map(([l, r]) => [r.verified.predicate.execution_id, l]));
    say(
      `\nAncestry of E11 ${deepest.execution_id} (Postgres projection, breadth-first over the multi-parent graph, each execution once)`,
    );
    say(
      `  depth 0  E11 ${shortId(deepest.execution_id)}  ${deepest.decision.padEnd(5)} ${deepest.action.padEnd(22)} by researcher`,
    );
    for (const r of rows)
      say(
        `  depth ${r.depth}  ${(label.get(r.execution_id) ?? '?').padEnd(3)} ${shortId(r.execution_id)}  ${(r.decision ?? '?').padEnd(5)} ${(r.action ?? '?').padEnd(22)} by ${names.get(r.agent ?? '') ?? r.agent}`,
      );
    const auth = deepest.authorization;
    say(
      `  authority: depth ${auth.depth} from principal ${auth.principals.map((k) => names.get(k) ?? k).join(', ')}, scope ${auth.scope?.actions.join(',') ?? '-'}, inherited from sha256:${short(auth.inherited_from[0] ?? '')} (E9's override)`,
    );

    // The ledger around the attestations: signed checkpoints, audited as `lineage log verify` does.
    await mkdir(OUT, { recursive: true });
    await writeTrustStore(join(OUT, 'truststore.json'), trustDocument);
    const sources = {
      keys: trustDocument.keys,
      policies: [policy.document as unknown as JsonValue],
    };
    const covered = await waitForInclusion(deepest.execution_id, schema, sources);
    say('\nLedger');
    const audit = await auditTopics(kafka, topics, trust);
    if (audit.ok) {
      for (const p of audit.partitions)
        say(
          `  partition ${p.partition}  ${String(p.size).padStart(2)} attestations, ${p.checkpoints} signed checkpoints, the latest covering ${p.checkpointed}`,
        );
    }
    say(`  lineage log verify: ${describeAudit(audit)}`);
    if (!audit.ok) throw new Error('the ledger does not audit');
    say(
      `  E11's lineage: ${covered.proofs?.length ?? 0}/${covered.attestations.length} attestations carry a Merkle inclusion proof against a signed checkpoint`,
    );

    // Runtime provenance: the release manager vouches for this checkout's governance runtime.
    say('\nRuntime');
    const runtime = await currentRuntime();
    const release = await releaseCurrentRuntime(releaseKey.signer);
    say(
      `  runtime_hash sha256:${short(runtime.hash)} (${manifest.name} ${manifest.version}); release signed by release-manager lists it`,
    );

    // Evidence: exported from the projection exactly as `lineage export` does, then checked offline.
    const bundle = await exportBundle(deepest.execution_id, schema, {
      ...sources,
      releases: [release],
    });
    const checked = verifyBundle(bundle, { ed25519: nobleEd25519, trust });
    const withoutRelease = verifyBundle(await exportBundle(deepest.execution_id, schema, sources), {
      ed25519: nobleEd25519,
      trust,
    });
    const overrides = checked.attestations.filter((a) => a.predicate.kind === 'override').length;
    if (overrides === 0) throw new Error("the evidence does not carry E9's override");
    say(
      `  runtime_verified: ${checked.runtimeVerified} (with the signed release); ${withoutRelease.runtimeVerified} without it — unknown, not invalid`,
    );
    if (!checked.runtimeVerified) throw new Error('the release does not vouch for this runtime');
    if (!checked.included) throw new Error('an attestation of the evidence has no inclusion proof');
    await writeFile(join(OUT, 'evidence.json'), JSON.stringify(bundle, null, 2) + '\n');
    await writeFile(join(OUT, 'release.json'), JSON.stringify(release, null, 2) + '\n');
    await writeFile(join(OUT, 'grant.json'), JSON.stringify(grant, null, 2) + '\n');

    // Deciding is a pure function: every recorded outcome re-derives under its pinned policy.
    say('\nReplay');
    await waitForPolicy(pool, schema, policy.ref.hash);
    const report = await replayVerify(pool, schema, trust, undefined, { kafka, topics });
    for (const m of report.mismatches) say(`  ${describeMismatch(m)}`);
    say(`  ${describeReport(report)}`);
    if (report.mismatches.length > 0) throw new Error('a recorded decision did not re-derive');

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
      `  ${OUT}/evidence.json     bundle of E11: ${bundle.attestations.length} attestations (${overrides} override), ${bundle.keys.length} public keys, ${bundle.policies.length} policy, 1 release, ${bundle.proofs?.length ?? 0} inclusion proofs against ${bundle.checkpoints?.length ?? 0} signed checkpoints`,
    );
    say(
      `    the same as: pnpm lineage export ${deepest.execution_id} --schema ${schema} --trust ${OUT}/truststore.json --release ${OUT}/release.json --out ${OUT}/evidence.json`,
    );
    say(`  ${OUT}/attestation.json  E7's attestation alone (DSSE envelope)`);
    say(`  ${OUT}/release.json      the signed release manifest`);
    say(`  ${OUT}/grant.json        alice's grant to the planner`);
    say(`  ${OUT}/truststore.json   public keys only`);
    say(`  ${OUT}/run.json          this run's projection schema, topics and execution ids`);
    say(
      `  check it yourself:  pnpm lineage verify ${OUT}/evidence.json --trust ${OUT}/truststore.json`,
    );
    say(
      `                      pnpm lineage replay-verify --all --schema ${schema} --topic-prefix demo.${run}. --trust ${OUT}/truststore.json${broker.owned ? '   (after pnpm kafka start: it reads the recorded intents)' : ''}`,
    );
    say(
      `                      pnpm lineage log verify --topic-prefix demo.${run}. --trust ${OUT}/truststore.json${broker.owned ? '   (after pnpm kafka start: it reads the topics)' : ''}`,
    );
    say(`  governance stats: ${JSON.stringify(governance.stats)}`);
  } finally {
    await Promise.all(Object.values(agents).map((a) => a.close()));
    await projector.stop();
    await checkpointer.stop();
    await governance.stop();
    await pool.end();
    await db.stop();
    if (broker.owned) {
      await broker.stop();
      say('\nStopped the Kafka broker the demo started.');
    }
  }
}

function line(step: Step, p: { decision: string; execution_id: string; reasons: string[] }) {
  const mark = p.decision === 'allow' ? '✔' : p.decision === 'deny' ? '✘' : '⏸';
  return `  ${mark} ${step.label.padEnd(3)} ${p.decision.padEnd(16)} ${shortId(p.execution_id)}  ${step.agent.padEnd(10)} ${`${step.action} ${step.resource}`.padEnd(42)} ${(step.parents.length ? `parents ${step.parents.join('+')}` : 'root (grant)').padEnd(13)}  ${p.reasons.join(' ')}`;
}

/** Waits until the projection holds the execution's decision (what `lineage override` reads). */
async function waitForRow(pool: ReturnType<typeof createPool>, schema: string, id: string) {
  const queries = openQueries(pool, schema);
  for (let i = 0; i < 300; i++) {
    const view = await queries.show(id).catch(() => null);
    if (view?.decision) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`projection did not catch up with ${id}`);
}

/** Waits until the projection holds the policy document (what `lineage replay-verify` reads). */
async function waitForPolicy(pool: ReturnType<typeof createPool>, schema: string, hash: string) {
  for (let i = 0; i < 300; i++) {
    const found = await pool
      .query(`SELECT 1 FROM ${qualifiedName(schema, 'policies')} WHERE hash = $1`, [hash])
      .then(
        (r) => r.rowCount !== null && r.rowCount > 0,
        () => false,
      );
    if (found) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the projection has no policy ${hash}: is the policies topic projected?`);
}

/**
 * Exports the execution's bundle (as `lineage export` does) until a projected checkpoint covers
 * every attestation of its lineage, so each carries an inclusion proof.
 * @throws Error when no checkpoint covers them within 30 s.
 */
async function waitForInclusion(
  executionId: string,
  schema: string,
  sources: BundleSources,
): Promise<EvidenceBundle> {
  for (let i = 0; i < 300; i++) {
    const bundle = await exportBundle(executionId, schema, sources);
    if ((bundle.proofs?.length ?? 0) === bundle.attestations.length) return bundle;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no projected checkpoint covers the lineage of ${executionId}`);
}

async function waitForAncestry(
  pool: ReturnType<typeof createPool>,
  schema: string,
  id: string,
  expected: number,
) {
  const queries = openQueries(pool, schema);
  for (let i = 0; i < 300; i++) {
    // Until the projector has folded the execution in, the walk does not know it (NOT_FOUND).
    const items = await queries.ancestors(id).then(
      (page) => page.items,
      (error: unknown) => {
        if ((error as { code?: unknown }).code === 'NOT_FOUND') return [];
        throw error;
      },
    );
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
