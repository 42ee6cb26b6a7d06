import type { KafkaMessage, TopicMessages } from 'kafkajs';
import {
  ATTESTATION_PAYLOAD_TYPE,
  attestationDigest,
  buildStatement,
  encodeStatement,
  executionFingerprint,
  parseIntent,
  sha256Hex,
  signEnvelope,
  toDsse,
} from '@lineage/protocol';
import type {
  DeadLetterReason,
  Digest,
  DsseEnvelope,
  Ed25519Verifier,
  IntentBody,
  Predicate,
  RawEnvelope,
  Signer,
  TrustStore,
} from '@lineage/protocol';
import { NO_AUTHORIZATION, decide, resolveOverride } from '@lineage/policy';
import type { ResolutionOutcome } from '@lineage/policy';
import {
  attestationCodec,
  deadLetterCodec,
  envelopeRecord,
  intentCodec,
  overrideCodec,
  SchemaError,
} from '@lineage/schemas';
import type { IntentRecord } from '@lineage/schemas';
import type { BatchResult, TopicNames } from '@lineage/kafka';
import type { PartitionLedger } from './ledger.js';
import { LedgerView, intentKey, resolutionKey, subjectName } from './ledger.js';
import type { PolicyBook } from './policies.js';

/** Everything a governor needs, loaded once at the service edge. */
export interface GovernorConfig {
  topics: TopicNames;
  /** The policies governance knows; the active one decides new intents. */
  policies: PolicyBook;
  trust: TrustStore;
  ed25519: Ed25519Verifier;
  signer: Signer;
  runtimeHash: Digest;
  now?: () => Date;
}

/**
 * Running totals; intents + overrides in = attestations + dead letters + redeliveries.
 * `allowed`, `denied` and `pending` count decisions and overrides by their decision.
 */
export interface GovernorStats {
  intents: number;
  overrides: number;
  attestations: number;
  deadLetters: number;
  redeliveries: number;
  allowed: number;
  denied: number;
  pending: number;
  replayRejections: number;
  overrideRejections: number;
}

/** The predicate fields an outcome decides; position, time, issuer and runtime are added on append. */
type Draft = Omit<
  Predicate,
  'partition' | 'sequence' | 'prev' | 'issued_at' | 'issuer' | 'runtime_hash'
>;

/** What one input record became. */
type Outcome =
  | { type: 'attest'; draft: Draft; subjectDigest: Digest }
  | { type: 'redelivery' }
  | { type: 'dead-letter'; reason: DeadLetterReason; detail: string };

const MAX_EMBEDDED_INTENT = 64 * 1024;
const MAX_EMBEDDED_RESOLUTION = 64 * 1024;

const emptyStats = (): GovernorStats => ({
  intents: 0,
  overrides: 0,
  attestations: 0,
  deadLetters: 0,
  redeliveries: 0,
  allowed: 0,
  denied: 0,
  pending: 0,
  replayRejections: 0,
  overrideRejections: 0,
});

/**
 * Decides batches of intents and resolves batches of override resolutions for one partition: each
 * record becomes exactly one new attestation, one dead letter, or — when the identical record was
 * already answered — nothing new.
 */
export class Governor {
  readonly stats: GovernorStats = emptyStats();
  private readonly now: () => Date;

  constructor(private readonly config: GovernorConfig) {
    this.now = config.now ?? (() => new Date());
  }

  /**
   * Processes one batch of the intents or the overrides topic against a partition's ledger state;
   * state changes wait for the commit. The active policy is read once per batch, so a rollout
   * applies from the next batch on.
   */
  async processBatch(
    ledger: PartitionLedger,
    topic: string,
    partition: number,
    messages: KafkaMessage[],
  ): Promise<BatchResult> {
    const isOverride = topic === this.config.topics.overrides;
    const view = new LedgerView(ledger);
    const attestations: TopicMessages = { topic: this.config.topics.attestations, messages: [] };
    const deadLetters: TopicMessages = { topic: this.config.topics.deadLetters, messages: [] };
    let sequence = ledger.nextSequence;
    let prev = ledger.prev;
    // Deltas, added on commit: batches of different partitions commit concurrently.
    const tally = emptyStats();

    // Decode the intents first, so that what the ledger knows of them is looked up in one go.
    const reads = isOverride ? [] : messages.map(readIntent);
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
    for (const [i, message] of messages.entries()) {
      if (isOverride) tally.overrides++;
      else tally.intents++;
      const outcome = isOverride
        ? await this.classifyOverride(view, message)
        : await this.classifyIntent(view, message, reads[i]!);
      if (outcome.type === 'redelivery') {
        tally.redeliveries++;
        continue;
      }
      if (outcome.type === 'dead-letter') {
        tally.deadLetters++;
        deadLetters.messages.push({
          key: message.key,
          partition,
          value: deadLetterCodec.encode({
            source_topic: topic,
            source_partition: partition,
            source_offset: message.offset,
            raw_key: message.key ?? null,
            raw_value: message.value ?? null,
            reason: outcome.reason,
            detail: outcome.detail,
            failed_at: this.now().toISOString(),
          }),
        });
        continue;
      }
      const { draft, subjectDigest } = outcome;
      const predicate: Predicate = {
        ...draft,
        runtime_hash: this.config.runtimeHash,
        partition,
        sequence,
        prev,
        issued_at: this.now().toISOString(),
        issuer: this.config.signer.keyid as Predicate['issuer'],
      };
      const envelope = signEnvelope(
        ATTESTATION_PAYLOAD_TYPE,
        encodeStatement(buildStatement(predicate, subjectDigest)),
        this.config.signer,
      );
      const digest = attestationDigest(envelope);
      attestations.messages.push({
        key: predicate.execution_id,
        partition,
        value: attestationCodec.encode({
          execution_id: predicate.execution_id,
          envelope: envelopeRecord(envelope),
        }),
      });
      view.stage(predicate, subjectDigest, digest);
      sequence++;
      prev = digest;
      tally.attestations++;
      if (predicate.kind === 'replay_rejection') tally.replayRejections++;
      else if (predicate.kind === 'override_rejection') tally.overrideRejections++;
      else if (predicate.decision === 'allow') tally.allowed++;
      else if (predicate.decision === 'pending_override') tally.pending++;
      else tally.denied++;
    }

    return {
      sends: [attestations, deadLetters],
      onCommit: async (sent) => {
        const appended = sent.find(
          (m) => m.topicName === this.config.topics.attestations && m.partition === partition,
        );
        if (attestations.messages.length > 0) {
          if (appended?.baseOffset === undefined)
            throw new Error(
              `the broker reported no offset for the attestations of partition ${partition}`,
            );
          await view.commit(BigInt(appended.baseOffset));
        }
        for (const k of Object.keys(tally) as (keyof GovernorStats)[]) this.stats[k] += tally[k];
      },
    };
  }

  private async classifyIntent(
    view: LedgerView,
    message: KafkaMessage,
    read: ReadIntent | Outcome,
  ): Promise<Outcome> {
    if (read.type !== 'intent') return read;
    const { record, subject, intentDigest } = read;
    const policy = this.config.policies.active;
    const key = intentKey(subject, intentDigest);
    // The identical intent was already answered: its attestation stands, nothing new is appended.
    if (await view.answered(key)) return { type: 'redelivery' };
    const base = (intent: IntentBody | null) => ({
      execution_id: subject,
      execution_fingerprint: executionFingerprint(subject, intentDigest, policy.ref),
      agent: intent?.agent ?? '',
      action: intent?.action ?? '',
      resource: intent?.resource ?? '',
      policy: policy.ref,
      intent: embeddable(record.envelope),
      override: null,
    });
    // A different intent under a consumed id is a replay: a signed rejection, never a second decision.
    if (subject !== '' && (await view.decided(subject))) {
      return {
        type: 'attest',
        subjectDigest: intentDigest,
        draft: {
          ...base(tryParse(record.envelope.payload)),
          kind: 'replay_rejection',
          decision: 'deny',
          reasons: ['REPLAY_EXECUTION_ID'],
          parents: [],
          authorization: NO_AUTHORIZATION,
        },
      };
    }
    const d = decide(
      {
        executionId: subject,
        envelope: record.envelope,
        parentAttestations: record.parent_attestations,
        receivedAt: receivedAt(message),
      },
      { policy, trust: this.config.trust, ed25519: this.config.ed25519 },
    );
    return {
      type: 'attest',
      subjectDigest: intentDigest,
      draft: {
        ...base(d.intent),
        kind: 'decision',
        decision: d.decision,
        reasons: d.reasons,
        parents: d.parents,
        authorization: d.authorization,
      },
    };
  }

  private async classifyOverride(view: LedgerView, message: KafkaMessage): Promise<Outcome> {
    const decoded = decodeRecord(message, overrideCodec);
    if (decoded.type !== 'record') return decoded;
    const { record } = decoded;
    const subject = subjectName(record.execution_id);
    const resolutionDigest = sha256Hex(record.envelope.payload);
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
        trust: this.config.trust,
        ed25519: this.config.ed25519,
        policy: (hash) => this.config.policies.byHash(hash),
      },
    );

    if (outcome.kind === 'override') {
      const p = outcome.pending.predicate;
      return {
        type: 'attest',
        subjectDigest: outcome.pending.statement.subject[0].digest.sha256,
        draft: {
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
      };
    }

    // A refused resolution changes nothing; its refusal is signed, keyed by the resolution itself.
    const resolution = embeddableResolution(record.envelope);
    if (resolution === null)
      return {
        type: 'dead-letter',
        reason: 'OVERSIZED',
        detail: `${outcome.reasons[0]}: the resolution envelope exceeds what a refusal can embed`,
      };
    const policy = this.config.policies.active.ref;
    return {
      type: 'attest',
      subjectDigest: resolutionDigest,
      draft: {
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
    };
  }
}

/** An intent record as read off the topic: the record, its routing id and the digest of its payload. */
interface ReadIntent {
  type: 'intent';
  record: IntentRecord;
  subject: string;
  intentDigest: Digest;
}

/** Decodes a message's value with `codec`, or says which dead letter it is. */
function decodeRecord<T>(
  message: KafkaMessage,
  codec: { decode(bytes: Buffer): T },
): { type: 'record'; record: T } | Outcome {
  if (!message.value || message.value.length === 0)
    return { type: 'dead-letter', reason: 'EMPTY_RECORD', detail: 'record has no value' };
  // Attacker-controlled bytes: anything the codec cannot read is a dead letter, never a crash.
  try {
    return { type: 'record', record: codec.decode(message.value) };
  } catch (error) {
    return undecodable(error);
  }
}

/** Decodes an intent message, or says which dead letter it is. */
function readIntent(message: KafkaMessage): ReadIntent | Outcome {
  const decoded = decodeRecord(message, intentCodec);
  if (decoded.type !== 'record') return decoded;
  const { record } = decoded;
  return {
    type: 'intent',
    record,
    subject: subjectName(record.execution_id),
    intentDigest: sha256Hex(record.envelope.payload),
  };
}

function undecodable(error: unknown): Outcome {
  if (error instanceof SchemaError)
    return {
      type: 'dead-letter',
      reason: 'UNDECODABLE',
      detail: `${error.code}: ${error.message}`.slice(0, 1000),
    };
  throw error;
}

function tryParse(payload: Uint8Array): IntentBody | null {
  try {
    return parseIntent(payload);
  } catch {
    return null;
  }
}

// Within the limits parseStatement enforces on an embedded envelope.
function fits(env: RawEnvelope, maxPayload: number): boolean {
  return (
    env.payload.length <= maxPayload &&
    env.payload_type.length <= 256 &&
    env.signatures.length <= 16 &&
    env.signatures.every((s) => s.keyid.length <= 256 && s.sig.length <= 128)
  );
}

/** The intent envelope embedded in an attestation, when it fits the statement's limits. */
export function embeddable(env: RawEnvelope): DsseEnvelope | null {
  if (
    env.payload.length > MAX_EMBEDDED_INTENT ||
    env.payload_type.length > 256 ||
    env.signatures.length > 16
  )
    return null;
  if (env.signatures.some((s) => s.keyid.length > 256 || s.sig.length > 128)) return null;
  return toDsse(env);
}

/** A resolution envelope embedded in an override or its refusal, when it fits the limits. */
export function embeddableResolution(env: RawEnvelope): DsseEnvelope | null {
  return fits(env, MAX_EMBEDDED_RESOLUTION) ? toDsse(env) : null;
}

// The resolution with only its approver's signature: what an override must carry, always embeddable.
function approverOnly(env: RawEnvelope, approver: string): RawEnvelope {
  return {
    ...env,
    signatures: env.signatures
      .filter((s) => s.keyid === approver && s.sig.length === 64)
      .slice(0, 1),
  };
}

/** The broker's timestamp of a record (LogAppendTime on the input topics), as RFC 3339. */
function receivedAt(message: KafkaMessage): string | undefined {
  const ms = Number(message.timestamp);
  return Number.isSafeInteger(ms) && ms >= 0 ? new Date(ms).toISOString() : undefined;
}
