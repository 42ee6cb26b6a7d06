import { GrantMemo } from '@lineage/protocol';
import type { Digest, Ed25519Verifier, Sha256, Signer, TrustStore } from '@lineage/protocol';
import type { BatchResult, TopicNames } from '@lineage/kafka';
import { classifyIntents, classifyOverrides } from './classify.js';
import type { ClassifyContext } from './classify.js';
import { encodeBatch } from './encode.js';
import type { BatchSource } from './encode.js';
import type { InputRecord } from './input.js';
import { LedgerView } from './ledger.js';
import type { PartitionLedger } from './ledger.js';
import type { GovernanceObserver } from './observe.js';
import type { Attest, Source } from './outcome.js';
import type { PolicyBook } from './policies.js';
import { seal } from './seal.js';
import type { SealContext, Sealed } from './seal.js';
import { NO_STATS, addStats, tally } from './stats.js';
import type { GovernorStats } from './stats.js';

/** Everything a governor needs, loaded once at the service edge. */
export interface GovernorConfig {
  topics: TopicNames;
  /** The policies governance knows; the active one decides new intents. */
  policies: PolicyBook;
  trust: TrustStore;
  ed25519: Ed25519Verifier;
  /** Checks a batch's signatures ahead, off the event loop (see `ClassifyContext`). */
  prefetch?: ClassifyContext['prefetch'];
  signer: Signer;
  /** The SHA-256 primitive (node:crypto's in the service); pure JS when absent. */
  sha256?: Sha256;
  runtimeHash: Digest;
  now?: () => Date;
  /** Told of each decided batch and its commit (metrics, traces). */
  observer?: GovernanceObserver;
}

/**
 * Decides batches of intents and resolves batches of override resolutions for one partition: each
 * record becomes exactly one new attestation, one dead letter, or — when the identical record was
 * already answered — nothing new. Classifying, sealing and encoding are separate steps; only
 * encoding knows Kafka's message shapes.
 */
export class Governor {
  private totals: GovernorStats = { ...NO_STATS };
  private readonly classifying: ClassifyContext;
  private readonly sealing: SealContext;

  constructor(private readonly config: GovernorConfig) {
    this.classifying = {
      policies: config.policies,
      trust: config.trust,
      ed25519: config.ed25519,
      prefetch: config.prefetch,
      sha256: config.sha256,
      grants: new GrantMemo(),
    };
    this.sealing = {
      signer: config.signer,
      runtimeHash: config.runtimeHash,
      now: config.now ?? (() => new Date()),
      sha256: config.sha256,
    };
  }

  /** The totals of every committed batch. */
  get stats(): GovernorStats {
    return this.totals;
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
    inputs: readonly InputRecord[],
  ): Promise<BatchResult> {
    const source: Source = topic === this.config.topics.overrides ? 'override' : 'intent';
    const view = new LedgerView(ledger);
    // Classify: each record becomes an attestation draft, a redelivery or a dead letter.
    const classify = source === 'override' ? classifyOverrides : classifyIntents;
    const outcomes = await classify(view, inputs, this.classifying);
    // Seal: the drafts take the next positions of the partition's chain and are signed.
    const drafts = outcomes.filter((o): o is Attest => o.type === 'attest');
    const head = { partition, sequence: ledger.nextSequence, prev: ledger.prev };
    const sealed = await seal(drafts, head, this.sealing);
    // Encode: the attestations and dead letters become the messages of one transaction.
    const at: BatchSource = { topic, partition };
    const sends = encodeBatch(this.config.topics, at, inputs, outcomes, sealed, this.sealing.now);
    // Count: the batch's totals, a fold over its outcomes, join the totals when it commits.
    const counted = tally(source, outcomes);
    const observed = this.config.observer?.decided({
      source,
      topic,
      partition,
      inputs,
      outcomes,
      sealed,
      sends,
    });
    return {
      sends,
      onCommit: async (sent) => {
        await this.commit(view, partition, sealed, sent);
        this.totals = addStats(this.totals, counted);
        observed?.committed();
      },
    };
  }

  // After the transaction commits: the sealed attestations join the partition's ledger state.
  private async commit(
    view: LedgerView,
    partition: number,
    sealed: readonly Sealed[],
    sent: Parameters<BatchResult['onCommit']>[0],
  ): Promise<void> {
    if (sealed.length === 0) return;
    const appended = sent.find(
      (m) => m.topicName === this.config.topics.attestations && m.partition === partition,
    );
    if (appended?.baseOffset === undefined)
      throw new Error(
        `the broker reported no offset for the attestations of partition ${partition}`,
      );
    await view.commit(BigInt(appended.baseOffset), sealed);
  }
}
