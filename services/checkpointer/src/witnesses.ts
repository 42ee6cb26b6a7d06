import type { Producer } from 'kafkajs';
import { TLOG_SIZE_CONTENT_TYPE, addSignatureLines, formatAddCheckpoint } from '@lineage/protocol';
import type { Checkpoint } from '@lineage/protocol';
import type { PartitionTree } from './tree.js';

/** A checkpoint the log signed, to be cosigned. */
export interface SignedHead {
  tree: PartitionTree;
  checkpoint: Checkpoint;
  note: string;
}

type Log = (message: string, fields?: Record<string, unknown>) => void;

/** What {@link Cosigning} needs: the witnesses' URLs, the topic to publish on, a log. */
export interface CosigningOptions {
  /** Base URLs (submission prefixes) of the witnesses. */
  witnesses: readonly string[];
  /** How long one request may take (default 5000 ms). */
  timeoutMs?: number;
  topic: string;
  producer: Producer;
  log: Log;
  /** Told how many cosigned notes each publish carried. */
  onCosigned?: (count: number) => void;
}

/**
 * Asks each witness to cosign (c2sp.org/tlog-witness add-checkpoint) the checkpoints the log
 * already published, and publishes each note again with the cosignatures that came back. It runs
 * beside the ledger, never in its way: a round at a time, and while one runs only the newest head
 * per partition waits; a witness that is down or refuses delays cosigning, never a checkpoint.
 */
export class Cosigning {
  /** Per witness and origin, the size it is known to have cosigned last. */
  readonly #sizes = new Map<string, number>();
  readonly #pending = new Map<number, SignedHead>();
  #running: Promise<void> | null = null;

  constructor(readonly options: CosigningOptions) {}

  /** Queues `heads` for cosigning; returns at once. */
  submit(heads: readonly SignedHead[]): void {
    if (this.options.witnesses.length === 0) return;
    for (const h of heads) this.#pending.set(h.tree.partition, h);
    this.#running ??= this.#drain().finally(() => (this.#running = null));
  }

  /** Resolves when nothing is queued or being cosigned. */
  async idle(): Promise<void> {
    while (this.#running !== null) await this.#running;
  }

  async #drain(): Promise<void> {
    while (this.#pending.size > 0) {
      const heads = [...this.#pending.values()];
      this.#pending.clear();
      const notes = await Promise.all(heads.map((h) => this.#cosign(h)));
      const messages = heads
        .map((h, i) => ({ key: String(h.tree.partition), value: notes[i]! }))
        .filter((m, i) => m.value !== heads[i]!.note);
      if (messages.length === 0) continue;
      try {
        await this.options.producer.send({ topic: this.options.topic, acks: -1, messages });
        this.options.onCosigned?.(messages.length);
      } catch (error) {
        this.options.log('cosigned checkpoint publish failed', { error: String(error) });
      }
    }
  }

  // The note with every cosignature the witnesses gave for it.
  async #cosign(head: SignedHead): Promise<string> {
    let note = head.note;
    for (const lines of await Promise.all(this.options.witnesses.map((w) => this.#ask(w, head)))) {
      if (lines !== null) note = addSignatureLines(note, lines);
    }
    return note;
  }

  // One witness: from the size it is known at; on 409, once more from the size it reports.
  async #ask(witness: string, head: SignedHead): Promise<string | null> {
    const known = `${witness} ${head.checkpoint.origin}`;
    let old = this.#sizes.get(known) ?? 0;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (old > head.checkpoint.size) return this.#refused(witness, head, `witness is at ${old}`);
      const proof = head.tree.consistency(old, head.checkpoint.size);
      const body = formatAddCheckpoint({ oldSize: old, proof, note: head.note });
      let res: Response;
      try {
        res = await fetch(`${witness}/add-checkpoint`, {
          method: 'POST',
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
      } catch (error) {
        return this.#refused(witness, head, String(error));
      }
      const text = await res.text().catch(() => '');
      if (res.status === 200) {
        this.#sizes.set(known, head.checkpoint.size);
        return text;
      }
      const isSize = res.headers.get('content-type')?.startsWith(TLOG_SIZE_CONTENT_TYPE);
      if (res.status !== 409 || !isSize || !/^(0|[1-9][0-9]*)\n$/.test(text))
        return this.#refused(witness, head, `HTTP ${res.status} ${text.trim()}`);
      old = Number(text.trim());
      this.#sizes.set(known, old);
    }
    return this.#refused(witness, head, 'witness moved while asked');
  }

  #refused(witness: string, head: SignedHead, why: string): null {
    this.options.log('witness did not cosign', {
      witness,
      partition: head.tree.partition,
      size: head.checkpoint.size,
      why,
    });
    return null;
  }
}
