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
  AttestationKind,
  Digest,
  DsseEnvelope,
  Ed25519Verifier,
  IntentBody,
  Predicate,
  RawEnvelope,
  Signer,
  TrustStore,
} from '@lineage/protocol';
import { decide } from '@lineage/policy';
import type { DecisionOutcome, LoadedPolicy } from '@lineage/policy';
import {
  attestationCodec,
  deadLetterCodec,
  envelopeRecord,
  intentCodec,
  SchemaError,
} from '@lineage/schemas';
import type { IntentRecord } from '@lineage/schemas';
import type { BatchResult, TopicNames } from '@lineage/kafka';
import type { PartitionLedger } from './ledger.js';
import { intentKey, subjectName } from './ledger.js';

/** Everything a governor needs, loaded once at the service edge. */
export interface GovernorConfig {
  topics: TopicNames;
  policy: LoadedPolicy;
  trust: TrustStore;
  ed25519: Ed25519Verifier;
  signer: Signer;
  runtimeHash: Digest;
  now?: () => Date;
}

/** Running totals; intents in = attestations + dead letters + redeliveries. */
export interface GovernorStats {
  intents: number;
  attestations: number;
  deadLetters: number;
  redeliveries: number;
  allowed: number;
  denied: number;
  replayRejections: number;
}

/** What one input record became. */
type Outcome =
  | {
      type: 'attest';
      kind: AttestationKind;
      subject: string;
      decision: DecisionOutcome;
      intent: RawEnvelope;
    }
  | { type: 'redelivery' }
  | { type: 'dead-letter'; reason: 'UNDECODABLE' | 'EMPTY_RECORD'; detail: string };

const MAX_EMBEDDED_INTENT = 64 * 1024;

/**
 * Decides batches of intents for one partition: each record becomes exactly one new attestation,
 * one dead letter, or — when the identical intent was already answered — nothing new.
 */
export class Governor {
  readonly stats: GovernorStats = {
    intents: 0,
    attestations: 0,
    deadLetters: 0,
    redeliveries: 0,
    allowed: 0,
    denied: 0,
    replayRejections: 0,
  };
  private readonly now: () => Date;

  constructor(private readonly config: GovernorConfig) {
    this.now = config.now ?? (() => new Date());
  }

  /** Processes one batch against a partition's ledger state; state changes wait for the commit. */
  processBatch(ledger: PartitionLedger, partition: number, messages: KafkaMessage[]): BatchResult {
    const attestations: TopicMessages = { topic: this.config.topics.attestations, messages: [] };
    const deadLetters: TopicMessages = { topic: this.config.topics.deadLetters, messages: [] };
    const staged: { predicate: Predicate; subjectDigest: Digest; digest: Digest }[] = [];
    const stagedAnswered = new Set<string>();
    const stagedDecided = new Set<string>();
    let sequence = ledger.nextSequence;
    let prev = ledger.prev;
    // Deltas, added on commit: batches of different partitions commit concurrently.
    const tally: GovernorStats = {
      intents: 0,
      attestations: 0,
      deadLetters: 0,
      redeliveries: 0,
      allowed: 0,
      denied: 0,
      replayRejections: 0,
    };

    for (const message of messages) {
      tally.intents++;
      const outcome = this.classify(ledger, stagedAnswered, stagedDecided, message);
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
            source_topic: this.config.topics.intents,
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
      const { kind, subject, decision } = outcome;
      const predicate = this.predicate(outcome, partition, sequence, prev);
      const envelope = signEnvelope(
        ATTESTATION_PAYLOAD_TYPE,
        encodeStatement(buildStatement(predicate, decision.intentDigest)),
        this.config.signer,
      );
      const digest = attestationDigest(envelope);
      attestations.messages.push({
        key: subject,
        partition,
        value: attestationCodec.encode({
          execution_id: subject,
          envelope: envelopeRecord(envelope),
        }),
      });
      staged.push({ predicate, subjectDigest: decision.intentDigest, digest });
      stagedAnswered.add(intentKey(subject, decision.intentDigest));
      if (kind === 'decision') stagedDecided.add(subject);
      sequence++;
      prev = digest;
      tally.attestations++;
      if (kind === 'replay_rejection') tally.replayRejections++;
      else if (predicate.decision === 'allow') tally.allowed++;
      else tally.denied++;
    }

    return {
      sends: [attestations, deadLetters],
      onCommit: () => {
        for (const s of staged) ledger.apply(s.predicate, s.subjectDigest, s.digest);
        for (const k of Object.keys(tally) as (keyof GovernorStats)[]) this.stats[k] += tally[k];
      },
    };
  }

  private classify(
    ledger: PartitionLedger,
    stagedAnswered: Set<string>,
    stagedDecided: Set<string>,
    message: KafkaMessage,
  ): Outcome {
    if (!message.value || message.value.length === 0)
      return { type: 'dead-letter', reason: 'EMPTY_RECORD', detail: 'record has no value' };
    let record: IntentRecord;
    // Attacker-controlled bytes: anything the codec cannot read is a dead letter, never a crash.
    try {
      record = intentCodec.decode(message.value);
    } catch (error) {
      if (error instanceof SchemaError)
        return {
          type: 'dead-letter',
          reason: 'UNDECODABLE',
          detail: `${error.code}: ${error.message}`.slice(0, 1000),
        };
      throw error;
    }
    const subject = subjectName(record.execution_id);
    const intentDigest = sha256Hex(record.envelope.payload);
    const key = intentKey(subject, intentDigest);
    // The identical intent was already answered: its attestation stands, nothing new is appended.
    if (ledger.answered.has(key) || stagedAnswered.has(key)) return { type: 'redelivery' };
    // A different intent under a consumed id is a replay: a signed rejection, never a second decision.
    if (subject !== '' && (ledger.decided.has(subject) || stagedDecided.has(subject))) {
      const intent = tryParse(record.envelope.payload);
      return {
        type: 'attest',
        kind: 'replay_rejection',
        subject,
        decision: {
          decision: 'deny',
          reasons: ['REPLAY_EXECUTION_ID'],
          intentDigest,
          intent,
          parents: [],
          inheritedFrom: [],
        },
        intent: record.envelope,
      };
    }
    const decision = decide(
      {
        executionId: subject,
        envelope: record.envelope,
        parentAttestations: record.parent_attestations,
      },
      this.config,
    );
    return { type: 'attest', kind: 'decision', subject, decision, intent: record.envelope };
  }

  private predicate(
    { kind, subject, decision: d, intent }: Extract<Outcome, { type: 'attest' }>,
    partition: number,
    sequence: number,
    prev: Digest | null,
  ): Predicate {
    return {
      execution_id: subject,
      execution_fingerprint: executionFingerprint(subject, d.intentDigest, this.config.policy.ref),
      kind,
      decision: d.decision,
      reasons: d.reasons,
      agent: d.intent?.agent ?? '',
      action: d.intent?.action ?? '',
      resource: d.intent?.resource ?? '',
      policy: this.config.policy.ref,
      runtime_hash: this.config.runtimeHash,
      parents: d.parents,
      authorization: { grant: null, inherited_from: d.inheritedFrom },
      partition,
      sequence,
      prev,
      issued_at: this.now().toISOString(),
      issuer: this.config.signer.keyid as Predicate['issuer'],
      intent: embeddable(intent),
    };
  }
}

function tryParse(payload: Uint8Array): IntentBody | null {
  try {
    return parseIntent(payload);
  } catch {
    return null;
  }
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
