import { nobleEd25519, verifyAttestation } from '@lineage/protocol';
import type { ExecutionId, JsonValue, RawEnvelope } from '@lineage/protocol';
import { readToEnd } from '@lineage/kafka';
import { pollUntil, waitUntil } from '@lineage/runtime';
import { attestationCodec } from '@lineage/schemas';
import { LineageSdkError, signIntent } from '@lineage/sdk';
import type { SignedIntent } from '@lineage/sdk';
import { describeOverride, publishResolution, resolveExecution } from '../commands/override.js';
import { finishEvidence } from './evidence.js';
import type { DemoRun } from './state.js';
import {
  TITLE,
  presentAncestry,
  presentDecision,
  presentRedelivery,
  presentReplay,
  presentSetup,
  presentVerification,
} from './present.js';
import {
  APPROVAL,
  APPROVED_CHILD,
  HELD,
  HELD_CHILD,
  PARTITIONS,
  REDELIVERED,
  REPLAYED,
  RUNTIME,
  SECOND_RESOLUTION,
  TREE,
} from './scenario.js';
import type { AgentName, Step } from './scenario.js';
import { serveUntilSignal } from './serve.js';
import { startSystem, stopSystem } from './system.js';
import { waitForAncestry, waitForRow } from './waits.js';
import { openWorld } from './world.js';

/**
 * Plays the scenario end to end on a real broker and Postgres, prints what happens, and leaves
 * the evidence in `.lineage/demo`; with `serve`, the stack then keeps running until a signal. The checks of what it prints live in `test/cli.e2e.test.ts`.
 * @throws RuntimeError WAIT_TIMEOUT when a service does not catch up; infrastructure errors.
 */
export async function runDemo(
  say = (line = '') => console.log(line),
  options: { serve?: boolean } = {},
): Promise<void> {
  say(TITLE);
  const world = await openWorld();
  presentSetup(world).forEach((line) => say(line));
  const system = await startSystem(world);
  const run: DemoRun = {
    ...{ world, system, say, published: 0, resolutions: 0 },
    ...{ results: new Map(), signed: new Map() },
  };
  try {
    await decideTree(run);
    await redeliver(run);
    await replayConsumedId(run);
    await holdForAHuman(run);
    await resolveHeld(run);
    await verifyLedger(run);
    await showAncestry(run);
    await finishEvidence(run);
    if (options.serve) await serveUntilSignal(run);
  } finally {
    await stopSystem(system, world);
    if (world.broker.owned) {
      await world.broker.stop();
      say('\nStopped the Kafka broker the demo started.');
    }
  }
}

// Publishes a signed intent; a signed denial is an answer too, only timeouts and transport fail.
async function publish(run: DemoRun, agent: AgentName, intent: SignedIntent) {
  run.published++;
  try {
    return await run.system.agents[agent].publishSigned(intent);
  } catch (e) {
    if (e instanceof LineageSdkError && e.attestation) return e.attestation;
    throw e;
  }
}

// Signs and publishes one step (its parents' attestations attached) and prints its decision.
async function decide(run: DemoRun, step: Step, draft: { grant?: JsonValue | null } = {}) {
  const parents = step.parents.map((p) => run.results.get(p)!.envelope);
  const intent = signIntent(
    { action: step.action, resource: step.resource, parents, ...draft },
    run.world.keys.agents[step.agent].signer,
    RUNTIME,
  );
  run.signed.set(step.label, intent);
  const received = await publish(run, step.agent, intent);
  run.results.set(step.label, received);
  run.say(presentDecision(step, received.verified.predicate));
  return received.verified.predicate;
}

/** The tree of eight executions; the root carries alice's grant. */
async function decideTree(run: DemoRun): Promise<void> {
  run.say('Decisions');
  const grant = run.world.grant as unknown as JsonValue;
  for (const step of TREE) await decide(run, step, { grant: step.parents.length ? null : grant });
}

/** An agent retries a step byte for byte: governance answers with the attestation it issued. */
async function redeliver(run: DemoRun): Promise<void> {
  const again = await publish(run, REDELIVERED.agent, run.signed.get(REDELIVERED.label)!);
  const first = run.results.get(REDELIVERED.label)!.verified.digest;
  run.say(presentRedelivery(REDELIVERED.label, again.verified.digest, first));
}

/** A different intent reusing a consumed execution id is a replay: a signed rejection. */
async function replayConsumedId(run: DemoRun): Promise<void> {
  const consumed = run.results.get(REPLAYED.reuses)!.verified.predicate;
  const reuse = signIntent(
    {
      action: REPLAYED.action,
      resource: REPLAYED.resource,
      parents: REPLAYED.parents.map((p) => run.results.get(p)!.envelope),
      executionId: consumed.execution_id as ExecutionId,
    },
    run.world.keys.agents[REPLAYED.agent].signer,
    RUNTIME,
  );
  const replay = (await publish(run, REPLAYED.agent, reuse)).verified.predicate;
  run.say(presentReplay(REPLAYED.reuses, replay));
}

/** Publishing is held for a human (pending_override); a child of the held execution is denied. */
async function holdForAHuman(run: DemoRun): Promise<void> {
  await decide(run, HELD);
  await decide(run, HELD_CHILD);
}

/**
 * bob approves the held execution (the code path of `lineage override approve`), then resolves it
 * a second time (refused, signed, nothing changes); a child of the approved execution follows.
 */
async function resolveHeld(run: DemoRun): Promise<void> {
  const { world, say } = run;
  say('\nOverride');
  const held = run.results.get(HELD.label)!;
  await waitForRow(world.pool, world.schema, held.verified.predicate.execution_id);
  const request = { kafka: world.kafka, topics: world.topics, trust: world.trust };
  const approver = world.keys.approver.signer;
  const approval = await resolveExecution({
    ...{ ...request, pool: world.pool, schema: world.schema, approver },
    ...{ executionId: held.verified.predicate.execution_id, ...APPROVAL },
  });
  run.resolutions++;
  say(`  ✔ bob approves E9 → ${describeOverride(approval)}`);
  say(`    the pending attestation stays as it was; the override extends E9's lineage`);
  run.results.set(HELD.label, approval);
  // The same pending attestation resolved again: governance's signed refusal carries the reason.
  const twice = await publishResolution(
    { ...request, approver, ...SECOND_RESOLUTION },
    held.envelope,
  ).then(
    () => 'ACCEPTED',
    (e: unknown) => refusalCode(e),
  );
  run.resolutions++;
  say(`  ✘ bob resolves E9 a second time → refused ${twice}`);
  await decide(run, APPROVED_CHILD);
}

/** The code of governance's refusal (its reason code), from the SDK error; others are rethrown. */
function refusalCode(error: unknown): string {
  if (error instanceof LineageSdkError) return error.reason ?? error.code;
  throw error;
}

/**
 * Once governance has consumed every intent and resolution, every record on the ledger verifies
 * with nothing but the public keys (pure-JS Ed25519).
 */
async function verifyLedger(run: DemoRun): Promise<void> {
  const { governance } = run.system;
  await waitUntil(() => governance.stats.intents >= run.published, {
    what: 'governance to consume every intent, the redelivery included',
  });
  // A reader stops at the last stable offset; the final commit's markers may still be landing.
  const ledger = await pollUntil(
    () => readLedger(run),
    (read) => read.length >= governance.stats.attestations,
    { what: 'every attestation to be readable' },
  );
  for (const envelope of ledger)
    verifyAttestation(envelope, { trust: run.world.trust, ed25519: nobleEd25519 });
  run.say(
    presentVerification({
      ...{ published: run.published, resolutions: run.resolutions, ledger: ledger.length },
      ...{ deadLetters: governance.stats.deadLetters, redeliveries: governance.stats.redeliveries },
      verified: ledger.length,
    }),
  );
}

async function readLedger(run: DemoRun): Promise<RawEnvelope[]> {
  const read: RawEnvelope[] = [];
  const from = new Map(Array.from({ length: PARTITIONS }, (_, p) => [p, 0n] as const));
  await readToEnd(run.world.kafka, run.world.topics.attestations, from, (_p, m) =>
    read.push(attestationCodec.decode(m.value!).envelope),
  );
  return read;
}

/** The projection answers where the deepest execution came from. */
async function showAncestry(run: DemoRun): Promise<void> {
  const { world } = run;
  const deepest = run.results.get(APPROVED_CHILD.label)!.verified.predicate;
  const rows = await waitForAncestry(world.pool, world.schema, deepest.execution_id, 7);
  const labels = new Map([...run.results].map(([l, r]) => [r.verified.predicate.execution_id, l]));
  presentAncestry(world, deepest, rows, labels).forEach((line) => run.say(line));
}
