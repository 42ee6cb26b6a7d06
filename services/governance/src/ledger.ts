import { fromBase64, isExecutionId, sha256Hex } from '@lineage/protocol';
import type { Digest, Predicate } from '@lineage/protocol';
import type { PendingState } from '@lineage/policy';
import { GovernanceError } from './errors.js';
import { MemoryIndex, memberKey } from './state.js';
import type { IndexEntry, IndexSet, LedgerHead, LedgerIndex } from './state.js';

/** The longest routing id kept as an attestation subject; longer or non-string ids become "". */
const MAX_SUBJECT = 128;

/** The subject name used for a record's routing id. */
export function subjectName(executionId: unknown): string {
  return typeof executionId === 'string' && executionId.length <= MAX_SUBJECT ? executionId : '';
}

/** The identity of one intent as received: routing id and the digest of the signed payload. */
export function intentKey(subject: string, intentDigest: Digest): string {
  return `${subject}\u0000${intentDigest}`;
}

/** The identity of one resolution as received: routing id and the digest of its signed payload. */
export function resolutionKey(subject: string, resolutionDigest: Digest): string {
  return `${subject}\u0000${resolutionDigest}`;
}

/** The predicate facts that say which sets an attestation joins. */
type Indexed = Pick<Predicate, 'execution_id' | 'kind' | 'decision' | 'override'>;

/**
 * The index entries one attestation adds: its intent (or resolution) as answered, its execution id
 * as consumed by a decision, a hold as pending, a hold as resolved by an override.
 */
export function indexEntries(
  predicate: Indexed,
  subjectDigest: Digest,
  digest: Digest,
): IndexEntry[] {
  const entries = draftEntries(predicate, subjectDigest);
  // A hold is known by its own attestation digest, which only sealing gives.
  if (isHold(predicate)) entries.push({ set: 'pending', key: digest });
  return entries;
}

/** The index entries an attestation adds that its draft already determines: all but a hold's. */
export function draftEntries(predicate: Indexed, subjectDigest: Digest): IndexEntry[] {
  const entries: IndexEntry[] = [
    { set: 'answered', key: intentKey(predicate.execution_id, subjectDigest) },
  ];
  if (predicate.kind === 'decision' && isExecutionId(predicate.execution_id))
    entries.push({ set: 'decided', key: predicate.execution_id });
  if (predicate.override !== null) {
    // Our own ledger: the embedded resolution was checked when it was appended.
    const payload = fromBase64(predicate.override.resolution.payload);
    entries.push({
      set: 'resolutions',
      key: resolutionKey(predicate.execution_id, sha256Hex(payload)),
    });
    if (predicate.kind === 'override')
      entries.push({ set: 'resolved', key: predicate.override.pending });
  }
  return entries;
}

// A decision that holds its execution for an override.
function isHold(predicate: Indexed): boolean {
  return (
    predicate.kind === 'decision' &&
    isExecutionId(predicate.execution_id) &&
    predicate.decision === 'pending_override'
  );
}

/**
 * What governance must remember about one attestation partition to decide exactly once: which
 * execution ids are consumed, which intents and resolutions already have an attestation, which
 * decisions await an override and which were resolved, and the chain head. The growing sets live
 * in a {@link LedgerIndex}; the head and the holds are in memory. Rebuilt from the ledger on
 * acquisition, from where the index stands; never written anywhere but the index.
 */
export class PartitionLedger {
  /** Digests of `pending_override` decisions. */
  readonly pending = new Set<Digest>();
  /** Digests of pending decisions an `override` attestation resolved. */
  readonly resolved = new Set<Digest>();
  nextSequence = 0;
  prev: Digest | null = null;
  /** Offset of the last attestation folded in; -1 when none is. */
  lastOffset = -1n;

  constructor(
    readonly partition: number,
    readonly index: LedgerIndex = new MemoryIndex(),
  ) {}

  /** The partition as far as `index` holds it (empty when it holds nothing). */
  static async open(partition: number, index: LedgerIndex): Promise<PartitionLedger> {
    const ledger = new PartitionLedger(partition, index);
    const stored = await index.load(partition);
    if (stored !== undefined) {
      ledger.nextSequence = stored.head.nextSequence;
      ledger.prev = stored.head.prev;
      ledger.lastOffset = BigInt(stored.head.lastOffset);
      for (const d of stored.pending) ledger.pending.add(d);
      for (const d of stored.resolved) ledger.resolved.add(d);
    }
    return ledger;
  }

  /** Whether `key` is a member of `set`. */
  has(set: IndexSet, key: string): Promise<boolean> {
    return this.index.has(this.partition, set, key);
  }

  /** Whether each entry's key is a member of its set, in one lookup. */
  hasMany(entries: readonly IndexEntry[]): Promise<boolean[]> {
    return this.index.hasMany(this.partition, entries);
  }

  /** What the ledger says about a pending attestation, by digest. */
  pendingState(digest: string): PendingState {
    if (this.resolved.has(digest as Digest)) return 'resolved';
    return this.pending.has(digest as Digest) ? 'pending' : 'unknown';
  }

  /** The chain position the index records with the next write. */
  head(): LedgerHead {
    return {
      nextSequence: this.nextSequence,
      prev: this.prev,
      lastOffset: this.lastOffset.toString(),
    };
  }

  /**
   * Folds one attestation of this partition, read at `offset`, in chain order: moves the head and
   * the holds, and returns the index entries to {@link PartitionLedger.persist}.
   * @throws GovernanceError `LEDGER_BROKEN` when the chain is broken: governance then refuses to
   *   run on this partition.
   */
  fold(predicate: Predicate, subjectDigest: Digest, digest: Digest, offset: bigint): IndexEntry[] {
    // The attestation continues this partition's chain.
    if (
      predicate.partition !== this.partition ||
      predicate.sequence !== this.nextSequence ||
      predicate.prev !== this.prev
    ) {
      throw new GovernanceError(
        'LEDGER_BROKEN',
        `ledger partition ${this.partition} is broken: expected sequence ${this.nextSequence} after ${this.prev}, found ${predicate.sequence} after ${predicate.prev}`,
      );
    }
    const entries = indexEntries(predicate, subjectDigest, digest);
    for (const e of entries) {
      if (e.set === 'pending') this.pending.add(e.key as Digest);
      if (e.set === 'resolved') this.resolved.add(e.key as Digest);
    }
    this.nextSequence += 1;
    this.prev = digest;
    this.lastOffset = offset;
    return entries;
  }

  /** Writes folded entries and the current head to the index, atomically. */
  persist(entries: readonly IndexEntry[]): Promise<void> {
    return this.index.write(this.partition, entries, this.head());
  }
}

/** An appended attestation as a ledger folds it. */
export interface Appended {
  predicate: Predicate;
  subjectDigest: Digest;
  digest: Digest;
}

/**
 * A partition ledger plus the attestations staged by the batch being processed: answers every
 * question as if the staged attestations were already appended, and changes the ledger only when
 * {@link LedgerView.commit} runs (after the transaction commits). A hold staged in the batch is
 * not known as pending before the commit: holds come from intent batches, and only override
 * batches ask about them.
 */
export class LedgerView {
  private readonly staged = new Set<string>();
  /** Memberships looked up ahead of the batch ({@link LedgerView.prefetch}). */
  private readonly known = new Map<string, boolean>();

  constructor(readonly ledger: PartitionLedger) {}

  /** Looks up many memberships at once, so the questions that follow need no round trip each. */
  async prefetch(entries: readonly IndexEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const found = await this.ledger.hasMany(entries);
    entries.forEach((e, i) => this.known.set(memberKey(e.set, e.key), found[i]!));
  }

  /** The identical intent already has its attestation. */
  answered(key: string): Promise<boolean> {
    return this.member('answered', key);
  }

  /** The execution id is consumed by a decision. */
  decided(executionId: string): Promise<boolean> {
    return this.member('decided', executionId);
  }

  /** The identical resolution already has its attestation. */
  resolutionAnswered(key: string): Promise<boolean> {
    return this.member('resolutions', key);
  }

  /** What the ledger and the staged attestations say about a pending attestation. */
  pendingState(digest: string): PendingState {
    if (this.staged.has(memberKey('resolved', digest))) return 'resolved';
    return this.ledger.pendingState(digest);
  }

  /** Stages one attestation that this batch appends, by its draft. */
  stage(draft: Indexed, subjectDigest: Digest): void {
    for (const e of draftEntries(draft, subjectDigest)) this.staged.add(memberKey(e.set, e.key));
  }

  /**
   * Folds the batch's sealed attestations into the ledger, in order, and persists them: the first
   * was appended at `baseOffset`, the others right after it.
   */
  async commit(baseOffset: bigint, appended: readonly Appended[]): Promise<void> {
    if (appended.length === 0) return;
    const entries = appended.flatMap((a, i) =>
      this.ledger.fold(a.predicate, a.subjectDigest, a.digest, baseOffset + BigInt(i)),
    );
    await this.ledger.persist(entries);
  }

  private async member(set: IndexSet, key: string): Promise<boolean> {
    const id = memberKey(set, key);
    return this.staged.has(id) || (this.known.get(id) ?? (await this.ledger.has(set, key)));
  }
}
