import type { Command } from 'commander';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { auditLog } from '@lineage/protocol';
import type {
  CheckpointRecord,
  LedgerRecord,
  LogAuditProblem,
  LogAuditReport,
  RawEnvelope,
  TrustStore,
} from '@lineage/protocol';
import { readToEnd } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { nodeEd25519 } from '@lineage/keys';
import { attestationCodec } from '@lineage/schemas';
import { CliExit } from '../errors.js';
import { brokerOptions, connection, loadTrust } from './options.js';
import type { BrokerFlags } from './options.js';

interface LogVerifyFlags extends BrokerFlags {
  trust: string;
  originTopic?: string;
}

/** A records/s progress bar on stderr, drawn only on a terminal and only once a run is long. */
class Progress {
  readonly #started = Date.now();
  #done = 0;
  #drawn = 0;

  constructor(readonly total: number) {}

  tick(): void {
    this.#done++;
    const now = Date.now();
    if (!process.stderr.isTTY || now - this.#started < 1000 || now - this.#drawn < 200) return;
    this.#drawn = now;
    this.#draw(now);
  }

  #draw(now: number): void {
    const width = 30;
    const share = this.total === 0 ? 1 : Math.min(1, this.#done / this.total);
    const filled = Math.round(share * width);
    const rate = Math.round((this.#done * 1000) / Math.max(1, now - this.#started));
    process.stderr.write(
      `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.#done}/${this.total} records ${rate} records/s`,
    );
  }

  finish(): void {
    if (this.#drawn > 0) {
      this.#draw(Date.now());
      process.stderr.write('\n');
    }
  }
}

// The [low, high) offsets of every partition of a topic, or null when the topic does not exist.
async function offsetsOf(
  kafka: Kafka,
  topic: string,
): Promise<Map<number, { low: bigint; high: bigint }> | null> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(topic)) return null;
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
  } catch (e) {
    throw new CliExit('USAGE', `cannot read the offsets of ${topic}: ${(e as Error).message}`);
  } finally {
    await admin.disconnect();
  }
}

async function readTopic(
  kafka: Kafka,
  topic: string,
  partitions: Iterable<number>,
  onMessage: (partition: number, message: KafkaMessage) => void,
): Promise<void> {
  try {
    await readToEnd(kafka, topic, new Map([...partitions].map((p) => [p, 0n])), onMessage);
  } catch (e) {
    throw new CliExit('USAGE', `cannot read ${topic}: ${(e as Error).message}`);
  }
}

// Attacker-controlled bytes: a record that does not decode is kept as null (RECORD_ALTERED).
function envelopeOf(value: Buffer | null): RawEnvelope | null {
  if (value === null) return null;
  try {
    return attestationCodec.decode(value).envelope;
  } catch {
    return null;
  }
}

/**
 * Reads a ledger's attestations and checkpoints topics end to end (read_committed) and audits them
 * with {@link auditLog}.
 * @throws CliExit 2 when a topic cannot be read.
 */
export async function auditTopics(
  kafka: Kafka,
  topics: TopicNames,
  trust: TrustStore,
  originTopic = topics.attestations,
): Promise<LogAuditProblem | LogAuditReport> {
  const ledgerOffsets = await offsetsOf(kafka, topics.attestations);
  if (ledgerOffsets === null)
    throw new CliExit('USAGE', `topic ${topics.attestations} does not exist`);
  const checkpointOffsets = (await offsetsOf(kafka, topics.checkpoints)) ?? new Map();
  const total = [...ledgerOffsets.values(), ...checkpointOffsets.values()].reduce(
    (n, o) => n + Number(o.high - o.low),
    0,
  );
  const progress = new Progress(total);
  const ledger = new Map<number, LedgerRecord[]>([...ledgerOffsets.keys()].map((p) => [p, []]));
  await readTopic(kafka, topics.attestations, ledgerOffsets.keys(), (p, m) => {
    ledger.get(p)?.push({ offset: m.offset, envelope: envelopeOf(m.value) });
    progress.tick();
  });
  const checkpoints: CheckpointRecord[] = [];
  await readTopic(kafka, topics.checkpoints, checkpointOffsets.keys(), (_, m) => {
    checkpoints.push({
      offset: m.offset,
      key: m.key?.toString('utf8') ?? null,
      note: m.value?.toString('utf8') ?? '',
    });
    progress.tick();
  });
  progress.finish();
  return auditLog(
    {
      attestationsTopic: originTopic,
      partitions: [...ledger].map(([partition, records]) => ({
        partition,
        records,
        endOffset: ledgerOffsets.get(partition)!.high.toString(),
      })),
      checkpoints,
    },
    { trust, ed25519: nodeEd25519() },
  );
}

/** One line for a finding: `ok: …` or `<CODE> partition <p> offset <o>: <detail>`. */
export function describeAudit(result: LogAuditProblem | LogAuditReport): string {
  if (result.ok) {
    return `ok: ${result.attestations} attestations in ${result.partitions.length} partitions, ${result.checkpoints} checkpoints`;
  }
  const where = result.topic === 'checkpoints' ? 'checkpoint record: ' : '';
  return `${result.code} partition ${result.partition} offset ${result.offset}: ${where}${result.detail}`;
}

/**
 * `lineage log verify [--topic-prefix] [--brokers] [--trust] [--origin-topic]`: exit 0 when the
 * ledger is whole, 1 with the first problem, 2 for usage or I/O errors.
 */
export function registerLog(program: Command): void {
  const log = program.command('log').description('audit the tamper-evident ledger');
  brokerOptions(
    log
      .command('verify')
      .description(
        'read the attestations and checkpoints topics end to end and report the first problem',
      ),
  )
    .option(
      '--trust <truststore>',
      'trust store JSON holding the governance keys',
      process.env.LINEAGE_TRUST_STORE ?? '.lineage/truststore.json',
    )
    .option(
      '--origin-topic <topic>',
      'attestations topic the checkpoint origins name (default: the one read; set it to audit a copy)',
    )
    .action(async (flags: LogVerifyFlags) => {
      const trust = await loadTrust(flags.trust);
      const { kafka, topics } = connection(flags, 'lineage-log-verify');
      const result = await auditTopics(kafka, topics, trust, flags.originTopic);
      if (!result.ok) throw new CliExit('INVALID', describeAudit(result));
      console.log(describeAudit(result));
    });
}
