import { AssignerProtocol } from 'kafkajs';
import type { GroupMemberAssignment, PartitionAssigner } from 'kafkajs';

/** The protocol name members advertise; every member of a group must offer it. */
export const COPARTITIONED_ASSIGNER = 'LineageCopartitioned';

/**
 * Which partition numbers each member owns: partition numbers round-robin over the sorted member
 * ids. Pure, so every member would compute the same plan.
 */
export function copartitionPlan(
  memberIds: readonly string[],
  partitions: number,
): Map<string, number[]> {
  const sorted = [...memberIds].sort();
  const plan = new Map<string, number[]>(sorted.map((m) => [m, []]));
  if (sorted.length === 0) return plan;
  for (let p = 0; p < partitions; p++) plan.get(sorted[p % sorted.length]!)!.push(p);
  return plan;
}

/**
 * A kafkajs partition assigner that co-partitions every subscribed topic, as Kafka Streams does:
 * partition number p of each topic goes to the same member, so the one member owning p sees every
 * input keyed to p (intents and override resolutions alike) and is the one writer of the output
 * partition p. Partition numbers are dealt round-robin over the sorted member ids; a topic with
 * fewer partitions than the largest simply has no partition p for the higher numbers.
 */
export const copartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: COPARTITIONED_ASSIGNER,
  version: 1,
  assign({ members, topics }) {
    const counts = new Map(
      topics.map((t) => [t, cluster.findTopicPartitionMetadata(t).map((m) => m.partitionId)]),
    );
    const widest = Math.max(0, ...[...counts.values()].map((ps) => ps.length));
    const plan = copartitionPlan(
      members.map((m) => m.memberId),
      widest,
    );
    const out: GroupMemberAssignment[] = [...plan].map(([memberId, numbers]) => {
      const assignment: Record<string, number[]> = {};
      for (const [topic, ids] of counts) assignment[topic] = numbers.filter((p) => ids.includes(p));
      return {
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment,
          userData: Buffer.alloc(0),
        }),
      };
    });
    return Promise.resolve(out);
  },
  protocol({ topics }) {
    return {
      name: COPARTITIONED_ASSIGNER,
      metadata: AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics,
        userData: Buffer.alloc(0),
      }),
    };
  },
});
