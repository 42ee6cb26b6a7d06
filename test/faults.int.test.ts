import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Admin, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { verifyAttestation } from '@lineage/protocol';
import type { RawEnvelope } from '@lineage/protocol';
import { nodeEd25519, writeKeyFile, writeTrustStore } from '@lineage/keys';
import { encodeIntent, intent, sendRaw, signBody } from './kit/intents.js';
import { createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import { killAllServices, killService, signalService, spawnService } from './kit/process.js';
import type { ServiceProcess } from './kit/process.js';
import { expectChains, readDeadLetters, readLedger, waitUntil } from './kit/read.js';
import type { LedgerEntry } from './kit/read.js';
import { expectReplayVerifies } from './kit/replay.js';
import { checkpointPartition, checkpointSize, readLedgerCopy } from './kit/tamper.js';

const run = promisify(execFile);
const GOVERNANCE = fileURLToPath(new URL('../services/governance/src/main.ts', import.meta.url));
const CHECKPOINTER = fileURLToPath(
  new URL('../services/checkpointer/src/main.ts', import.meta.url),
);
const CLI = fileURLToPath(new URL('../packages/cli/src/main.ts', import.meta.url));

const PARTITIONS = 3;
const ROOTS = 150;
const DENIED_ROOTS = 10;
const CHILDREN = 2_700;
/** Of each hostile kind below, this many. */
const BAD = 30;
/** Children are published in chunks, at most this many intents ahead of what is decided. */
const CHUNK = 100;
const AHEAD = 600;

interface Decided {
  decision: 'allow' | 'deny';
  reasons: string[];
}
const ALLOW: Decided = { decision: 'allow', reasons: ['rule:agents-read'] };
const deny = (...reasons: string[]): Decided => ({ decision: 'deny', reasons });

/** One intent record as published, and what it must become. */
interface Input {
  key: string;
  value: Buffer;
  /** The `decision` attestation expected for its id, or one of the other outcomes. */
  expect: Decided | 'dead-letter' | 'replay' | 'redelivery';
}

/**
 * Governance runs as child processes on a real broker while ~3,000 intents stream in; the processes
 * are killed with SIGKILL (process group) three times mid-stream, and once a second instance joins
 * the group first so partitions move between live instances. Afterwards every input has exactly one
 * outcome, every execution id one decision, every partition a gap-free hash chain, and the ledger
 * passes `lineage log verify` (with checkpoints from a checkpointer child) and `replay-verify`.
 */
describe('governance under kill -9 and rebalances', () => {
  let ledger: TestLedger;
  let admin: Admin;
  let producer: Producer;
  let dir: string;
  let prefix: string;

  beforeAll(async () => {
    ledger = await createTestLedger(inject('brokers'), { partitions: PARTITIONS });
    prefix = ledger.topics.intents.slice(0, -'lineage.intents.v1'.length);
    admin = ledger.kafka.admin();
    await admin.connect();
    producer = ledger.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    dir = await mkdtemp(join(tmpdir(), 'lineage-faults-'));
    await writeKeyFile(join(dir, 'governance.key'), ledger.governanceKey);
    await writeTrustStore(join(dir, 'truststore.json'), ledger.trustDocument);
    await writeFile(join(dir, 'policy.json'), JSON.stringify(ledger.policy.document));
  });

  afterAll(async () => {
    await killAllServices();
    await producer?.disconnect();
    await admin?.disconnect();
    await ledger?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const governance = (name: string): ServiceProcess =>
    spawnService(name, GOVERNANCE, [
      ...['--brokers', inject('brokers').join(',')],
      ...['--key', join(dir, 'governance.key')],
      ...['--trust', join(dir, 'truststore.json')],
      ...['--policy', join(dir, 'policy.json')],
      ...['--topic-prefix', prefix],
      ...['--group', ledger.groupId],
      ...['--partitions', String(PARTITIONS)],
    ]);

  const checkpointer = (): ServiceProcess =>
    spawnService(
      'checkpointer',
      CHECKPOINTER,
      [
        ...['--key', join(dir, 'governance.key')],
        ...['--topic-prefix', prefix],
        ...['--every', '200', '--interval', '0.5'],
        ...['--partitions', String(PARTITIONS)],
      ],
      { KAFKA_BROKERS: inject('brokers').join(',') },
    );

  /**
   * Intents decided so far: the governance group's committed offsets on the intents topic. While
   * fresh topics elect their leaders the broker answers with retriable errors; the last count stands.
   */
  let lastDecided = 0;
  const decided = async (): Promise<number> => {
    try {
      const [topic] = await admin.fetchOffsets({
        groupId: ledger.groupId,
        topics: [ledger.topics.intents],
      });
      lastDecided = (topic?.partitions ?? []).reduce(
        (n, p) => n + Math.max(0, Number(p.offset)),
        0,
      );
    } catch (error) {
      if ((error as { retriable?: unknown }).retriable !== true) throw error;
    }
    return lastDecided;
  };

  const groupMembers = async (): Promise<{ state: string; members: number }> => {
    try {
      const { groups } = await admin.describeGroups([ledger.groupId]);
      return { state: groups[0]?.state ?? 'Dead', members: groups[0]?.members.length ?? 0 };
    } catch (error) {
      // A coordinator moving or still loading is retriable: report the group as not yet stable.
      if ((error as { retriable?: unknown }).retriable !== true) throw error;
      return { state: 'Unknown', members: 0 };
    }
  };

  const alive = (p: ServiceProcess) => p.child.exitCode === null && p.child.signalCode === null;

  it('decides every intent exactly once and keeps every chain whole across three SIGKILLs and a rebalance', async () => {
    const started = Date.now();
    const agents = ledger.agentKeys;
    const inputs: Input[] = [];
    const signer = (i: number) => agents[i % agents.length]!.signer;

    // Roots: allowed ones become parents; denied ones are refused by the policy.
    const roots = Array.from({ length: ROOTS }, (_, i) =>
      i < DENIED_ROOTS
        ? intent(signer(i), { action: 'delete.rows', resource: `prod/table-${i}` })
        : intent(signer(i), { action: 'plan.batch', resource: `batch/${i}` }),
    );
    for (const [i, r] of roots.entries())
      inputs.push({
        key: r.body.execution_id,
        value: encodeIntent(r.body.execution_id, r.envelope),
        expect: i < DENIED_ROOTS ? deny('POLICY_DENIED', 'rule:no-prod-delete') : ALLOW,
      });

    const checkpoints = checkpointer();
    const processes: ServiceProcess[] = [governance('g1')];
    const kills: { name: string; at: number }[] = [];
    let rebalancedAt = -1;

    await sendRaw(producer, ledger.topics.intents, inputs);
    const rootEntries = await readLedger(ledger.kafka, ledger.topics, ROOTS);
    const attestationOf = new Map(
      rootEntries.map((e) => [e.predicate.execution_id as string, e.envelope]),
    );
    const allowedRoots = roots.slice(DENIED_ROOTS).map((r) => r.body.execution_id);
    const deniedRoots = roots.slice(0, DENIED_ROOTS).map((r) => r.body.execution_id);

    // Children with one or two allowed parents, interleaved with hostile and repeated inputs.
    const stream: Input[] = [];
    const child = (i: number, parentIds: string[]) =>
      intent(signer(i), {
        action: 'read.item',
        resource: `item/${i}`,
        parents: parentIds.map((id) => attestationOf.get(id)!),
      });
    for (let i = 0; i < CHILDREN; i++) {
      const parents = [allowedRoots[i % allowedRoots.length]!];
      if (i % 3 === 0) parents.push(allowedRoots[(i * 7 + 1) % allowedRoots.length]!);
      const c = child(i, parents);
      stream.push({
        key: c.body.execution_id,
        value: encodeIntent(c.body.execution_id, c.envelope, c.parents),
        expect: ALLOW,
      });
    }
    const hostile: Input[] = [];
    for (let i = 0; i < BAD; i++) {
      // A parent that was denied.
      const d = child(CHILDREN + i, [deniedRoots[i % DENIED_ROOTS]!]);
      hostile.push({
        key: d.body.execution_id,
        value: encodeIntent(d.body.execution_id, d.envelope, d.parents),
        expect: deny('PARENT_NOT_ALLOWED'),
      });
      // An agent signature with one bit flipped.
      const s = child(CHILDREN + BAD + i, [allowedRoots[i]!]);
      const sig = Uint8Array.from(s.envelope.signatures[0]!.sig);
      sig[7]! ^= 0x01;
      const forged: RawEnvelope = {
        ...s.envelope,
        signatures: [{ keyid: s.envelope.signatures[0]!.keyid, sig }],
      };
      hostile.push({
        key: s.body.execution_id,
        value: encodeIntent(s.body.execution_id, forged, s.parents),
        expect: deny('AGENT_SIGNATURE_INVALID'),
      });
      // Bytes that are not an intent record at all.
      hostile.push({
        key: `junk-${i}`,
        value: Buffer.from(`not avro ${i} \u0000\u00ff`),
        expect: 'dead-letter',
      });
      // A different intent under an id already decided: a replay.
      const target = roots[DENIED_ROOTS + i]!;
      hostile.push({
        key: target.body.execution_id,
        value: encodeIntent(
          target.body.execution_id,
          signBody(signer(DENIED_ROOTS + i), {
            ...target.body,
            resource: `replayed/${i}`,
          }),
        ),
        expect: 'replay',
      });
      // The identical record again: a redelivery, answered by the attestation already on the ledger.
      const again = roots[DENIED_ROOTS + BAD + i]!;
      hostile.push({
        key: again.body.execution_id,
        value: encodeIntent(again.body.execution_id, again.envelope),
        expect: 'redelivery',
      });
    }
    hostile.forEach((h, i) =>
      stream.splice(Math.floor(((i + 1) * stream.length) / (hostile.length + 1)), 0, h),
    );
    inputs.push(...stream);
    const total = inputs.length;
    expect(total).toBe(3_000);

    // The publisher keeps at most AHEAD intents undecided, so the stream is in flight at each kill,
    // and holds at `allowed` until the second instance has joined.
    let published = ROOTS;
    let allowed = 0.1 * total;
    const publisher = (async () => {
      for (let i = 0; i < stream.length; i += CHUNK) {
        await waitUntil(
          async () => published < allowed && (await decided()) >= published - AHEAD,
          120_000,
          'backlog',
        );
        const chunk = stream.slice(i, i + CHUNK);
        await sendRaw(producer, ledger.topics.intents, chunk);
        published += chunk.length;
      }
    })();

    /** Waits until `count` intents are decided, failing fast if a live process exited. */
    const reach = async (count: number) => {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const n = await decided();
        if (n >= count) return n;
        for (const p of processes)
          if (p.child.exitCode !== null)
            throw new Error(`${p.name} exited ${p.child.exitCode}: ${p.output()}`);
        if (Date.now() > deadline) throw new Error(`stuck at ${n}/${total} decided`);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    // Kills `victim` once a `fraction` of the stream is decided, and at least 100 more intents than
    // at the previous event, then starts `successor`.
    const kill = async (victim: ServiceProcess, fraction: number, successor: string) => {
      await reach(Math.max(Math.ceil(fraction * total), (kills.at(-1)?.at ?? rebalancedAt) + 100));
      const exit = await killService(victim);
      // What was decided when the process died, read after its death (its commits are final).
      const at = await decided();
      expect(exit.signal).toBe('SIGKILL');
      expect(at).toBeLessThan(total);
      kills.push({ name: victim.name, at });
      console.log(`kill ${victim.name} at ${at} (${(Date.now() - started) / 1000} s)`);
      processes.push(governance(successor));
    };

    // A second instance joins the live first one: partitions move between instances.
    await reach(0.05 * total);
    processes.push(governance('g2'));
    await waitUntil(
      async () => {
        const g = await groupMembers();
        return g.state === 'Stable' && g.members === 2;
      },
      60_000,
      'two governance members',
    );
    rebalancedAt = await decided();
    allowed = total;
    // g1 dies while g2 owns some of the partitions; g2 dies while g1's partitions still wait for
    // its session to expire (so both stalls overlap); g3 dies after the partitions moved again.
    await kill(processes[0]!, 0.1, 'g3');
    await kill(processes[1]!, 0.2, 'g4');
    await kill(processes[2]!, 0.6, 'g5');
    await publisher;
    await reach(total);
    expect(await decided()).toBe(total);

    // Every decision is committed together with its input offset; read the outcomes.
    const expectedAttestations = inputs.filter(
      (i) => i.expect !== 'dead-letter' && i.expect !== 'redelivery',
    ).length;
    const expectedDeadLetters = inputs.filter((i) => i.expect === 'dead-letter').length;
    const redeliveries = inputs.filter((i) => i.expect === 'redelivery').length;
    expect([expectedAttestations, expectedDeadLetters, redeliveries]).toEqual([2_940, BAD, BAD]);
    const entries = await readLedger(ledger.kafka, ledger.topics, expectedAttestations);
    const letters = await readDeadLetters(ledger.kafka, ledger.topics, expectedDeadLetters);

    // The checkpointer catches up with the whole ledger, then stops cleanly.
    const sizes = new Map<number, number>();
    for (const e of entries) sizes.set(e.partition, (sizes.get(e.partition) ?? 0) + 1);
    await waitUntil(
      async () => {
        const { checkpoints: cps } = await readLedgerCopy(ledger.kafka, ledger.topics);
        const latest = new Map<number, number>();
        for (const c of cps) latest.set(checkpointPartition(c), checkpointSize(c));
        return [...sizes].every(([p, n]) => latest.get(p) === n);
      },
      60_000,
      'checkpoints covering the ledger',
    );
    for (const p of [...processes.filter(alive), checkpoints])
      expect(await signalService(p, 'SIGTERM'), `${p.name}: ${p.output()}`).toEqual({
        code: 0,
        signal: null,
      });

    // Exactly one outcome per input: intents in = attestations + dead letters + redeliveries.
    expect(entries).toHaveLength(expectedAttestations);
    expect(letters).toHaveLength(expectedDeadLetters);
    expect(entries.length + letters.length + redeliveries).toBe(total);
    expect(letters.every((l) => l.reason === 'UNDECODABLE')).toBe(true);
    expect(new Set(entries.map((e) => e.digest)).size).toBe(entries.length);

    // Each execution id decided exactly once, as expected; each replay rejected once.
    const decisions = new Map<string, LedgerEntry>();
    for (const e of entries.filter((x) => x.predicate.kind === 'decision')) {
      expect(decisions.has(e.predicate.execution_id), e.predicate.execution_id).toBe(false);
      decisions.set(e.predicate.execution_id, e);
    }
    const fingerprints = new Set(
      [...decisions.values()].map((e) => e.predicate.execution_fingerprint),
    );
    expect(fingerprints.size).toBe(decisions.size);
    const expectedDecisions = inputs.filter((i) => typeof i.expect === 'object');
    expect(decisions.size).toBe(expectedDecisions.length);
    for (const i of expectedDecisions) {
      const d = decisions.get(i.key);
      expect(d, i.key).toBeDefined();
      expect({ decision: d!.predicate.decision, reasons: d!.predicate.reasons }, i.key).toEqual(
        i.expect,
      );
    }
    const rejections = entries.filter((e) => e.predicate.kind === 'replay_rejection');
    expect(rejections.map((e) => e.predicate.execution_id).sort()).toEqual(
      inputs
        .filter((i) => i.expect === 'replay')
        .map((i) => i.key)
        .sort(),
    );
    expect(rejections.every((e) => e.predicate.reasons.includes('REPLAY_EXECUTION_ID'))).toBe(true);

    // Every partition is one gap-free, fork-free hash chain, and every attestation verifies.
    expect(new Set(entries.map((e) => e.partition))).toEqual(new Set([0, 1, 2]));
    expectChains(entries);
    const verify = { trust: ledger.trust, ed25519: nodeEd25519() };
    for (const e of entries) expect(verifyAttestation(e.envelope, verify).digest).toBe(e.digest);

    // The log audit over the attestations and checkpoints topics finds nothing.
    const audit = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        'log',
        'verify',
        '--topic-prefix',
        prefix,
        '--trust',
        join(dir, 'truststore.json'),
      ],
      { env: { ...process.env, KAFKA_BROKERS: inject('brokers').join(',') } },
    ).then(
      ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({
        code: e.code,
        out: e.stdout + e.stderr,
      }),
    );
    expect(audit.out).toMatch(
      new RegExp(
        `^ok: ${expectedAttestations} attestations in 3 partitions, \\d+ checkpoints$`,
        'm',
      ),
    );
    expect(audit.code).toBe(0);

    // Each attestation re-derives identically from its recorded inputs.
    await expectReplayVerifies(ledger, expectedAttestations);

    expect(kills).toHaveLength(3);
    // Each kill came after more intents were decided, by the instances alive then.
    const moments = [rebalancedAt, ...kills.map((k) => k.at)];
    expect(moments, JSON.stringify(kills)).toEqual([...moments].sort((a, b) => a - b));
    expect(new Set(moments).size, JSON.stringify(kills)).toBe(4);
    console.log(
      `faults: ${total} intents, ${kills.length} SIGKILLs at ${kills.map((k) => `${k.name}@${k.at}`).join(', ')}, second instance joined at ${rebalancedAt}; ${entries.length} attestations, ${letters.length} dead letters, ${redeliveries} redeliveries, 0 duplicates, 0 gaps; ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  });
});
