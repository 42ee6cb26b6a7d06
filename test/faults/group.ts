import type { Admin } from 'kafkajs';

/** A reading of a consumer group. */
export interface GroupReading {
  state: string;
  members: number;
}

/**
 * Watches the governance group from the outside: intents decided (the group's committed offsets on
 * the intents topic — each commits atomically with the attestations it produced) and membership.
 * A background poll counts rebalances as the changes of the member set seen between Stable states.
 */
export class GroupWatch {
  private decidedCount = 0;
  private reading: GroupReading = { state: 'Unknown', members: 0 };
  private stableMembers: string | undefined;
  private changes = 0;
  private errors = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> = Promise.resolve();

  constructor(
    private readonly admin: Admin,
    private readonly groupId: string,
    private readonly topic: string,
  ) {}

  /** Starts the background poll (every `intervalMs`). */
  start(intervalMs = 250): void {
    const tick = () => {
      this.polling = this.poll().finally(() => {
        if (this.timer !== undefined) this.timer = setTimeout(tick, intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Stops the background poll. */
  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling;
  }

  /** Stable member sets seen, minus the first: rebalances that completed. */
  get rebalances(): number {
    return this.changes;
  }

  /** Admin requests that failed (a broker down, a coordinator moving); the last reading stands. */
  get failedReads(): number {
    return this.errors;
  }

  /** Intents decided: the group's committed offsets on the intents topic, summed. */
  async decided(): Promise<number> {
    try {
      const [topic] = await this.admin.fetchOffsets({
        groupId: this.groupId,
        topics: [this.topic],
      });
      this.decidedCount = (topic?.partitions ?? []).reduce(
        (n, p) => n + Math.max(0, Number(p.offset)),
        0,
      );
    } catch {
      this.errors += 1;
    }
    return this.decidedCount;
  }

  /** The group's state and member count now (`Unknown` while the coordinator cannot answer). */
  async group(): Promise<GroupReading> {
    try {
      const { groups } = await this.admin.describeGroups([this.groupId]);
      const g = groups[0];
      this.reading = { state: g?.state ?? 'Dead', members: g?.members.length ?? 0 };
      if (g?.state === 'Stable') {
        const set = g.members
          .map((m) => m.memberId)
          .sort()
          .join(',');
        if (this.stableMembers !== undefined && set !== this.stableMembers) this.changes += 1;
        this.stableMembers = set;
      }
      return this.reading;
    } catch {
      this.errors += 1;
      return { state: 'Unknown', members: 0 };
    }
  }

  private async poll(): Promise<void> {
    await this.group();
  }
}
