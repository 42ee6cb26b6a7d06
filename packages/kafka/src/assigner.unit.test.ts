import { describe, expect, it } from 'vitest';
import { AssignerProtocol } from 'kafkajs';
import type { Cluster, Logger } from 'kafkajs';
import { copartitionPlan, copartitionedAssigner } from './assigner.js';

describe('copartitionPlan', () => {
  it('deals partition numbers round-robin over the sorted member ids', () => {
    expect([...copartitionPlan(['m-b', 'm-a', 'm-c'], 7)]).toEqual([
      ['m-a', [0, 3, 6]],
      ['m-b', [1, 4]],
      ['m-c', [2, 5]],
    ]);
    expect([...copartitionPlan(['only'], 3)]).toEqual([['only', [0, 1, 2]]]);
    expect([...copartitionPlan(['a', 'b', 'c'], 1)]).toEqual([
      ['a', [0]],
      ['b', []],
      ['c', []],
    ]);
  });
});

describe('copartitionedAssigner', () => {
  it('gives each member the same partition numbers on every subscribed topic', async () => {
    // The assigner reads partition counts from cluster metadata only.
    const partitions: Record<string, number> = { intents: 6, overrides: 6 };
    const cluster = {
      findTopicPartitionMetadata: (topic: string) =>
        Array.from({ length: partitions[topic]! }, (_, partitionId) => ({ partitionId })),
    } as unknown as Cluster;
    const assigner = copartitionedAssigner({
      cluster,
      groupId: 'g',
      logger: {} as Logger,
    });
    const members = ['z', 'y'].map((memberId) => ({
      memberId,
      memberMetadata: assigner.protocol({ topics: ['intents', 'overrides'] }).metadata,
    }));
    const out = await assigner.assign({ members, topics: ['intents', 'overrides'] });
    const decoded = Object.fromEntries(
      out.map((a) => [a.memberId, AssignerProtocol.MemberAssignment.decode(a.memberAssignment)!]),
    );
    expect(decoded.y!.assignment).toEqual({ intents: [0, 2, 4], overrides: [0, 2, 4] });
    expect(decoded.z!.assignment).toEqual({ intents: [1, 3, 5], overrides: [1, 3, 5] });
    expect(AssignerProtocol.MemberMetadata.decode(members[0]!.memberMetadata)!.topics).toEqual([
      'intents',
      'overrides',
    ]);
  });
});
