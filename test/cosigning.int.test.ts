// The checkpointer asks witnesses to cosign each checkpoint it published and publishes the
// cosigned note; a witness that is down or hangs delays cosigning, never a checkpoint.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCheckpointer } from '@lineage/checkpointer';
import type { CheckpointerService } from '@lineage/checkpointer';
import { nodeEd25519 } from '@lineage/keys';
import { generateKeyPair } from '@lineage/keys';
import { nobleEd25519, verifyCosignature, verifyLedgerCheckpoint } from '@lineage/protocol';
import { waitUntil } from '@lineage/testkit/kafka';
import type { WitnessServer } from '@lineage/witness';
import { createTestLedger } from './kit/ledger.js';
import { serveLedgerWitness } from './kit/witness.js';
import type { TestLedger } from './kit/ledger.js';
import { readLedgerCopy } from './kit/tamper.js';

const NAME = 'witness.lineage.test/cosigning';

describe('the checkpointer asks witnesses', () => {
  let ledger: TestLedger;
  let witness: WitnessServer;
  let checkpointer: CheckpointerService;
  const hung = createServer(() => undefined);
  const witnessKey = generateKeyPair();

  beforeAll(async () => {
    ledger = await createTestLedger(inject('brokers'), { partitions: 2 });
    await ledger.startGovernance();
    witness = await serveLedgerWitness(ledger, NAME, witnessKey);
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const hungUrl = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
    checkpointer = await startCheckpointer({
      kafka: ledger.kafka,
      topics: ledger.topics,
      key: ledger.governanceKey,
      ed25519: nodeEd25519(),
      every: 1,
      intervalMs: 500,
      partitions: 2,
      // A live witness, one that refuses connections and one that never answers.
      witnesses: [witness.url, 'http://127.0.0.1:9', hungUrl],
    });
  });

  afterAll(async () => {
    await checkpointer?.stop();
    await witness?.close();
    hung.closeAllConnections();
    hung.close();
    await ledger?.close();
  });

  it('publishes each checkpoint at once, then again with the live witness cosignature', async () => {
    const agent = await ledger.agent(0);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        agent.publishIntent({ action: 'read.doc', resource: `docs/${i}` }),
      ),
    );
    // Checkpoints of all 8 do not wait for the hung witness's 5 s timeout per round.
    await waitUntil(
      () => Object.values(checkpointer.stats.checkpointed).reduce((a, b) => a + b, 0) >= 8,
      60_000,
      'checkpoints of 8 attestations',
    );
    const checkpointedIn = Date.now() - started;
    await waitUntil(() => checkpointer.stats.cosigned > 0, 60_000, 'a cosigned checkpoint');
    const { checkpoints } = await readLedgerCopy(ledger.kafka, ledger.topics);
    const notes = checkpoints.map((c) => ({
      p: Number(c.key!.toString()),
      note: c.value!.toString(),
    }));
    const key = { name: NAME, publicKey: witnessKey.publicKey, ed25519: nobleEd25519 };
    const cosigned = notes.filter(({ note }) => note.includes(`\u2014 ${NAME} `));
    expect(cosigned.length).toBeGreaterThan(0);
    for (const { p, note } of cosigned) {
      // The log's signature still verifies, under rule 2, and the witness's cosignature too.
      const cp = verifyLedgerCheckpoint(note, ledger.topics.attestations, p, {
        trust: ledger.trust,
        ed25519: nobleEd25519,
      });
      expect(cp.rule).toBe(2);
      expect(verifyCosignature(note, key)).toBeGreaterThan(0);
    }
    expect(checkpointedIn).toBeLessThan(30_000);
  });
});
