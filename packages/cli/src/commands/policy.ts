import type { Command } from 'commander';
import type { Kafka } from 'kafkajs';
import { canonicalize } from '@lineage/protocol';
import { PolicyError, loadPolicy } from '@lineage/policy';
import type { LoadedPolicy } from '@lineage/policy';
import { policyCodec } from '@lineage/schemas';
import { connectOrderedProducer } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { CliExit } from '../errors.js';
import { brokerOptions, connection, readText } from './options.js';
import type { BrokerFlags } from './options.js';

/**
 * Publishes a policy version to the compacted policies topic, keyed by its hash: governance
 * activates a higher version of its policy id from that point in the ledger on.
 */
export async function publishPolicy(
  kafka: Kafka,
  topics: TopicNames,
  policy: LoadedPolicy,
  activatedAt = new Date(),
): Promise<void> {
  const producer = await connectOrderedProducer(kafka);
  try {
    await producer.send({
      topic: topics.policies,
      acks: -1,
      messages: [
        {
          key: policy.ref.hash,
          value: policyCodec.encode({
            hash: policy.ref.hash,
            id: policy.ref.id,
            version: policy.ref.version,
            document: canonicalize(policy.document),
            activated_at: activatedAt.toISOString(),
          }),
        },
      ],
    });
  } finally {
    await producer.disconnect();
  }
}

/** Reads and loads a policy document file. @throws CliExit 2 when unreadable or malformed. */
export async function readPolicyFile(path: string): Promise<LoadedPolicy> {
  const text = await readText(path);
  try {
    return loadPolicy(JSON.parse(text));
  } catch (e) {
    if (e instanceof PolicyError) throw new CliExit('USAGE', `${e.code}: ${e.message}`);
    throw new CliExit('USAGE', `${path} is not JSON`);
  }
}

/** `lineage policy publish`. */
export function registerPolicy(program: Command): void {
  const policy = program.command('policy').description('versioned policy documents');
  brokerOptions(
    policy
      .command('publish <file>')
      .description('publish a policy version to the policies topic (a rollout from this point on)'),
  ).action(async (file: string, o: BrokerFlags) => {
    const loaded = await readPolicyFile(file);
    const { kafka, topics } = connection(o, 'lineage-cli-policy');
    try {
      await publishPolicy(kafka, topics, loaded);
    } catch (e) {
      throw new CliExit('USAGE', `cannot publish to ${topics.policies}: ${(e as Error).message}`);
    }
    console.log(
      `published ${loaded.ref.id}@${loaded.ref.version} sha256:${loaded.ref.hash} to ${topics.policies}`,
    );
  });
}
