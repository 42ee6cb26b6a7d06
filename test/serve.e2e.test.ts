import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Producer } from 'kafkajs';
import { readAttestationsOnce, readDeadLettersOnce, waitUntil } from '@lineage/testkit/kafka';
import { encodeIntent, intent, sendRaw } from './kit/intents.js';
import { createTestLedger } from './kit/ledger.js';
import type { TestLedger } from './kit/ledger.js';
import {
  REPO,
  buildCli,
  metricSum,
  promtoolCheck,
  startServe,
  writeServeConfig,
} from './kit/serve.js';
import type { Served } from './kit/serve.js';

// `lineage serve` from the compiled build (`pnpm build`, plain node) on the real broker and Postgres.
let ledger: TestLedger;
let config: string;
let producer: Producer;
let served: Served | undefined;

beforeAll(async () => {
  buildCli();
  ledger = await createTestLedger(inject('brokers'), { partitions: 3 });
  config = await writeServeConfig(ledger, inject('databaseUrl'));
  producer = ledger.kafka.producer({ idempotent: true });
  await producer.connect();
});

afterAll(async () => {
  served?.child.kill('SIGKILL');
  await producer?.disconnect();
  await ledger?.close();
});

/** Publishes `n` root intents (one record each, keyed by execution id); the intents topic also gets any `bad` records. */
async function publish(n: number, tag: string, bad = 0): Promise<void> {
  const agent = ledger.agentKeys[0]!;
  const records: { key: string; value: Buffer }[] = Array.from({ length: n }, (_, i) => {
    const it = intent(agent.signer, { action: 'read.item', resource: `${tag}/${i}` });
    return { key: it.body.execution_id, value: encodeIntent(it.body.execution_id, it.envelope) };
  });
  for (let i = 0; i < bad; i++)
    records.push({ key: `${tag}-bad-${i}`, value: Buffer.from('junk') });
  await sendRaw(producer, ledger.topics.intents, records);
}

async function scrape(url: string, path = '/metrics'): Promise<{ status: number; text: string }> {
  const res = await fetch(`${url}${path}`);
  return { status: res.status, text: await res.text() };
}

describe('lineage serve', () => {
  it('runs every role from one settings file; each answers /healthz, /readyz and /metrics that promtool accepts', async () => {
    served = await startServe(config);
    expect([...served.urls.keys()].sort()).toEqual([
      'checkpointer',
      'governance',
      'projector',
      'query-api',
    ]);
    let exposed = '';
    for (const [role, url] of served.urls) {
      expect((await scrape(url, '/healthz')).status, role).toBe(200);
      await waitUntil(async () => (await scrape(url, '/readyz')).status === 200, 60_000, role);
      const metrics = await scrape(url);
      expect(metrics.status, role).toBe(200);
      expect(promtoolCheck(metrics.text), role).toEqual({ status: 0, output: '' });
      exposed += metrics.text;
    }
    // Every series the Grafana dashboard in the repository plots is one the services expose.
    const dashboard = await readFile(
      join(REPO, 'infra/observability/grafana-dashboard.json'),
      'utf8',
    );
    const plotted = new Set(
      [...dashboard.matchAll(/lineage_[a-z_]+/g)].map((m) =>
        m[0].replace(/_(bucket|count|sum)$/, ''),
      ),
    );
    for (const name of plotted) expect(exposed, name).toContain(`# HELP ${name} `);
  });

  it('moves lineage_governance_decisions_total by exactly the intents decided', async () => {
    const governance = served!.urls.get('governance')!;
    const decided = async () =>
      metricSum((await scrape(governance)).text, 'lineage_governance_decisions_total');
    const before = await decided();
    await publish(25, 'counted', 2);
    await waitUntil(async () => (await decided()) >= before + 25, 60_000, '25 decisions');
    const text = (await scrape(governance)).text;
    expect(metricSum(text, 'lineage_governance_decisions_total')).toBe(before + 25);
    expect(metricSum(text, 'lineage_governance_dead_letters_total')).toBe(2);
    expect(text).toMatch(
      /lineage_governance_decisions_total\{kind="decision",decision="allow",reason="none"\} \d+/,
    );
    // Transactions by outcome, each exposed: these batches committed, none aborted or was fenced.
    const transactions = (outcome: string) =>
      new RegExp(
        `^lineage_governance_transactions_total\\{outcome="${outcome}"\\} (\\d+)$`,
        'm',
      ).exec(text)?.[1];
    expect(Number(transactions('committed'))).toBeGreaterThan(0);
    expect([transactions('aborted'), transactions('fenced')]).toEqual(['0', '0']);
    expect(promtoolCheck(text).status).toBe(0);
  });

  it('drains on SIGTERM mid-stream: after a restart, intents in = attestations + dead letters, none twice', async () => {
    // A stream of batches; SIGTERM lands while batches are being decided.
    const total = { intents: 25, bad: 2 };
    const stream = (async () => {
      for (let b = 0; b < 30; b++) {
        await publish(20, `stream-${b}`, b % 10 === 0 ? 1 : 0);
        total.intents += 20;
        total.bad += b % 10 === 0 ? 1 : 0;
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 600));
    const publishedAtSignal = total.intents;
    expect(await served!.terminate()).toBe(0);
    expect(served!.output()).toMatch(/"msg":"governance stopped"/);
    await stream;
    // The signal came while intents were still arriving.
    expect(publishedAtSignal).toBeLessThan(total.intents);
    served = await startServe(config);
    await waitUntil(
      async () => (await readAttestationsOnce(ledger.kafka, ledger.topics)).length >= total.intents,
      120_000,
      'every intent attested after the restart',
    );
    const attestations = await readAttestationsOnce(ledger.kafka, ledger.topics);
    const deadLetters = await readDeadLettersOnce(ledger.kafka, ledger.topics);
    const ids = new Set(attestations.map((a) => a.predicate.execution_id));
    expect(attestations.length).toBe(total.intents);
    expect(ids.size).toBe(total.intents);
    expect(deadLetters.length).toBe(total.bad);
    expect(await served.terminate()).toBe(0);
    served = undefined;
  });
});
