import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { Admin, Kafka } from 'kafkajs';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startPostgresServer } from '@lineage/infra';
import type { PostgresServer } from '@lineage/infra';
import { createKafka, ensureTopics, topicNames } from '@lineage/kafka';
import { generateKeyPair } from '@lineage/keys';
import { createPool, readOffsets } from '@lineage/store';
import { LedgerBuilder, randomDag } from '@lineage/testkit';
import { appendLedger } from '@lineage/testkit/kafka';
import { expectExactlyOnceAndRebuildable, projectorCommand } from './testkit.js';
import type { World } from './testkit.js';

// Given a ledger of a few thousand signed attestations being appended, when projector processes are
// killed with SIGKILL mid-stream (successors take over their partitions) and the Postgres server is
// crashed (immediate shutdown) and restarted while batches are in flight, then every attestation is
// projected exactly once, the projectors alive during the crash never exit, and the tables equal a
// rebuild from offset 0.

const PORT = 25444;
const PARTITIONS = 3;
const SESSION_TIMEOUT_MS = 6_000;
const keys = generateKeyPair();
const random = () => randomBytes(6).toString('hex');

let server: PostgresServer;
let pool: Pool;
let kafka: Kafka;
let admin: Admin;
const children = new Set<Child>();

interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  output(): string;
}

beforeAll(async () => {
  server = await startPostgresServer({ port: PORT, fresh: true });
  pool = createPool(server.url(), { max: 4 });
  kafka = createKafka({ brokers: inject('brokers'), clientId: 'projector-faults-int' });
  admin = kafka.admin();
  await admin.connect();
});

afterAll(async () => {
  await Promise.all([...children].map((c) => kill(c, 'SIGKILL')));
  await admin?.disconnect();
  await pool?.end();
  await server?.stop();
});

function spawnProjector(name: string, w: World): Child {
  const child = spawn(
    process.execPath,
    projectorCommand(inject('brokers'), server.url(), w, PARTITIONS, [
      '--session-timeout',
      String(SESSION_TIMEOUT_MS),
    ]),
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let tail = '';
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString('utf8')).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const handle: Child = { name, process: child, output: () => tail };
  children.add(handle);
  child.on('exit', () => children.delete(handle));
  return handle;
}

async function kill(child: Child, signal: NodeJS.Signals): Promise<number | null> {
  const p = child.process;
  if (p.exitCode === null && p.signalCode === null) {
    const exited = once(p, 'exit');
    process.kill(-p.pid!, signal);
    await exited;
  }
  return p.exitCode;
}

function alive(child: Child): boolean {
  return child.process.exitCode === null && child.process.signalCode === null;
}

async function rowCount(schema: string): Promise<number> {
  const { rows } = await pool
    .query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".executions`)
    .catch(() => ({ rows: [{ n: 0 }] }));
  return rows[0]!.n;
}

async function until(what: string, ready: () => Promise<boolean>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function caughtUp(w: World): Promise<boolean> {
  const end = await admin.fetchTopicOffsets(w.topics.attestations);
  const stored = await readOffsets(pool, w.schema, w.groupId, w.topics.attestations).catch(
    () => new Map<number, bigint>(),
  );
  return end.every((o) => (stored.get(o.partition) ?? 0n) === BigInt(o.high));
}

describe('projector faults', () => {
  it('SIGKILLs and a Postgres crash mid-batch: every attestation projected once, tables equal a rebuild', async () => {
    const w: World = {
      schema: `f_${random()}`,
      topics: topicNames(`f-${random()}-`),
      groupId: `projector-${random()}`,
    };
    await ensureTopics(kafka, w.topics, { partitions: PARTITIONS });
    const ledger = randomDag(new LedgerBuilder(keys.signer), 3_000, 61);
    const total = ledger.length;

    const a = spawnProjector('a', w);
    const b = spawnProjector('b', w);
    const appending = appendLedger(kafka, w.topics.attestations, ledger, 15, 60);
    let kills = 0;

    // First kill: as soon as rows appear.
    await until('rows appear', async () => (await rowCount(w.schema)) > 0, 60_000);
    expect(alive(a)).toBe(true);
    await kill(a, 'SIGKILL');
    kills++;
    const c = spawnProjector('c', w);

    // Postgres crashes while batches are in flight: rows are being written and more are coming.
    await until(
      'a third is projected',
      async () => (await rowCount(w.schema)) >= total / 3,
      60_000,
    );
    const atCrash = await rowCount(w.schema);
    expect(atCrash).toBeLessThan(total);
    const survivors = [b, c];
    for (const p of survivors) expect(alive(p), p.output()).toBe(true);
    await server.restart('immediate');

    // Second kill, after the restart: the projector that lived through it hands over to a successor.
    await until(
      'rows grow after the restart',
      async () => (await rowCount(w.schema)) > atCrash + 150,
      60_000,
    );
    expect(alive(b), b.output()).toBe(true);
    await kill(b, 'SIGKILL');
    kills++;
    const d = spawnProjector('d', w);

    await appending;
    for (const p of [c, d]) {
      await until(
        `${p.name} has started`,
        async () => p.output().includes('"msg":"projector started"'),
        60_000,
      ).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${p.output()}`);
      });
    }
    await until('the projection reaches the topic end', () => caughtUp(w), 90_000);

    // The survivor of the crash never exited; both running projectors stop cleanly.
    expect(alive(c), c.output()).toBe(true);
    expect(alive(d), d.output()).toBe(true);
    // The survivors saw their connections cut (a projector the group left without partitions may hold
    // none at the crash); batches that failed mid-transaction were retried.
    const lost = survivors.filter((p) => p.output().includes('"msg":"postgres connection lost"'));
    const failedBatches = survivors
      .map((p) => p.output().split('Error when calling eachBatch').length - 1)
      .reduce((n, k) => n + k, 0);
    expect(await kill(c, 'SIGTERM')).toBe(0);
    expect(await kill(d, 'SIGTERM')).toBe(0);
    expect(kills).toBe(2);
    expect(lost.length).toBeGreaterThanOrEqual(1);

    const { live } = await expectExactlyOnceAndRebuildable(kafka, pool, w, total);
    const expectedEdges = ledger.reduce((n, att) => n + att.parentRefs.length, 0);
    expect(live.lineage_edges.rows).toBe(expectedEdges);
    console.log(
      `projector faults: ${total} attestations, ${kills} SIGKILLs, Postgres crashed at ${atCrash} rows (${failedBatches} batches failed and were retried); ${live.executions.rows} rows, rebuild checksum equal`,
    );
  });
});
