import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createKafka, ensureTopics } from '@lineage/kafka';
import { nodeEd25519, writeKeyFile, writeTrustStore } from '@lineage/keys';
import { projectionChecksum } from '@lineage/projection';
import { rebuildProjection } from '@lineage/projector';
import { createPool } from '@lineage/store';
import { sendRaw } from '../kit/intents.js';
import { createTestLedger } from '../kit/ledger.js';
import { signalGroup } from '../kit/process.js';
import type { ProcessExit } from '../kit/process.js';
import { checkpointPartition, checkpointSize, readLedgerCopy } from '../kit/tamper.js';
import { checkOutcomes } from './checks.js';
import type { OutcomeCounts } from './checks.js';
import { GroupWatch } from './group.js';
import { privateInfra } from './infra.js';
import type { FaultInfra } from './infra.js';
import { inputMix, rootInputs, streamInputs } from './inputs.js';
import type { Input } from './inputs.js';
import { readAttestations, readDeadLetterRecords, until as untilTrue } from './read.js';
import { Fleet, SCRIPTS } from './services.js';
import type { Role } from './services.js';

const run = promisify(execFile);

/** What a fault run does. */
export interface FaultConfig {
  /** Intents published (roots, children and hostile inputs together). */
  intents: number;
  /** Governance SIGKILLs, spread over the stream. */
  kills: number;
  /** Partitions of the co-partitioned topics (at least 3: the run scales to three instances). */
  partitions: number;
  /** Where Kafka and Postgres come from (see {@link FaultInfra}). */
  infra: () => Promise<FaultInfra>;
  /** Pause one instance until its partitions moved, then wake it. */
  zombie: boolean;
  /** Kill one broker mid-stream and start it again (needs a cluster). */
  brokerKill: boolean;
  /** Restart Postgres (`immediate`) mid-stream (needs a private server). */
  postgresRestart: boolean;
  /** SIGKILL one of the two projectors mid-stream. */
  projectorKill: boolean;
  /** Run `lineage replay-verify --all` over the result. */
  replayVerify: boolean;
  /** The services' consumer group session timeout. */
  sessionTimeoutMs: number;
  /** At most this many intents published and not yet decided. */
  ahead: number;
  /** Progress lines. */
  log: (line: string) => void;
  /** Stops the run at its next wait (the services and the infrastructure are still taken down). */
  signal?: AbortSignal;
}

/** What a fault run measured. */
export interface FaultFigures extends Omit<OutcomeCounts, 'problems'> {
  infrastructure: string;
  intents: number;
  governanceKills: number;
  /** Changes of the governance group's member set between Stable states, watched from outside. */
  rebalances: number;
  scaleSteps: number;
  scalePath: string;
  zombiePauses: number;
  /** What the woken zombie did: whether its writes were refused (fenced) and whether it rejoined. */
  zombieOutcome: string;
  zombieFenced: boolean;
  brokerKills: number;
  postgresRestarts: number;
  projectorKills: number;
  /** Processes that exited without being signalled (each replaced). */
  crashes: number;
  checksumEqual: boolean;
  logVerify: string;
  replayVerify: string;
  /** Every service still running at the end exited 0 on SIGTERM. */
  cleanShutdowns: boolean;
  elapsedSeconds: number;
  /** No duplicate, gap, loss, wrong outcome, invalid signature, checksum or audit failure. */
  passed: boolean;
  /** The first problems found, and the services' crashes. */
  problems: string[];
  /** Where the services' logs are (kept after a failed run). */
  logDir: string;
}

/** The CI-sized run: 3,000 intents, 3 SIGKILLs, every other fault once, on a private cluster. */
export const SHORT_RUN: Omit<FaultConfig, 'log'> = {
  intents: 3_000,
  kills: 3,
  partitions: 6,
  infra: privateInfra,
  zombie: true,
  brokerKill: true,
  postgresRestart: true,
  projectorKill: true,
  replayVerify: true,
  sessionTimeoutMs: 6_000,
  ahead: 300,
};

/** The full run of issue 6's acceptance: 20,000 intents, 10 SIGKILLs. */
export const FULL_RUN: Omit<FaultConfig, 'log'> = {
  ...SHORT_RUN,
  intents: 20_000,
  kills: 10,
  ahead: 1_000,
};

// What a woken zombie's refused transaction looks like in its log (kafkajs and broker error names).
const FENCED =
  /INVALID_PRODUCER_EPOCH|PRODUCER_FENCED|ProducerFenced|old epoch|fenced|INVALID_PRODUCER_ID_MAPPING|TRANSACTION_COORDINATOR_FENCED/i;

// kafkajs' line for a batch whose transaction threw; the service's log sink drops the error itself.
const REFUSED = /Error when calling eachBatch/;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const describeExit = (exit: ProcessExit & { hung: boolean }): string =>
  exit.hung ? 'hung (killed)' : `exited ${exit.code ?? exit.signal}`;

/**
 * Runs governance, two projectors and a checkpointer as child processes while `config.intents`
 * intents stream in, and injects faults at points of progress (intents decided): scaling 1 → 3 → 1,
 * governance SIGKILLs (each replaced), a paused zombie instance, a broker kill and restart, a
 * projector SIGKILL and a Postgres restart. Then measures every input's outcome, the hash chains, the
 * projection against a rebuild from offset 0, `lineage log verify` and `lineage replay-verify`.
 * @throws Error when the run cannot proceed (no progress within minutes, infrastructure failing).
 */
export async function runFaultSuite(config: FaultConfig): Promise<FaultFigures> {
  const started = Date.now();
  const until = (check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) =>
    untilTrue(
      () => {
        if (config.signal?.aborted === true) throw new Error('interrupted');
        return check();
      },
      timeoutMs,
      what,
    );
  const log = (line: string) =>
    config.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}`);
  const infra = await config.infra();
  const dir = await mkdtemp(join(tmpdir(), 'lineage-faults-'));
  const logDir = join(dir, 'logs');
  await mkdir(logDir);
  const ledger = await createTestLedger(infra.brokers, { partitions: config.partitions });
  // The run's own client: kafkajs' complaints while a broker is down are expected, not printed.
  let clientErrors = 0;
  const kafka = createKafka({
    brokers: infra.brokers,
    clientId: 'lineage-faults',
    log: () => (clientErrors += 1),
  });
  const prefix = ledger.topics.intents.slice(0, -'lineage.intents.v1'.length);
  const schema = `faults_${randomUUID().slice(0, 8)}`;
  const projectorGroup = `${prefix}projector`;
  const pool = createPool(infra.databaseUrl, { onConnectionError: () => undefined });
  const admin = kafka.admin({ retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 5_000 } });
  // Patient enough to ride out a broker kill (leaders move within seconds) with its own retries:
  // re-sending a failed batch from here could publish an intent twice.
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    retry: { retries: 30, initialRetryTime: 300, maxRetryTime: 5_000 },
  });
  const problems: string[] = [];

  const argsOf = (role: Role, name: string): string[] => {
    const common = [
      ...['--brokers', infra.brokers.join(',')],
      ...['--topic-prefix', prefix],
      ...['--partitions', String(config.partitions)],
    ];
    if (role === 'governance')
      return [
        ...common,
        ...['--key', join(dir, 'governance.key')],
        ...['--trust', join(dir, 'truststore.json')],
        ...['--policy', join(dir, 'policy.json')],
        ...['--group', ledger.groupId],
        ...['--session-timeout', String(config.sessionTimeoutMs)],
        ...['--state-dir', join(dir, 'state', name)],
      ];
    if (role === 'projector')
      return [
        ...common,
        ...['--database-url', infra.databaseUrl],
        ...['--schema', schema],
        ...['--group', projectorGroup],
        ...['--session-timeout', String(config.sessionTimeoutMs)],
      ];
    return [
      ...common,
      ...['--key', join(dir, 'governance.key')],
      ...['--every', '200', '--interval', '0.5'],
    ];
  };
  const fleet = new Fleet(logDir, argsOf, log);
  const watch = new GroupWatch(admin, ledger.groupId, ledger.topics.intents);
  let passed = false;
  let cleanShutdowns = true;

  try {
    await admin.connect();
    await producer.connect();
    await writeKeyFile(join(dir, 'governance.key'), ledger.governanceKey);
    await writeTrustStore(join(dir, 'truststore.json'), ledger.trustDocument);
    await writeFile(join(dir, 'policy.json'), JSON.stringify(ledger.policy.document));
    // A fresh cluster may not know a topic on every broker yet: creating it is retried.
    await until(
      () =>
        ensureTopics(kafka, ledger.topics, {
          partitions: config.partitions,
          replicationFactor: infra.replicationFactor,
        }).then(
          () => true,
          (error: { retriable?: unknown }) => {
            if (error.retriable !== true) throw error;
            return false;
          },
        ),
      60_000,
      'the topics',
    );
    log(
      `${infra.kind} infrastructure: brokers ${infra.brokers.join(',')}, topics ${prefix}*; run started ${new Date(started).toISOString()}`,
    );

    const figures = {
      governanceKills: 0,
      scaleSteps: 0,
      scalePath: '1',
      zombiePauses: 0,
      zombieOutcome: '',
      zombieFenced: false,
      brokerKills: 0,
      postgresRestarts: 0,
      projectorKills: 0,
    };

    // The inputs: roots first (children carry their attestations), then the stream.
    const mix = inputMix(config.intents);
    const signer = (i: number) => ledger.agentKeys[i % ledger.agentKeys.length]!.signer;
    const { inputs: rootRecords, roots } = rootInputs(mix, signer);
    fleet.spawn('checkpointer');
    fleet.spawn('projector');
    fleet.spawn('projector');
    fleet.spawn('governance');
    watch.start();
    await sendRaw(producer, ledger.topics.intents, rootRecords);
    const rootLedger = await readAttestations(kafka, ledger.topics, mix.roots, 120_000);
    if (rootLedger.length < mix.roots)
      throw new Error(`only ${rootLedger.length} of ${mix.roots} roots decided`);
    const attestationOf = new Map(rootLedger.map((e) => [e.predicate.execution_id, e.envelope]));
    const stream = streamInputs(mix, roots, attestationOf, signer);
    const inputs: Input[] = [...rootRecords, ...stream];
    const total = inputs.length;
    log(`${total} intents: ${mix.roots} roots decided, streaming the rest`);

    // The publisher keeps at most `ahead` intents undecided and publishes at most `ahead` past the next
    // step's point, so every fault finds the stream in flight however long the previous one took.
    let published = rootRecords.length;
    let gate = total;
    let publishing = true;
    const CHUNK = 100;
    const publisher = (async () => {
      try {
        for (let i = 0; i < stream.length; i += CHUNK) {
          await until(
            async () => published < gate && (await watch.decided()) >= published - config.ahead,
            300_000,
            `the backlog to drop below ${config.ahead}`,
          );
          const chunk = stream.slice(i, i + CHUNK);
          await sendRaw(producer, ledger.topics.intents, chunk);
          published += chunk.length;
        }
      } finally {
        publishing = false;
      }
    })();
    publisher.catch(() => undefined);

    /** Waits until `count` intents are decided; fails when nothing moves for `stallMs`. */
    const reach = async (count: number, stallMs = 120_000): Promise<number> => {
      let last = -1;
      let moved = Date.now();
      for (;;) {
        const n = await watch.decided();
        if (n >= count) return n;
        if (n !== last) [last, moved] = [n, Date.now()];
        if (Date.now() - moved > stallMs)
          throw new Error(`no progress for ${stallMs / 1000} s at ${n}/${total} decided`);
        if (!publishing && published < total) await publisher;
        if (config.signal?.aborted === true) throw new Error('interrupted');
        await sleep(20);
      }
    };
    const liveGovernance = () => fleet.live('governance');
    /** Waits until the group is Stable with as many members as governance processes run. */
    const settled = (what: string, timeoutMs = 120_000) =>
      until(
        async () => {
          const g = await watch.group();
          return g.state === 'Stable' && g.members === liveGovernance().length;
        },
        timeoutMs,
        what,
      );

    const steps: { at: number; name: string; run: () => Promise<void> }[] = [];
    steps.push({
      at: 0.04,
      name: 'scale 1 → 3',
      run: async () => {
        fleet.spawn('governance');
        fleet.spawn('governance');
        await settled('three governance members');
        figures.scaleSteps += 1;
        figures.scalePath += ' → 3';
      },
    });
    for (let k = 0; k < config.kills; k++)
      steps.push({
        at: 0.07 + (0.86 * (k + 0.5)) / Math.max(1, config.kills),
        name: `governance SIGKILL ${k + 1}`,
        run: async () => {
          const live = liveGovernance();
          const victim = live[k % live.length]!;
          const exit = await fleet.signal(victim, 'SIGKILL');
          if (exit.signal !== 'SIGKILL') problems.push(`${victim.service.name} ended ${exit.code}`);
          figures.governanceKills += 1;
          const successor = fleet.spawn('governance');
          log(`  killed ${victim.service.name}, started ${successor.service.name}`);
        },
      });
    if (config.projectorKill)
      steps.push({
        at: 0.2,
        name: 'projector SIGKILL',
        run: async () => {
          const victim = fleet.live('projector')[0]!;
          await fleet.signal(victim, 'SIGKILL');
          figures.projectorKills += 1;
          const successor = fleet.spawn('projector');
          log(`  killed ${victim.service.name}, started ${successor.service.name}`);
        },
      });
    if (config.zombie)
      steps.push({
        at: 0.3,
        name: 'zombie pause',
        run: async () => {
          const zombie = liveGovernance()[0]!;
          const members = liveGovernance().length;
          signalGroup(zombie.service, 'SIGSTOP');
          figures.zombiePauses += 1;
          const pausedAt = await watch.decided();
          // The group moved the paused instance's partitions: Stable without it, and decisions go on.
          await until(
            async () => {
              const g = await watch.group();
              return (
                g.state === 'Stable' &&
                g.members === members - 1 &&
                (await watch.decided()) >= pausedAt + 100
              );
            },
            120_000,
            `the group to move ${zombie.service.name}'s partitions`,
          );
          log(`  ${zombie.service.name} paused at ${pausedAt}; the group moved on; waking it`);
          let woken = '';
          const listen = (c: Buffer) => (woken += c.toString('utf8'));
          zombie.service.child.stdout!.on('data', listen);
          zombie.service.child.stderr!.on('data', listen);
          signalGroup(zombie.service, 'SIGCONT');
          // It either rejoins the group or exits; its pending transaction must not commit.
          await until(
            async () => {
              if (zombie.service.child.exitCode !== null) return true;
              const g = await watch.group();
              return g.state === 'Stable' && g.members === members;
            },
            120_000,
            `${zombie.service.name} to rejoin or exit`,
          );
          await sleep(1_000);
          zombie.service.child.stdout!.off('data', listen);
          zombie.service.child.stderr!.off('data', listen);
          figures.zombieFenced = FENCED.test(woken);
          const rejoined = zombie.service.child.exitCode === null;
          figures.zombieOutcome = [
            figures.zombieFenced
              ? 'fenced'
              : REFUSED.test(woken)
                ? 'a batch failed (error not named in its log)'
                : 'no error logged',
            rejoined ? 'rejoined' : `exited ${zombie.service.child.exitCode}`,
          ].join(', ');
          log(`  ${zombie.service.name} woke: ${figures.zombieOutcome}`);
        },
      });
    if (config.brokerKill && infra.brokerIds.length > 1) {
      const id = infra.brokerIds[infra.brokerIds.length - 1]!;
      steps.push({
        at: 0.42,
        name: `broker ${id} kill`,
        run: async () => {
          await infra.killBroker(id);
          figures.brokerKills += 1;
        },
      });
      steps.push({
        at: 0.52,
        name: `broker ${id} restart`,
        run: async () => {
          await infra.startBroker(id);
          await infra.waitInSync(180_000);
        },
      });
    }
    steps.push({
      at: 0.62,
      name: 'scale 3 → 1',
      run: async () => {
        const leaving = liveGovernance().slice(0, -1);
        for (const m of leaving) {
          const exit = await fleet.terminate(m);
          if (exit.hung || exit.code !== 0) {
            cleanShutdowns = false;
            problems.push(`${m.service.name} ${describeExit(exit)} on SIGTERM`);
          }
        }
        await settled('one governance member');
        figures.scaleSteps += 1;
        figures.scalePath += ` → ${liveGovernance().length}`;
      },
    });
    if (config.postgresRestart && infra.canRestartPostgres)
      steps.push({
        at: 0.75,
        name: 'Postgres restart',
        run: async () => {
          await infra.restartPostgres();
          figures.postgresRestarts += 1;
        },
      });
    steps.sort((a, b) => a.at - b.at);

    // Each step once its share of the stream is decided, and at least 100 intents after the previous.
    // A run that stops (no progress, a step timing out) is still measured: what it left is the figure.
    let stopped: string | undefined;
    try {
      let previous = 0;
      for (const step of steps) {
        const target = Math.max(Math.ceil(step.at * total), previous + 100);
        if (target >= total) throw new Error(`too few intents left for ${step.name}`);
        gate = Math.min(total, target + config.ahead);
        const at = await reach(target);
        log(`${step.name} at ${at}/${total} decided`);
        await step.run();
        previous = await watch.decided();
      }
      gate = total;
      await publisher;
      await reach(total);
      log(`all ${total} intents decided`);
    } catch (error) {
      stopped = error instanceof Error ? error.message : String(error);
      problems.push(`the run stopped: ${stopped}`);
      log(`the run stopped: ${stopped}`);
    }
    const readTimeout = stopped === undefined ? 60_000 : 5_000;

    // Every decision is committed with its input offset; read the outcomes.
    const expectedAttestations = inputs.filter(
      (i) => i.expect !== 'dead-letter' && i.expect !== 'redelivery',
    ).length;
    const expectedLetters = inputs.filter((i) => i.expect === 'dead-letter').length;
    const records = await readAttestations(kafka, ledger.topics, expectedAttestations, readTimeout);
    const letters = await readDeadLetterRecords(kafka, ledger.topics, expectedLetters, readTimeout);
    log(`ledger read: ${records.length} attestations, ${letters.length} dead letters`);
    const outcome = checkOutcomes(inputs, records, letters, {
      trust: ledger.trust,
      ed25519: nodeEd25519(),
    });
    problems.push(...outcome.problems);

    const base = {
      infrastructure:
        infra.kind === 'cluster'
          ? `${infra.brokers.length} brokers (RF ${infra.replicationFactor}), private Postgres`
          : 'shared broker and Postgres',
      intents: total,
      ...figures,
      attestations: outcome.attestations,
      deadLetters: outcome.deadLetters,
      redeliveries: outcome.redeliveries,
      duplicates: outcome.duplicates,
      gaps: outcome.gaps,
      lost: outcome.lost,
      wrong: outcome.wrong,
      invalid: outcome.invalid,
      partitions: outcome.partitions,
      logDir,
    };
    if (stopped !== undefined) {
      for (const c of fleet.crashes)
        problems.push(`${c.name} crashed (${c.exit.code ?? c.exit.signal}): ${c.tail.slice(-600)}`);
      return {
        ...base,
        rebalances: watch.rebalances,
        crashes: fleet.crashes.length,
        checksumEqual: false,
        logVerify: 'skipped (run stopped)',
        replayVerify: 'skipped (run stopped)',
        cleanShutdowns,
        elapsedSeconds: (Date.now() - started) / 1000,
        passed: false,
        problems,
      };
    }

    // The checkpointer catches up with the whole ledger.
    const sizes = new Map<number, number>();
    for (const r of records) sizes.set(r.partition, (sizes.get(r.partition) ?? 0) + 1);
    let checkpointRecords = 0;
    let covered: Map<number, number> = new Map();
    await until(
      async () => {
        const { checkpoints } = await readLedgerCopy(kafka, ledger.topics);
        checkpointRecords = checkpoints.length;
        const latest = new Map<number, number>();
        for (const c of checkpoints) latest.set(checkpointPartition(c), checkpointSize(c));
        covered = latest;
        return [...sizes].every(([p, n]) => latest.get(p) === n);
      },
      60_000,
      'checkpoints covering the ledger',
    ).catch(() => {
      const short = [...sizes].filter(([p, n]) => covered.get(p) !== n);
      problems.push(
        `checkpoints do not cover the ledger after 60 s: ${short.map(([p, n]) => `partition ${p} has ${n} attestations, its last checkpoint ${covered.get(p) ?? 'none'}`).join('; ')}`,
      );
    });

    // Governance and the checkpointer leave cleanly.
    for (const m of [...liveGovernance(), ...fleet.live('checkpointer')]) {
      const exit = await fleet.terminate(m);
      if (exit.hung || exit.code !== 0) {
        cleanShutdowns = false;
        problems.push(`${m.service.name} ${describeExit(exit)} on SIGTERM`);
      }
    }
    watch.stop().catch(() => undefined);
    log(`checkpoint wait over; services stopped (${clientErrors} client errors tolerated)`);

    // The projection holds every attestation, checkpoint and the policy, then stops changing.
    let live = await projectionChecksum(pool, schema).catch(() => null);
    await until(
      async () => {
        const now = await projectionChecksum(pool, schema).catch(() => null);
        const done =
          now !== null &&
          now.executions.rows >= records.length &&
          now.checkpoints.rows >= checkpointRecords &&
          now.policies.rows > 0 &&
          now.combined === live?.combined;
        live = now;
        if (!done) await sleep(1_000);
        return done;
      },
      240_000,
      'the projection to hold the whole ledger',
    ).catch(() =>
      problems.push(
        `the projection did not reach the whole ledger: ${live?.executions.rows ?? 'no'} executions, ${live?.checkpoints.rows ?? 'no'} checkpoints`,
      ),
    );
    for (const m of fleet.live('projector')) {
      const exit = await fleet.terminate(m);
      if (exit.hung || exit.code !== 0) {
        cleanShutdowns = false;
        problems.push(`${m.service.name} ${describeExit(exit)} on SIGTERM`);
      }
    }
    live = await projectionChecksum(pool, schema);

    // The projection equals a rebuild from offset 0 into a fresh schema.
    const rebuilt = await rebuildProjection({
      kafka: kafka,
      pool,
      schema: `rb_${schema.slice(-8)}`,
      topics: ledger.topics,
      projection: projectorGroup,
    });
    const checksumEqual = rebuilt.checksum.combined === live.combined;
    if (!checksumEqual)
      problems.push(
        `projection ${JSON.stringify(live)} differs from rebuild ${JSON.stringify(rebuilt.checksum)}`,
      );
    log(`projection checksum ${checksumEqual ? 'equals' : 'DIFFERS FROM'} the rebuild's`);

    // The log audit over the attestations and checkpoints topics finds nothing.
    const cli = async (args: string[]) =>
      run(process.execPath, ['--import', 'tsx', SCRIPTS.cli, ...args], {
        env: { ...process.env, KAFKA_BROKERS: infra.brokers.join(',') },
        maxBuffer: 64 << 20,
      }).then(
        ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({
          code: e.code,
          out: e.stdout + e.stderr,
        }),
      );
    const trustFile = join(dir, 'truststore.json');
    const audit = await cli(['log', 'verify', '--topic-prefix', prefix, '--trust', trustFile]);
    const auditOk =
      audit.code === 0 &&
      new RegExp(
        `^ok: ${records.length} attestations in \\d+ partitions, \\d+ checkpoints$`,
        'm',
      ).test(audit.out);
    if (!auditOk) problems.push(`lineage log verify: exit ${audit.code}: ${audit.out.slice(-500)}`);
    log(`lineage log verify: exit ${audit.code}`);

    // Each attestation re-derives identically from its recorded inputs.
    let replayVerify = 'skipped';
    if (config.replayVerify) {
      const replay = await cli([
        ...['replay-verify', '--all', '--schema', schema],
        ...['--database-url', infra.databaseUrl, '--topic-prefix', prefix, '--trust', trustFile],
      ]);
      const ok =
        replay.code === 0 &&
        replay.out.includes(`${records.length} re-derived identically, 0 mismatches`);
      replayVerify = ok ? `ok (${records.length} re-derived)` : `FAILED (exit ${replay.code})`;
      if (!ok)
        problems.push(`lineage replay-verify: exit ${replay.code}: ${replay.out.slice(-500)}`);
      log(`lineage replay-verify: exit ${replay.code}`);
    }
    await pool.query(`DROP SCHEMA IF EXISTS ${rebuilt.schema} CASCADE`);

    for (const c of fleet.crashes)
      problems.push(`${c.name} crashed (${c.exit.code ?? c.exit.signal}): ${c.tail.slice(-600)}`);
    passed =
      outcome.duplicates === 0 &&
      outcome.gaps === 0 &&
      outcome.lost === 0 &&
      outcome.wrong === 0 &&
      outcome.invalid === 0 &&
      outcome.attestations + outcome.deadLetters + outcome.redeliveries === total &&
      checksumEqual &&
      auditOk &&
      (replayVerify === 'skipped' || replayVerify.startsWith('ok'));
    return {
      ...base,
      rebalances: watch.rebalances,
      crashes: fleet.crashes.length,
      checksumEqual,
      logVerify: auditOk ? 'ok' : `FAILED (exit ${audit.code})`,
      replayVerify,
      cleanShutdowns,
      elapsedSeconds: (Date.now() - started) / 1000,
      passed,
      problems,
    };
  } finally {
    await watch.stop();
    await fleet.close();
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await ledger.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
    await infra.stop();
    if (passed) await rm(dir, { recursive: true, force: true });
  }
}
