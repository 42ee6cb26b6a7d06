import type { PGlite } from '@electric-sql/pglite';

/** One wire-protocol message a connection sent, waiting for the database. */
interface Pending {
  readonly handlerId: number;
  readonly message: Uint8Array;
  readonly onData: (data: Uint8Array) => void;
  readonly resolve: (bytes: number) => void;
  readonly reject: (error: Error) => void;
}

/** Frontend messages after which a connection may hand the database to another: Query, Sync, Terminate. */
const SYNC_POINTS = new Set(['Q', 'S', 'X']);

/**
 * Shares one PGlite backend between many wire-protocol connections, in the shape
 * `PGLiteSocketHandler` expects of its query queue. A connection keeps the backend from its first
 * message up to a sync point (so an extended-protocol Parse/Bind/Execute/Sync run is never
 * interleaved with another connection's), and for as long as it stays inside a transaction (so each
 * transaction sees only its own writes, and others wait for its COMMIT or ROLLBACK). A failing
 * message fails its connection only; the queue keeps serving the others.
 */
export class ConnectionScheduler {
  private readonly waiting: Pending[] = [];
  /** The connection that has the backend, between its sync points or inside its transaction. */
  private owner: number | null = null;
  private running = false;

  constructor(private readonly db: PGlite) {}

  /** Queues one message; resolves with the number of response bytes once the backend ran it. */
  enqueue(
    handlerId: number,
    message: Uint8Array,
    onData: (data: Uint8Array) => void,
  ): Promise<number> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ handlerId, message, onData, resolve, reject });
      void this.pump();
    });
  }

  getQueueLength(): number {
    return this.waiting.length;
  }

  /** Drops a disconnected connection's queued messages. */
  clearQueueForHandler(handlerId: number): void {
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const pending = this.waiting[i]!;
      if (pending.handlerId !== handlerId) continue;
      this.waiting.splice(i, 1);
      pending.reject(new Error('Handler disconnected'));
    }
  }

  /** A connection that left with the backend (mid-transaction) gives it back, rolled back. */
  async clearTransactionIfNeeded(handlerId: number): Promise<void> {
    if (this.owner !== handlerId) return;
    if (this.db.isInTransaction()) await this.db.exec('ROLLBACK');
    this.owner = null;
    void this.pump();
  }

  /** Runs queued messages one at a time, the owner's first; stops when only others wait on an owner. */
  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.take(); next !== undefined; next = this.take()) {
        await this.run(next);
      }
    } finally {
      this.running = false;
    }
  }

  private take(): Pending | undefined {
    const index =
      this.owner === null ? 0 : this.waiting.findIndex((p) => p.handlerId === this.owner);
    if (index < 0 || index >= this.waiting.length) return undefined;
    return this.waiting.splice(index, 1)[0];
  }

  private async run(pending: Pending): Promise<void> {
    this.owner = pending.handlerId;
    let bytes = 0;
    try {
      await this.db.runExclusive(() =>
        this.db.execProtocolRawStream(pending.message, {
          onRawData: (data) => {
            bytes += data.length;
            pending.onData(data);
          },
        }),
      );
      pending.resolve(bytes);
    } catch (error) {
      pending.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // The backend is free again at a sync point outside a transaction (or after a startup message).
    const type = String.fromCharCode(pending.message[0] ?? 0);
    const startup = pending.message[0] === 0;
    if ((SYNC_POINTS.has(type) || startup) && !this.db.isInTransaction()) this.owner = null;
  }
}
