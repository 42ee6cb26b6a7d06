import {
  attestationDigest,
  executionFingerprint,
  parseIntent,
  sha256Hex,
  toDsse,
} from '@lineage/protocol';
import type {
  Digest,
  Ed25519Verifier,
  GrantMemo,
  IntentBody,
  Sha256,
  SignatureCheck,
  TrustStore,
} from '@lineage/protocol';
import {
  NO_AUTHORIZATION,
  decide,
  replayRejection,
  replayVerdict,
  resolveOverride,
} from '@lineage/policy';
import type { ResolutionOutcome } from '@lineage/policy';
import { overrideCodec } from '@lineage/schemas';
import type { OverrideRecord } from '@lineage/schemas';
import { approverOnly, embeddable, embeddableResolution } from './embed.js';
import { decodeRecord, readIntent, receivedAt } from './input.js';
import type { InputRecord, ReadIntent } from './input.js';
import { intentKey, resolutionKey, subjectName } from './ledger.js';
import { signatureChecks } from './prefetch.js';
import type { LedgerView } from './ledger.js';
import type { Draft, Outcome } from './outcome.js';
import type { PolicyBook } from './policies.js';

/** What classifying consults besides the ledger: nothing else. */
export interface ClassifyContext {
  /** The policies governance knows; the active one decides new intents. */
  policies: PolicyBook;
  trust: TrustStore;
  ed25519: Ed25519Verifier;
  /**
   * Checks signatures ahead, off the event loop, so that `ed25519` answers them from memory when
   * deciding asks (see {@link signatureChecks}). Optional: without it, deciding checks in turn.
   */
  prefetch?: (checks: readonly SignatureCheck[]) => Promise<void>;
  /** The SHA-256 primitive; pure JS when absent. */
  sha256?: Sha256;
  /** Grants read before: a grant carried by many root intents is parsed once. */
  grants?: GrantMemo;
}

/**
 * Classifies a batch of intent records in order: each becomes an attestation draft (a decision or
 * a replay rejection), a redelivery or a dead letter. Each draft is staged in `view`, so the
 * records after it see it as appended.
 */
export async function classifyIntents(
  view: LedgerView,
  inputs: readonly InputRecord[],
  ctx: ClassifyContext,
): Promise<Outcome[]> {
  // Decode the intents first, so that what the ledger knows of them is looked up in one go, while
  // their signatures are checked off the event loop.
  const reads = inputs.map((input) => readIntent(input, ctx.sha256));
  const verified = ctx.prefetch?.(signatureChecks(reads, ctx.trust));
  await view.prefetch(
    reads.flatMap((r) =>
      r.type !== 'intent'
        ? []
        : [
            { set: 'answered' as const, key: intentKey(r.subject, r.intentDigest) },
            ...(r.subject === '' ? [] : [{ set: 'decided' as const, key: r.subject }]),
          ],
    ),
  );
  await verified;
  const outcomes: Outcome[] = [];
  for (const [i, read] of reads.entries()) {
    const outcome =
      read.type === 'intent' ? await classifyIntent(view, inputs[i]!, read, ctx) : read;
    if (outcome.type === 'attest') view.stage(outcome.draft, outcome.subjectDigest);
    outcomes.push(outcome);
  }
  return outcomes;
}

/**
 * Classifies a batch of override resolutions in order: each becomes an override, a signed refusal,
 * a redelivery or a dead letter. Each draft is staged in `view`.
 */
export async function classifyOverrides(
  view: LedgerView,
  inputs: readonly InputRecord[],
  ctx: ClassifyContext,
): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const input of inputs) {
    const outcome = await classifyOverride(view, input, ctx);
    if (outcome.type === 'attest') view.stage(outcome.draft, outcome.subjectDigest);
    outcomes.push(outcome);
  }
  return outcomes;
}

// One intent: a redelivery, a replay rejection, or decided under the active policy.
async function classifyIntent(
  view: LedgerView,
  input: InputRecord,
  read: ReadIntent,
  ctx: ClassifyContext,
): Promise<Outcome> {
  const { record, subject, intentDigest } = read;
  const policy = ctx.policies.active;
  // The replay rule: what the ledger already knows of this intent and its execution id.
  const verdict = replayVerdict({
    answered: await view.answered(intentKey(subject, intentDigest)),
    consumed: subject !== '' && (await view.decided(subject)),
  });
  if (verdict === 'redelivery') return { type: 'redelivery' };
  const base = (intent: IntentBody | null) => ({
    execution_id: subject,
    execution_fingerprint: executionFingerprint(subject, intentDigest, policy.ref, ctx.sha256),
    agent: intent?.agent ?? '',
    action: intent?.action ?? '',
    resource: intent?.resource ?? '',
    policy: policy.ref,
    intent: embeddable(record.envelope),
    override: null,
  });
  if (verdict === 'reject')
    return attest(
      { ...base(tryParse(record.envelope.payload)), ...replayRejection() },
      intentDigest,
    );
  const d = decide(
    {
      executionId: subject,
      envelope: record.envelope,
      parentAttestations: record.parent_attestations,
      receivedAt: receivedAt(input),
      intentDigest,
    },
    { policy, trust: ctx.trust, ed25519: ctx.ed25519, sha256: ctx.sha256, grants: ctx.grants },
  );
  return attest(
    {
      ...base(d.intent),
      kind: 'decision',
      decision: d.decision,
      reasons: d.reasons,
      parents: d.parents,
      authorization: d.authorization,
    },
    intentDigest,
  );
}

// One resolution: a redelivery, or resolved against the pending decision it names.
async function classifyOverride(
  view: LedgerView,
  input: InputRecord,
  ctx: ClassifyContext,
): Promise<Outcome> {
  const decoded = decodeRecord(input, overrideCodec);
  if (decoded.type !== 'record') return decoded;
  const { record } = decoded;
  const subject = subjectName(record.execution_id);
  const resolutionDigest = sha256Hex(record.envelope.payload, ctx.sha256);
  // The identical resolution was already answered: its attestation stands.
  if (await view.resolutionAnswered(resolutionKey(subject, resolutionDigest)))
    return { type: 'redelivery' };
  const outcome: ResolutionOutcome = resolveOverride(
    {
      resolution: record.envelope,
      pending: record.pending_attestation,
      routedAs: record.execution_id,
    },
    (digest) => view.pendingState(digest),
    {
      trust: ctx.trust,
      ed25519: ctx.ed25519,
      policy: (hash) => ctx.policies.byHash(hash),
    },
  );
  return outcome.kind === 'override'
    ? overrideOf(record, outcome)
    : refusalOf(record, outcome, subject, resolutionDigest, ctx);
}

// An approved or rejected override: the pending decision's facts, answered by the resolution.
function overrideOf(
  record: OverrideRecord,
  outcome: Extract<ResolutionOutcome, { kind: 'override' }>,
): Outcome {
  const p = outcome.pending.predicate;
  return attest(
    {
      execution_id: p.execution_id,
      execution_fingerprint: p.execution_fingerprint,
      kind: 'override',
      decision: outcome.decision,
      reasons: [...outcome.reasons],
      agent: p.agent,
      action: p.action,
      resource: p.resource,
      policy: p.policy,
      parents: p.parents,
      authorization: p.authorization,
      intent: p.intent,
      override: {
        pending: outcome.pending.digest,
        resolution:
          embeddableResolution(record.envelope) ??
          toDsse(approverOnly(record.envelope, outcome.resolution.approver)),
      },
    },
    outcome.pending.statement.subject[0].digest.sha256,
  );
}

// A refused resolution changes nothing; its refusal is signed, keyed by the resolution itself.
function refusalOf(
  record: OverrideRecord,
  outcome: Extract<ResolutionOutcome, { kind: 'override_rejection' }>,
  subject: string,
  resolutionDigest: Digest,
  ctx: ClassifyContext,
): Outcome {
  const resolution = embeddableResolution(record.envelope);
  if (resolution === null)
    return {
      type: 'dead-letter',
      reason: 'OVERSIZED',
      detail: `${outcome.reasons[0]}: the resolution envelope exceeds what a refusal can embed`,
    };
  const policy = ctx.policies.active.ref;
  return attest(
    {
      execution_id: subject,
      execution_fingerprint: executionFingerprint(subject, resolutionDigest, policy),
      kind: 'override_rejection',
      decision: 'deny',
      reasons: [...outcome.reasons],
      agent: '',
      action: '',
      resource: '',
      policy,
      parents: [],
      authorization: NO_AUTHORIZATION,
      intent: null,
      override: {
        pending:
          outcome.resolution?.pending ??
          outcome.pending?.digest ??
          attestationDigest(record.pending_attestation),
        resolution,
      },
    },
    resolutionDigest,
  );
}

const attest = (draft: Draft, subjectDigest: Digest): Outcome => ({
  type: 'attest',
  draft,
  subjectDigest,
});

function tryParse(payload: Uint8Array): IntentBody | null {
  try {
    return parseIntent(payload);
  } catch {
    return null;
  }
}
