import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { nobleEd25519, toDsse, verifyBundle } from '@lineage/protocol';
import type { DsseEnvelope, EvidenceBundle, JsonValue } from '@lineage/protocol';
import type { BundleSources } from '@lineage/query';
import { writeTrustStore } from '@lineage/keys';
import { auditTopics, describeAudit } from '../commands/log.js';
import { exportBundle } from '../commands/query.js';
import { describeMismatch, describeReport, replayVerify } from '../commands/replay.js';
import { currentRuntime } from '../commands/runtime.js';
import { presentEvidence, presentRuntime } from './present.js';
import type { DemoRun } from './state.js';
import { APPROVED_CHILD, OUT } from './scenario.js';
import { waitForInclusion, waitForPolicy } from './waits.js';
import { WITNESS_NAME } from './world.js';

/** The demo's last stages: the ledger audited, the runtime vouched for, evidence and replay. */

const writeJson = (name: string, value: unknown) =>
  writeFile(join(OUT, name), JSON.stringify(value, null, 2) + '\n');

/** Audits the ledger, exports and checks the deepest execution's evidence, replays every decision. */
export async function finishEvidence(run: DemoRun): Promise<void> {
  const deepestId = run.results.get(APPROVED_CHILD.label)!.verified.predicate.execution_id;
  const sources = await auditLedger(run, deepestId);
  const release = await vouchForRuntime(run);
  const { bundle, overrides } = await exportEvidence(run, deepestId, sources, release);
  await replayDecisions(run);
  await leaveRunRecord(run);
  presentEvidence(run.world, deepestId, bundle, overrides).forEach((line) => run.say(line));
  run.say(`  governance stats: ${JSON.stringify(run.system.governance.stats)}`);
}

/**
 * The ledger around the attestations: signed checkpoints, audited as `lineage log verify` does,
 * once a checkpoint covers the deepest execution's whole lineage.
 * @returns the bundle sources (public keys, policy) the evidence is exported with.
 */
async function auditLedger(run: DemoRun, deepestId: string): Promise<BundleSources> {
  const { world, say } = run;
  await mkdir(OUT, { recursive: true });
  await writeTrustStore(join(OUT, 'truststore.json'), world.trustDocument);
  const sources = {
    keys: world.trustDocument.keys,
    policies: [world.policy.document as unknown as JsonValue],
  };
  const covered = await waitForInclusion(deepestId, world.schema, sources, world.trust);
  say('\nLedger');
  const audit = await auditTopics(world.kafka, world.topics, world.trust);
  if (audit.ok) {
    for (const p of audit.partitions)
      say(
        `  partition ${p.partition}  ${String(p.size).padStart(2)} attestations, ${p.checkpoints} signed checkpoints, the latest covering ${p.checkpointed}`,
      );
  }
  say(`  lineage log verify: ${describeAudit(audit)}`);
  say(
    `  E11's lineage: ${covered.proofs?.length ?? 0}/${covered.attestations.length} attestations carry a Merkle inclusion proof against a signed checkpoint`,
  );
  say(
    `  witness ${WITNESS_NAME}: ${run.system.checkpointer.stats.cosigned} cosigned checkpoints; E11's ${covered.checkpoints?.length ?? 0} checkpoints carry its cosignature (1-of-1 witness policy)`,
  );
  return sources;
}

/**
 * Runtime provenance: the release manager's statement for this checkout's governance runtime, the
 * one signed before the stack started (the query API serves it with every bundle).
 */
async function vouchForRuntime(run: DemoRun): Promise<DsseEnvelope> {
  run.say('\nRuntime');
  const runtime = await currentRuntime();
  const release = JSON.parse(await readFile(join(OUT, 'release.json'), 'utf8')) as DsseEnvelope;
  run.say(presentRuntime(run.world, runtime.hash));
  return release;
}

/**
 * Evidence, exported from the projection exactly as `lineage export` does (with and without the
 * release), checked offline, and written with the release and the grant.
 */
async function exportEvidence(
  run: DemoRun,
  deepestId: string,
  sources: BundleSources,
  release: DsseEnvelope,
): Promise<{ bundle: EvidenceBundle; overrides: number }> {
  const { world } = run;
  const verify = (b: EvidenceBundle) =>
    verifyBundle(b, { ed25519: nobleEd25519, trust: world.trust });
  const bundle = await exportBundle(deepestId, world.schema, { ...sources, releases: [release] });
  const checked = verify(bundle);
  const withoutRelease = verify(await exportBundle(deepestId, world.schema, sources));
  const overrides = checked.attestations.filter((a) => a.predicate.kind === 'override').length;
  run.say(
    `  runtime_verified: ${checked.runtimeVerified} (with the signed release); ${withoutRelease.runtimeVerified} without it — unknown, not invalid`,
  );
  await writeJson('evidence.json', bundle);
  await writeJson('grant.json', world.grant);
  return { bundle, overrides };
}

/** Deciding is a pure function: every recorded outcome re-derives under its pinned policy. */
async function replayDecisions(run: DemoRun): Promise<void> {
  const { world } = run;
  run.say('\nReplay');
  await waitForPolicy(world.pool, world.schema, world.policy.ref.hash);
  const report = await replayVerify(world.pool, world.schema, world.trust, undefined, {
    kafka: world.kafka,
    topics: world.topics,
  });
  for (const m of report.mismatches) run.say(`  ${describeMismatch(m)}`);
  run.say(`  ${describeReport(report)}`);
}

/** Where this run's data is, so the CLI can be pointed at it; and E7's attestation alone. */
async function leaveRunRecord(run: DemoRun): Promise<void> {
  const { schema, topics } = run.world;
  const executions = Object.fromEntries(
    [...run.results].map(([l, r]) => [l, r.verified.predicate.execution_id]),
  );
  await writeJson('run.json', { schema, topics, executions });
  await writeJson('attestation.json', toDsse(run.results.get('E7')!.envelope));
}
