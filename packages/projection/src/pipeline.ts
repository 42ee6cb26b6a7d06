import { setImmediate as yieldToIo } from 'node:timers/promises';
import type { KafkaMessage } from 'kafkajs';
import type { PoolClient } from 'pg';
import type { Decoded } from './decode.js';
import { decodeAttestation } from './decode.js';
import { growTree, readTree } from './merkle.js';

// A batch of attestations is decoded and written at the same time: each part of PART rows is
// queued as soon as it is decoded (StatementQueue), and the decoder lets the event loop run every
// SLICE records, so the next queued statement starts as soon as Postgres is done with the one
// before. Postgres writes part k while part k + 1 is decoded, instead of waiting for the batch.

/** Rows per statement. */
const PART = 100;
/** Records decoded between two looks at the connection: Postgres waits at most this long for work. */
const SLICE = 25;

/** A decoded attestation: its rows and Merkle leaf. */
export type Row = Extract<Decoded, { type: 'row' }>;

/**
 * Statements that run one after another on one connection while the caller goes on (decoding):
 * each starts when the one before it is done. After a failure the rest are not run: the
 * transaction is aborted, and the first error is the one that says why.
 */
export class StatementQueue {
  private tail: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | undefined;

  /** Queues `statement`; its result, or undefined when it or an earlier one failed. Never rejects. */
  push<T>(statement: () => Promise<T>): Promise<T | undefined> {
    const run = this.tail.then(async () => {
      if (this.failure !== undefined) return undefined;
      try {
        return await statement();
      } catch (error) {
        this.failure = { error };
        return undefined;
      }
    });
    this.tail = run.then(() => undefined);
    return run;
  }

  /** Waits for every queued statement; the first failure, if one failed. */
  async drain(): Promise<{ error: unknown } | undefined> {
    await this.tail;
    return this.failure;
  }
}

/** Queues the statements of one part: its executions, then its edges. */
export type SendPart = (client: PoolClient, queue: StatementQueue, rows: readonly Row[]) => void;

/** What a pipelined batch did: its decoded rows, and the first statement error if one failed. */
export interface Pipelined {
  rows: Row[];
  /** The first error, in statement order (later statements fail only because the first did). */
  failed?: unknown;
}

/**
 * Decodes `messages` of `partition` and writes their rows part by part while decoding (see above),
 * inside SAVEPOINT `batch`, then extends the partition's Merkle tree and releases the savepoint.
 * Records that do not decode go to `onSkip`. When a statement fails, the savepoint is left for the
 * caller to roll back to, and the failure is returned; nothing is thrown for it.
 */
export async function writeWhileDecoding(
  client: PoolClient,
  schema: string,
  partition: number,
  messages: readonly KafkaMessage[],
  sendPart: SendPart,
  onSkip: (skip: Extract<Decoded, { type: 'skip' }>) => void,
): Promise<Pipelined> {
  const rows: Row[] = [];
  const queue = new StatementQueue();
  let unsent = 0;
  const flush = () => {
    if (unsent === rows.length) return;
    if (unsent === 0) void queue.push(() => client.query('SAVEPOINT batch'));
    sendPart(client, queue, rows.slice(unsent));
    unsent = rows.length;
  };
  for (let i = 0; i < messages.length; i++) {
    const decoded = decodeAttestation(partition, messages[i]!);
    if (decoded.type === 'row') rows.push(decoded);
    else onSkip(decoded);
    if (rows.length - unsent >= PART) flush();
    if ((i + 1) % SLICE === 0) await yieldToIo();
  }
  flush();
  if (rows.length === 0) return { rows };
  // The tree's stored nodes are read behind the rows' inserts.
  const sequences = rows.map((r) => r.row.sequence);
  const stored = queue.push(() => readTree(client, schema, partition, sequences));
  const failed = await queue.drain();
  if (failed !== undefined) return { rows, failed: failed.error };
  const leaves = rows.map((r) => ({ sequence: r.row.sequence, leaf: r.leaf }));
  await growTree(client, schema, partition, leaves, (await stored)!);
  await client.query('RELEASE SAVEPOINT batch');
  return { rows };
}
