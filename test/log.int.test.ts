import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { JsonValue } from '@lineage/protocol';
import { topicNames } from '@lineage/kafka';
import { generateKeyPair, writeKeyFile, writeTrustStore } from '@lineage/keys';
import type { LineageAgent } from '@lineage/sdk';
import { runLineage } from './kit/cli.js';
import { createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import { readLedger, waitUntil } from '@lineage/testkit/kafka';
import {
  alterCheckpoint,
  checkpointPartition,
  checkpointSize,
  editCheckpoints,
  editPartition,
  readLedgerCopy,
  rewriteAttestation,
  signedCheckpoint,
  writeLedgerCopy,
} from './kit/tamper.js';
import type { CopiedRecord, LedgerCopy } from './kit/tamper.js';

/**
 * A ledger written by governance and checkpointed by the checkpointer (restarted once), then, for
 * each tamper class, a doctored copy of its topics written to new topics the way an attacker with
 * admin rights would: `lineage log verify` names the class and the position.
 */
describe('lineage log verify on a real ledger and its doctored copies', () => {
  let ledger: TestLedger;
  let agent: LineageAgent;
  let dir: string;
  let prefix: string;
  let copy: LedgerCopy;
  /** The partition the tampering hits: most records, at least two checkpoints. */
  let target: number;
  /** Another partition with records. */
  let other: number;
  let size: number;
  /** Indexes of the target partition's records in the checkpoints topic. */
  let targetCheckpoints: number[];
  /** Log lines of the restarted checkpointer. */
  const restartLog: string[] = [];
  /** How many partitions had a checkpoint when the checkpointer restarted. */
  let checkpointedEarly = 0;

  const lineage = (...args: string[]) => runLineage(inject('brokers'), args);

  /** The ledger copy with checkpoint `index` replaced by one over a random root, signed by `key`. */
  const randomRootAt = (
    index: number,
    size: (checkpoints: CopiedRecord[]) => number,
    key: Parameters<typeof signedCheckpoint>[3] = ledger.governanceKey,
  ) =>
    editCheckpoints(copy, (c) => {
      const head = { size: size(c), root: randomBytes(32) };
      c[index] = signedCheckpoint(ledger.topics.attestations, target, head, key);
      return c;
    });

  /** Starts `services/checkpointer/src/main.ts` on the ledger; its JSON log lines go to `log`. */
  const startCheckpointer = (log: string[]): ChildProcess => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'services/checkpointer/src/main.ts',
        '--key',
        join(dir, 'governance.key'),
        '--topic-prefix',
        prefix,
        '--every',
        '2',
        '--interval',
        '0.3',
        '--partitions',
        '3',
      ],
      {
        env: { ...process.env, KAFKA_BROKERS: inject('brokers').join(',') },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString('utf8')));
    return child;
  };

  const stop = async (child: ChildProcess) => {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    expect(code).toBe(0);
  };

  // Waits until the latest checkpoint of every partition covers all `expected` attestations.
  const checkpointed = async (expected: number) => {
    const entries = await readLedger(ledger.kafka, ledger.topics, expected);
    const sizes = new Map<number, number>();
    for (const e of entries) sizes.set(e.partition, (sizes.get(e.partition) ?? 0) + 1);
    await waitUntil(
      async () => {
        const { checkpoints } = await readLedgerCopy(ledger.kafka, ledger.topics);
        const latest = new Map<number, number>();
        for (const c of checkpoints) latest.set(checkpointPartition(c), checkpointSize(c));
        return [...sizes].every(([p, n]) => latest.get(p) === n);
      },
      120_000,
      `checkpoints covering ${expected} attestations`,
    );
  };

  const publish = (round: string, n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        agent.publishIntent({ action: 'read.doc', resource: `docs/${round}-${i}` }),
      ),
    );

  /** Writes a doctored copy under a fresh prefix and audits it against the original's origins. */
  const audit = async (doctored: LedgerCopy) => {
    const to = `x-${randomUUID().slice(0, 8)}-`;
    await writeLedgerCopy(ledger.kafka, topicNames(to), doctored);
    return lineage(
      'log',
      'verify',
      '--topic-prefix',
      to,
      '--trust',
      join(dir, 'truststore.json'),
      '--origin-topic',
      ledger.topics.attestations,
    );
  };

  const expectFinding = (
    result: { code: number; out: string },
    code: string,
    partition: number,
    offset: number,
  ) => {
    expect(result.out).toMatch(
      new RegExp(`^${code} partition ${partition} offset ${offset}:`, 'm'),
    );
    expect(result.code).toBe(1);
  };

  const records = (p: number): CopiedRecord[] => copy.partitions.get(p)!;

  beforeAll(async () => {
    ledger = await createTestLedger(inject('brokers'), { partitions: 3 });
    prefix = ledger.topics.attestations.replace('lineage.attestations.v1', '');
    await ledger.startGovernance();
    agent = await ledger.agent(0);
    dir = await mkdtemp(join(tmpdir(), 'lineage-log-'));
    await writeKeyFile(join(dir, 'governance.key'), ledger.governanceKey);
    await writeTrustStore(join(dir, 'truststore.json'), ledger.trustDocument);

    // Round 1 is checkpointed live; round 2 lands while the checkpointer is down, and the restarted
    // checkpointer rebuilds the trees from offset 0 and extends its earlier checkpoints.
    const first = startCheckpointer([]);
    await publish('a', 12);
    await checkpointed(12);
    await stop(first);
    const early = await readLedgerCopy(ledger.kafka, ledger.topics);
    checkpointedEarly = new Set(early.checkpoints.map(checkpointPartition)).size;
    await publish('b', 12);
    const second = startCheckpointer(restartLog);
    await checkpointed(24);
    await stop(second);

    copy = await readLedgerCopy(ledger.kafka, ledger.topics);
    const counts = (p: number) =>
      copy.checkpoints.filter((c) => checkpointPartition(c) === p).length;
    const ranked = [...copy.partitions.keys()]
      .filter((p) => records(p).length >= 5 && counts(p) >= 2)
      .sort((a, b) => records(b).length - records(a).length);
    target = ranked[0]!;
    expect(target).toBeDefined();
    other = [...copy.partitions.keys()].find((p) => p !== target && records(p).length > 0)!;
    size = records(target).length;
    targetCheckpoints = copy.checkpoints
      .map((c, i) => [c, i] as const)
      .filter(([c]) => checkpointPartition(c) === target)
      .map(([, i]) => i);
  });

  afterAll(async () => {
    await agent?.close();
    await ledger?.close();
  });

  it('passes the untouched ledger and its untouched copy', async () => {
    const original = await lineage(
      'log',
      'verify',
      '--topic-prefix',
      prefix,
      '--trust',
      join(dir, 'truststore.json'),
    );
    expect(original.out).toMatch(/^ok: 24 attestations in 3 partitions, \d+ checkpoints$/m);
    expect(original.code).toBe(0);
    const copied = await audit(copy);
    expect(copied.out).toMatch(/^ok: 24 attestations in 3 partitions/m);
    expect(copied.code).toBe(0);
  });

  it('the restarted checkpointer checked its earlier checkpoints against the rebuilt trees', () => {
    const restored = restartLog
      .join('')
      .split('\n')
      .filter((l) => l.includes('rebuilt tree matches the last published checkpoint'));
    expect(checkpointedEarly).toBeGreaterThan(0);
    expect(restored).toHaveLength(checkpointedEarly);
    expect(restartLog.join('')).not.toContain('partition broken');
  });

  it('RECORD_DELETED: a record removed from the middle of a partition', async () => {
    const doctored = editPartition(copy, target, (r) => [...r.slice(0, 1), ...r.slice(2)]);
    expectFinding(await audit(doctored), 'RECORD_DELETED', target, 1);
  });

  it('RECORD_INSERTED: a validly signed record of another partition slipped in', async () => {
    const doctored = editPartition(copy, target, (r) => [
      ...r.slice(0, 2),
      records(other)[0]!,
      ...r.slice(2),
    ]);
    expectFinding(await audit(doctored), 'RECORD_INSERTED', target, 2);
  });

  it('RECORD_DUPLICATED: a record written twice', async () => {
    const doctored = editPartition(copy, target, (r) => [...r.slice(0, 3), r[2]!, ...r.slice(3)]);
    expectFinding(await audit(doctored), 'RECORD_DUPLICATED', target, 3);
  });

  it('RECORD_REORDERED: two records swapped', async () => {
    const doctored = editPartition(copy, target, (r) => [r[0]!, r[2]!, r[1]!, ...r.slice(3)]);
    expectFinding(await audit(doctored), 'RECORD_REORDERED', target, 1);
  });

  it('RECORD_ALTERED: a statement edited without the governance key', async () => {
    const doctored = editPartition(copy, target, (r) => {
      r[2] = rewriteAttestation(r[2]!, (s) => {
        (s.predicate as Record<string, JsonValue>).issued_at = '2020-01-01T00:00:00Z';
      });
      return r;
    });
    expectFinding(await audit(doctored), 'RECORD_ALTERED', target, 2);
  });

  it('CHAIN_BROKEN: a record signed by governance whose prev names another record', async () => {
    const doctored = editPartition(copy, target, (r) => {
      r[2] = rewriteAttestation(
        r[2]!,
        (s) => {
          (s.predicate as Record<string, JsonValue>).prev = 'f'.repeat(64);
        },
        ledger.governanceKey.signer,
      );
      return r;
    });
    expectFinding(await audit(doctored), 'CHAIN_BROKEN', target, 2);
  });

  it('LEDGER_TRUNCATED: the tail of a partition cut below its signed checkpoint', async () => {
    const doctored = editPartition(copy, target, (r) => r.slice(0, size - 1));
    expectFinding(await audit(doctored), 'LEDGER_TRUNCATED', target, size - 1);
  });

  it('CHECKPOINT_SIGNATURE_INVALID: a checkpoint edited, or forged with an untrusted key', async () => {
    const last = targetCheckpoints[targetCheckpoints.length - 1]!;
    const edited = editCheckpoints(copy, (c) => {
      c[last] = alterCheckpoint(c[last]!, (text) => {
        const [origin, n, root] = text.split('\n');
        return `${origin}\n${Number(n) - 1}\n${root}\n`;
      });
      return c;
    });
    expectFinding(await audit(edited), 'CHECKPOINT_SIGNATURE_INVALID', target, last);
    const forged = randomRootAt(last, () => size - 1, generateKeyPair());
    expectFinding(await audit(forged), 'CHECKPOINT_SIGNATURE_INVALID', target, last);
  });

  it('CHECKPOINT_INCONSISTENT: a later checkpoint that does not extend the earlier one', async () => {
    const last = targetCheckpoints[targetCheckpoints.length - 1]!;
    const split = randomRootAt(last, (c) => checkpointSize(c[last]!));
    expectFinding(await audit(split), 'CHECKPOINT_INCONSISTENT', target, last);
  });

  it('CHECKPOINT_ROOT_MISMATCH: a signed checkpoint of a tree the ledger does not hold', async () => {
    const first = targetCheckpoints[0]!;
    const wrong = randomRootAt(first, (c) => checkpointSize(c[first]!));
    expectFinding(await audit(wrong), 'CHECKPOINT_ROOT_MISMATCH', target, first);
  });

  it('exits 2 when the ledger topics do not exist', async () => {
    const missing = await lineage(
      'log',
      'verify',
      '--topic-prefix',
      `missing-${randomUUID().slice(0, 8)}-`,
      '--trust',
      join(dir, 'truststore.json'),
    );
    expect(missing.code).toBe(2);
  });
});
