// The witness (c2sp.org/tlog-witness add-checkpoint): HTTP answers per the spec, one cosignature
// per consistent checkpoint, never two inconsistent ones for an origin — also across a SIGKILL after
// persisting and before answering, and under concurrent forks.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  TLOG_SIZE_CONTENT_TYPE,
  checkpointOrigin,
  consistencyProof,
  formatAddCheckpoint,
  merkleRoot,
  nobleEd25519,
  signLedgerCheckpoint,
  toBase64,
  verifyConsistency,
  verifyCosignature,
  parseCheckpoint,
  parseSignedNote,
} from '@lineage/protocol';
import { labelledKey } from '@lineage/testkit';
import { Witness, originHash, serveWitness } from '@lineage/witness';
import { killAllServices, spawnService } from './kit/process.js';
import type { ServiceProcess } from './kit/process.js';

const log = labelledKey('witness test log');
const rogue = labelledKey('witness test rogue');
const witnessKey = labelledKey('witness test witness');
const NAME = 'witness.lineage.test/w1';
const origin = checkpointOrigin('wt.attestations.v1', 0);
const honest = Array.from({ length: 40 }, (_, i) => new TextEncoder().encode(`honest ${i}`));
const forked = [
  ...honest.slice(0, 10),
  ...Array.from({ length: 30 }, (_, i) => new TextEncoder().encode(`fork ${i}`)),
];
const T = 1_760_000_000;

// The log-signed checkpoint of the first `size` leaves of `leaves`.
function note(leaves: Uint8Array[], size: number, key = log): string {
  return signLedgerCheckpoint({ origin, size, root: merkleRoot(leaves.slice(0, size)) }, key, T);
}

function request(leaves: Uint8Array[], old: number, size: number, key = log): string {
  const proof = old === 0 || old >= size ? [] : consistencyProof(leaves, old, size);
  return formatAddCheckpoint({ oldSize: old, proof, note: note(leaves, size, key) });
}

async function post(
  url: string,
  body: string,
): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`${url}/add-checkpoint`, { method: 'POST', body });
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: await res.text(),
  };
}

// Every cosigned checkpoint must be consistent with every other: they are prefixes of one tree.
function allConsistent(cosigned: { size: number; leaves: Uint8Array[] }[]): boolean {
  const sorted = [...cosigned].sort((a, b) => a.size - b.size);
  return sorted.every((a, i) => {
    const b = sorted[i + 1];
    if (b === undefined) return true;
    const ra = merkleRoot(a.leaves.slice(0, a.size));
    const rb = merkleRoot(b.leaves.slice(0, b.size));
    if (a.size === b.size) return toBase64(ra) === toBase64(rb);
    return verifyConsistency(a.size, b.size, consistencyProof(b.leaves, a.size, b.size), ra, rb);
  });
}

async function witnessIn(stateDir: string) {
  const witness = new Witness({
    name: NAME,
    key: witnessKey,
    logKeys: (o) => (o === origin ? [log.publicKey] : null),
    ed25519: nobleEd25519,
    stateDir,
    now: () => T + 1,
  });
  await witness.open();
  return serveWitness(witness);
}

afterAll(killAllServices);

describe('witness add-checkpoint', () => {
  it('answers per tlog-witness: 404, 403, 400, 409 with its size, 422, and 200 with a cosignature/v1', async () => {
    const served = await witnessIn(await mkdtemp(join(tmpdir(), 'lineage-witness-')));
    try {
      const other = signLedgerCheckpoint(
        { origin: `${origin}9`, size: 1, root: merkleRoot(honest.slice(0, 1)) },
        log,
        T,
      );
      expect(
        (await post(served.url, formatAddCheckpoint({ oldSize: 0, proof: [], note: other })))
          .status,
      ).toBe(404);
      expect((await post(served.url, request(honest, 0, 5, rogue))).status).toBe(403);
      expect((await post(served.url, 'old 01\n\n' + note(honest, 5))).status).toBe(400);
      expect((await post(served.url, request(honest, 6, 5))).status).toBe(400);
      const first = await post(served.url, request(honest, 0, 5));
      expect(first.status).toBe(200);
      const cosigned = note(honest, 5) + first.body;
      expect(
        verifyCosignature(cosigned, {
          name: NAME,
          publicKey: witnessKey.publicKey,
          ed25519: nobleEd25519,
        }),
      ).toBe(T + 1);
      const behind = await post(served.url, request(honest, 0, 8));
      expect(behind).toMatchObject({ status: 409, type: TLOG_SIZE_CONTENT_TYPE, body: '5\n' });
      // A fork of the first 10 leaves is consistent with size 5; from there it cannot be proven.
      expect((await post(served.url, request(forked, 5, 12))).status).toBe(200);
      expect((await post(served.url, request(honest, 12, 20))).status).toBe(422);
      expect((await post(served.url, request(honest, 12, 12))).status).toBe(422);
      // Monitors read the latest cosigned note.
      const hash = originHash(origin);
      const latest = await fetch(`${served.url}/${hash}/checkpoint`);
      expect(parseCheckpoint(parseSignedNote(await latest.text()).text).size).toBe(12);
    } finally {
      await served.close();
    }
  });

  it('cosigns exactly one of two concurrent forks from the same size', async () => {
    const served = await witnessIn(await mkdtemp(join(tmpdir(), 'lineage-witness-')));
    try {
      expect((await post(served.url, request(honest, 0, 10))).status).toBe(200);
      const answers = await Promise.all([
        post(served.url, request(honest, 10, 30)),
        post(served.url, request(forked, 10, 30)),
      ]);
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    } finally {
      await served.close();
    }
  });
});

describe('witness killed between persisting and answering', () => {
  const start = (
    stateDir: string,
    killOnPersist: number | null,
  ): Promise<{ p: ServiceProcess; url: string }> => {
    const env = {
      LINEAGE_TEST_WITNESS: JSON.stringify({
        stateDir,
        seed: Buffer.from(witnessKey.seed).toString('hex'),
        name: NAME,
        origin,
        logKey: toBase64(log.publicKey),
        killOnPersist,
      }),
    };
    const p = spawnService('witness', 'test/kit/witness-process.ts', [], env);
    return new Promise((resolve, reject) => {
      p.child.stdout!.on('data', (c: Buffer) => {
        const m = /listening (\S+)/.exec(c.toString('utf8'));
        if (m) resolve({ p, url: m[1]! });
      });
      void p.exited.then(() => reject(new Error(`witness exited: ${p.output()}`)));
    });
  };

  it('keeps the persisted size after SIGKILL and never cosigns a fork of it', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'lineage-witness-kill-'));
    const cosigned: { size: number; leaves: Uint8Array[] }[] = [];
    const first = await start(stateDir, 2);
    expect((await post(first.url, request(honest, 0, 10))).status).toBe(200);
    cosigned.push({ size: 10, leaves: honest });
    // The second state is persisted, then the witness dies before it answers.
    await expect(post(first.url, request(honest, 10, 25))).rejects.toThrow();
    expect((await first.p.exited).signal).toBe('SIGKILL');
    const second = await start(stateDir, null);
    // It comes back at size 25: the client that saw no answer learns the size from a 409.
    expect(await post(second.url, request(honest, 10, 20))).toMatchObject({
      status: 409,
      body: '25\n',
    });
    // A rogue operator's fork is refused from every starting size.
    for (const old of [0, 10, 25]) {
      const answer = await post(second.url, request(forked, old, 30));
      expect([409, 422]).toContain(answer.status);
    }
    expect((await post(second.url, request(forked, 25, 25))).status).toBe(422);
    // The honest log continues from 25.
    for (const [old, size] of [
      [25, 25],
      [25, 40],
    ] as const) {
      expect((await post(second.url, request(honest, old, size))).status).toBe(200);
      cosigned.push({ size, leaves: honest });
    }
    expect(allConsistent(cosigned)).toBe(true);
  });
});
