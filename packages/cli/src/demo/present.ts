import type { EvidenceBundle, VerifiedAttestation } from '@lineage/protocol';
import { runtimeHash } from '@lineage/governance';
import type { LineageNode } from '@lineage/query';
import { CHECKPOINT_EVERY, CHECKPOINT_INTERVAL_MS, GRANTED, OUT } from './scenario.js';
import type { Step } from './scenario.js';
import type { DemoWorld } from './world.js';

/** The demo's printout: each function turns what a stage found into the lines it prints. */

const short = (s: string) => `${s.slice(0, 8)}…${s.slice(-4)}`;
/** UUIDv7s share their leading timestamp digits; the tail tells them apart. */
const shortId = (id: string) => `…${id.slice(-12)}`;

export const TITLE =
  'Lineage demo: agents → intents → governance → signed attestations → projection → evidence\n';

/** Where the run is and who takes part: infrastructure, topics, policy, runtime, keys, grant. */
export function presentSetup(world: DemoWorld): string[] {
  const { broker, topics, policy, manifest, keys } = world;
  const agents = Object.entries(keys.agents).map(([n, k]) => `${n} ${short(k.keyid)}`);
  return [
    `  kafka      ${broker.brokers.join(',')} (${broker.owned ? 'started by the demo' : 'already running'})`,
    `  postgres   ${world.dbUrl.replace(/\/\/[^@]*@/, '//')} (schema ${world.schema}${world.db.embedded ? `; ${world.db.note}` : ''})`,
    `  topics     ${topics.intents}, ${topics.attestations}, ${topics.overrides}, ${topics.policies}, ${topics.deadLetters}, ${topics.checkpoints}`,
    `  policy     ${policy.ref.id}@${policy.ref.version} sha256:${short(policy.ref.hash)}`,
    `  runtime    ${manifest.name} ${manifest.version} runtime_hash sha256:${short(runtimeHash(manifest))}`,
    `  keys       governance ${short(keys.governance.keyid)}; agents ${agents.join(', ')}`,
    `  people     alice (principal) ${short(keys.principal.keyid)}, bob (approver) ${short(keys.approver.keyid)}, release-manager ${short(keys.release.keyid)}`,
    `  grant      alice → planner: ${GRANTED.actions.join(',')} on ${GRANTED.resources.join(',')} under policy ${policy.ref.id}, 24h; children inherit it through their parents' attestations`,
    `  hold       publish.* waits for bob (rule publish-needs-a-human)`,
    `  ledger     governance signs a Merkle checkpoint of each attestation partition every ${CHECKPOINT_EVERY} attestations or ${CHECKPOINT_INTERVAL_MS} ms\n`,
  ];
}

/** One decision: its mark, label, outcome, id, agent, action, parents and reasons. */
export function presentDecision(
  step: Step,
  p: { decision: string; execution_id: string; reasons: string[] },
): string {
  const mark = p.decision === 'allow' ? '✔' : p.decision === 'deny' ? '✘' : '⏸';
  return `  ${mark} ${step.label.padEnd(3)} ${p.decision.padEnd(16)} ${shortId(p.execution_id)}  ${step.agent.padEnd(10)} ${`${step.action} ${step.resource}`.padEnd(42)} ${(step.parents.length ? `parents ${step.parents.join('+')}` : 'root (grant)').padEnd(13)}  ${p.reasons.join(' ')}`;
}

/** The redelivered intent's answer, and whether it is the attestation first issued. */
export function presentRedelivery(label: string, answer: string, first: string): string {
  return `  ↺ ${label} redelivered identically → attestation sha256:${short(answer)} (${answer === first ? 'the same one' : 'A DIFFERENT ONE'}), no new decision`;
}

/** The answer to an intent reusing a consumed execution id. */
export function presentReplay(label: string, p: VerifiedAttestation['predicate']): string {
  return `  ⟲ ${label}'s id reused by a different intent → ${p.kind} ${p.decision} ${p.reasons.join(' ')}`;
}

/** Intents in against attestations, dead letters and redeliveries out, and how many verify. */
export function presentVerification(v: {
  published: number;
  resolutions: number;
  ledger: number;
  deadLetters: number;
  redeliveries: number;
  verified: number;
}): string {
  return `\nVerification\n  ${v.published} intents + ${v.resolutions} resolutions published → ${v.ledger} attestations + ${v.deadLetters} dead letters + ${v.redeliveries} redelivery answered from the ledger; ${v.verified}/${v.ledger} verify with only the public keys`;
}

/** The deepest execution's ancestry as the projection walks it, and where its authority comes from. */
export function presentAncestry(
  world: DemoWorld,
  deepest: VerifiedAttestation['predicate'],
  rows: readonly LineageNode[],
  labels: ReadonlyMap<string, string>,
): string[] {
  const { names } = world;
  const auth = deepest.authorization;
  return [
    `\nAncestry of E11 ${deepest.execution_id} (Postgres projection, breadth-first over the multi-parent graph, each execution once)`,
    `  depth 0  E11 ${shortId(deepest.execution_id)}  ${deepest.decision.padEnd(5)} ${deepest.action.padEnd(22)} by researcher`,
    ...rows.map(
      (r) =>
        `  depth ${r.depth}  ${(labels.get(r.execution_id) ?? '?').padEnd(3)} ${shortId(r.execution_id)}  ${(r.decision ?? '?').padEnd(5)} ${(r.action ?? '?').padEnd(22)} by ${names.get(r.agent ?? '') ?? r.agent}`,
    ),
    `  authority: depth ${auth.depth} from principal ${auth.principals.map((k) => names.get(k) ?? k).join(', ')}, scope ${auth.scope?.actions.join(',') ?? '-'}, inherited from sha256:${short(auth.inherited_from[0] ?? '')} (E9's override)`,
  ];
}

/** The release manager's vouching for this checkout's runtime. */
export function presentRuntime(world: DemoWorld, hash: string): string {
  return `  runtime_hash sha256:${short(hash)} (${world.manifest.name} ${world.manifest.version}); release signed by release-manager lists it`;
}

/** The files the demo left, and the commands that check them. */
export function presentEvidence(
  world: DemoWorld,
  deepestId: string,
  bundle: EvidenceBundle,
  overrides: number,
): string[] {
  const { schema, run, broker } = world;
  const after = (what: string) =>
    broker.owned ? `   (after pnpm kafka start: it reads ${what})` : '';
  return [
    `\nEvidence`,
    `  ${OUT}/evidence.json     bundle of E11: ${bundle.attestations.length} attestations (${overrides} override), ${bundle.keys.length} public keys, ${bundle.policies.length} policy, 1 release, ${bundle.proofs?.length ?? 0} inclusion proofs against ${bundle.checkpoints?.length ?? 0} signed checkpoints`,
    `    the same as: pnpm lineage export ${deepestId} --schema ${schema} --trust ${OUT}/truststore.json --release ${OUT}/release.json --out ${OUT}/evidence.json`,
    `  ${OUT}/attestation.json  E7's attestation alone (DSSE envelope)`,
    `  ${OUT}/release.json      the signed release manifest`,
    `  ${OUT}/grant.json        alice's grant to the planner`,
    `  ${OUT}/truststore.json   public keys only`,
    `  ${OUT}/run.json          this run's projection schema, topics and execution ids`,
    `  check it yourself:  pnpm lineage verify ${OUT}/evidence.json --trust ${OUT}/truststore.json`,
    `                      pnpm lineage replay-verify --all --schema ${schema} --topic-prefix demo.${run}. --trust ${OUT}/truststore.json${after('the recorded intents')}`,
    `                      pnpm lineage log verify --topic-prefix demo.${run}. --trust ${OUT}/truststore.json${after('the topics')}`,
  ];
}
