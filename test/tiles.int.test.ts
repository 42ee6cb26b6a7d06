// The query API serves each attestation partition as a C2SP tlog-tiles log. A client that knows
// only the spec rebuilds every partition's tree from the tiles over HTTP — from a real projection of
// a ledger written by governance, checkpointed by the checkpointer and cosigned by a witness — and
// gets the topic's entries and the signed checkpoint's root. Bundles exported with a pinned earlier
// checkpoint prove consistency with it; a pin from a fork fails CONSISTENCY_PROOF_INVALID.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startCheckpointer } from '@lineage/checkpointer';
import type { CheckpointerService } from '@lineage/checkpointer';
import { generateKeyPair, nodeEd25519, writeTrustStore } from '@lineage/keys';
import {
  TILE_WIDTH,
  bytesEqual,
  decodeEntryBundle,
  formatTilePath,
  leafHash,
  merkleRootOfHashes,
  nobleEd25519,
  parseCheckpoint,
  parseSignedNote,
  tileHashes,
  tilesOfLevel,
  toBase64,
  verifyBundle,
  verifyCosignature,
  verifyLedgerCheckpoint,
} from '@lineage/protocol';
import type { EvidenceBundle, TilePath } from '@lineage/protocol';
import type { Projector } from '@lineage/projector';
import { createQueryApi, createToken } from '@lineage/query-api';
import { attestationCodec } from '@lineage/schemas';
import { createPool } from '@lineage/store';
import { waitUntil } from '@lineage/testkit/kafka';
import type { WitnessServer } from '@lineage/witness';
import { runLineage } from './kit/cli.js';
import { buildGoVerifier, runGoVerifier } from './kit/goref.js';
import type { GoInput } from './kit/goref.js';
import { createTestLedger } from './kit/ledger.js';
import { projectLedger } from './kit/replay.js';
import { serveLedgerWitness } from './kit/witness.js';
import type { TestLedger } from './kit/ledger.js';
import { readLedgerCopy, signedCheckpoint } from './kit/tamper.js';

const WITNESS = 'witness.lineage.test/tiles';
// Enough for a full level-0 tile (and so a level-1 tile) in at least one of the two partitions.
const INTENTS = 600;

describe('tlog-tiles over the query API, and pinned consistency proofs in bundles', () => {
  let ledger: TestLedger;
  let witness: WitnessServer;
  let checkpointer: CheckpointerService;
  let projector: Projector;
  let pool: Pool;
  let api: ReturnType<typeof createQueryApi>;
  let base: string;
  let token: string;
  let exporter: string;
  const schema = `tiles_${randomUUID().slice(0, 8)}`;
  const witnessKey = generateKeyPair();
  /** Each partition's DSSE payloads in topic order, and every checkpoint note published. */
  const payloads = new Map<number, Buffer[]>();
  let notes: { partition: number; note: string }[] = [];
  let executionIds: string[] = [];
  /** Each partition's served tree head, as the rebuild read it. */
  const roots = new Map<number, { size: number; root: string }>();

  beforeAll(async () => {
    ledger = await createTestLedger(inject('brokers'), { partitions: 2 });
    await ledger.startGovernance();
    witness = await serveLedgerWitness(ledger, WITNESS, witnessKey);
    checkpointer = await startCheckpointer({
      kafka: ledger.kafka,
      topics: ledger.topics,
      key: ledger.governanceKey,
      ed25519: nodeEd25519(),
      every: 100,
      intervalMs: 500,
      partitions: 2,
      witnesses: [witness.url],
    });
    pool = createPool(inject('databaseUrl'));
    projector = await projectLedger(ledger, pool, schema, 'tiles');
    const pepper = randomBytes(32);
    api = createQueryApi({
      pool,
      schema,
      pepper,
      bundleSources: () => ({ keys: ledger.trustDocument.keys, policies: [] }),
    });
    await api.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
    token = (await createToken(pool, schema, { name: 'reader', scopes: ['read'], pepper })).token;
    exporter = (await createToken(pool, schema, { name: 'exporter', scopes: ['export'], pepper }))
      .token;

    const agent = await ledger.agent(0);
    const received = await Promise.all(
      Array.from({ length: INTENTS }, (_, i) =>
        agent.publishIntent({ action: 'read.doc', resource: `docs/${i}` }),
      ),
    );
    executionIds = received.map((r) => r.verified.predicate.execution_id);
    const sum = (r: Record<number, number>) => Object.values(r).reduce((a, b) => a + b, 0);
    await waitUntil(() => sum(checkpointer.stats.checkpointed) >= INTENTS, 120_000, 'checkpoints');
    // Every partition's last checkpoint cosigned and projected, with every attestation.
    await waitUntil(
      async () => {
        const { rows } = await pool.query<{ n: string; cosigned: string }>(
          `SELECT (SELECT count(*) FROM ${schema}.executions) AS n,
                  (SELECT count(DISTINCT attestation_partition) FROM ${schema}.checkpoints c
                   WHERE c.note LIKE '%${WITNESS}%' AND c.size = (SELECT max(size) FROM
                   ${schema}.checkpoints d WHERE d.attestation_partition = c.attestation_partition))
                   AS cosigned`,
        );
        return Number(rows[0]!.n) >= INTENTS && Number(rows[0]!.cosigned) === 2;
      },
      120_000,
      'the projection of every attestation and of the cosigned checkpoints',
    );
    const copy = await readLedgerCopy(ledger.kafka, ledger.topics);
    for (const [p, records] of copy.partitions)
      payloads.set(
        p,
        records.map((r) => Buffer.from(attestationCodec.decode(r.value!).envelope.payload)),
      );
    notes = copy.checkpoints.map((c) => ({
      partition: Number(c.key!.toString()),
      note: c.value!.toString(),
    }));
  }, 300_000);

  afterAll(async () => {
    await api?.close();
    await projector?.stop();
    await checkpointer?.stop();
    await witness?.close();
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool?.end();
    await ledger?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${base}/v1/log/${path}`, { headers });
  const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());

  /** Every hash tile fetched, per partition, by its path after `tile/` (for the Go reference). */
  const fetched = new Map<number, Record<string, string>>();

  /** A hash tile or entry bundle, checked for status, type and caching. */
  async function tile(partition: number, t: TilePath): Promise<Uint8Array> {
    const headers: Record<string, string> =
      t.level === 'entries' ? { authorization: `Bearer ${token}`, 'accept-encoding': 'gzip' } : {};
    const res = await get(`${partition}/tile/${formatTilePath(t)}`, headers);
    expect(res.status, formatTilePath(t)).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const cache = res.headers.get('cache-control')!;
    expect(cache).toContain(t.width === TILE_WIDTH ? 'immutable' : 'max-age=60');
    expect(cache).toContain(t.level === 'entries' ? 'private' : 'public');
    if (t.level === 'entries') expect(res.headers.get('content-encoding')).toBe('gzip');
    const bytes = await bytesOf(res);
    if (t.level !== 'entries') {
      const tiles = fetched.get(partition) ?? {};
      tiles[formatTilePath(t)] = toBase64(bytes);
      fetched.set(partition, tiles);
    }
    return bytes;
  }

  it('rebuilds every partition from its tiles: the topic entries and the signed root', async () => {
    expect(Math.max(...[...payloads.values()].map((p) => p.length))).toBeGreaterThan(TILE_WIDTH);
    for (const [partition, entries] of payloads) {
      // The checkpoint: public, short-lived, the largest published, with the witness cosignature.
      const res = await get(`${partition}/checkpoint`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(res.headers.get('cache-control')).toBe('public, max-age=5');
      const note = await res.text();
      const published = notes.filter((n) => n.partition === partition).map((n) => n.note);
      expect(published).toContain(note);
      const sizes = published.map((n) => parseCheckpoint(parseSignedNote(n).text).size);
      const checkpoint = verifyLedgerCheckpoint(note, ledger.topics.attestations, partition, {
        trust: ledger.trust,
        ed25519: nobleEd25519,
      });
      expect(checkpoint.size).toBe(Math.max(...sizes));
      expect(checkpoint.size).toBe(entries.length);
      const cosigner = { name: WITNESS, publicKey: witnessKey.publicKey, ed25519: nobleEd25519 };
      expect(verifyCosignature(note, cosigner)).toBeGreaterThan(0);

      // Level 0 and the entry bundles: each entry hashes to its leaf, in topic order.
      const leaves: Uint8Array[] = [];
      for (const t of tilesOfLevel(checkpoint.size, 0)) {
        const hashes = tileHashes(await tile(partition, t));
        const bundled = decodeEntryBundle(await tile(partition, { ...t, level: 'entries' }));
        expect(hashes.length).toBe(t.width);
        bundled.forEach((e, i) => {
          expect(Buffer.from(e).equals(entries[t.index * TILE_WIDTH + i]!)).toBe(true);
          expect(bytesEqual(leafHash(e), hashes[i]!)).toBe(true);
        });
        leaves.push(...hashes);
      }
      expect(leaves.length).toBe(entries.length);
      expect(toBase64(merkleRootOfHashes(leaves))).toBe(toBase64(checkpoint.root));
      // Level 1: each hash is the root of one full level-0 tile.
      for (const t of tilesOfLevel(checkpoint.size, 1)) {
        const hashes = tileHashes(await tile(partition, t));
        hashes.forEach((h, i) => {
          const full = leaves.slice(
            (t.index * TILE_WIDTH + i) * 256,
            (t.index * TILE_WIDTH + i + 1) * 256,
          );
          expect(bytesEqual(h, merkleRootOfHashes(full))).toBe(true);
        });
      }
      roots.set(partition, { size: checkpoint.size, root: toBase64(checkpoint.root) });
    }
  });

  it('the Go reference (sumdb/tlog TileHashReader) reads the same trees from the tiles', async () => {
    const binary = await buildGoVerifier();
    const input = (): GoInput => ({
      notes: [],
      inclusion: [],
      consistency: [],
      tiled: [...payloads].map(([partition, entries]) => ({
        ...roots.get(partition)!,
        tiles: { ...fetched.get(partition)! },
        entries: entries.map((e) => toBase64(e)),
      })),
    });
    const ok = await runGoVerifier(binary, input());
    expect(ok.out).toBe(
      `ok: 0 notes, 0 inclusion proofs, 0 consistency proofs, 2 tiled logs (${INTENTS} entries)`,
    );
    expect(ok.code).toBe(0);
    // One flipped bit in a served tile: Go refuses the tree.
    const bad = input();
    const [path, data] = Object.entries(bad.tiled![0]!.tiles)[0]!;
    const bytes = Buffer.from(data, 'base64');
    bytes[5] = bytes[5]! ^ 1;
    bad.tiled![0]!.tiles[path] = bytes.toString('base64');
    expect((await runGoVerifier(binary, bad)).code).toBe(1);
  });

  it('answers hostile or out-of-tree paths 400 or 404, never 500; entries need a read token', async () => {
    const size = payloads.get(0)!.length;
    const statusOf = async (path: string, headers?: Record<string, string>) =>
      (await get(path, headers)).status;
    for (const bad of [
      '0/tile/00/000',
      '0/tile/0/1',
      '0/tile/0/x000/001',
      '0/tile/0/000.p/0',
      '0/tile/0/000.p/256',
      '0/tile/64/000',
      '0/tile/0/x999/x999/x999/x999/x999/x999/999',
      '0/tile/entries/../000',
      '0/tile/0/000.p/1/extra',
      `0/tile/0/${'x123/'.repeat(20)}000`,
      '01/checkpoint',
      '-1/checkpoint',
      '1e1/checkpoint',
      '99999999999/checkpoint',
    ])
      expect(await statusOf(bad), bad).toBe(400);
    // Tiles past the served tree, levels above it, partitions without a log.
    const past = formatTilePath({ level: 0, index: Math.floor(size / TILE_WIDTH) + 1, width: 1 });
    for (const missing of [`0/tile/${past}`, '0/tile/7/000.p/1', '0/tile/9/000', '7/checkpoint'])
      expect(await statusOf(missing), missing).toBe(404);
    // A partial tile wider than the tree's last one.
    const last = tilesOfLevel(size, 0).at(-1)!;
    if (last.width < TILE_WIDTH - 1)
      expect(await statusOf(`0/tile/${formatTilePath({ ...last, width: last.width + 1 })}`)).toBe(
        404,
      );
    // Entry bundles are the attestations: a read token, like every lineage query.
    expect(await statusOf('0/tile/entries/000.p/1')).toBe(401);
    expect(await statusOf('0/tile/entries/000.p/1', { authorization: `Bearer ${exporter}` })).toBe(
      403,
    );
    const post = await fetch(`${base}/v1/log/0/checkpoint`, { method: 'POST' });
    expect(post.status).toBe(405);
    // The OpenAPI document declares them.
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/v1/log/'))).toHaveLength(3);
  });

  it('exports bundles proving consistency with a pinned checkpoint; a forked pin fails', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lineage-pin-'));
    const target = executionIds.at(-1)!;
    const bundleOf = async (pin: string) => {
      const res = await fetch(`${base}/v1/executions/${target}/bundle?pin=${pin}`, {
        headers: { authorization: `Bearer ${exporter}` },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as EvidenceBundle;
    };
    const partition = (await bundleOf('0:1')).proofs![0]!.partition;
    // The earliest checkpoint of that partition, as an auditor kept it.
    const pinned = notes.find((n) => n.partition === partition)!.note;
    const pinnedSize = parseCheckpoint(parseSignedNote(pinned).text).size;
    const bundle = await bundleOf(`${partition}:${pinnedSize}`);
    expect(bundle.consistency!.length).toBeGreaterThan(0);
    const verify = (b: unknown, pins: string[]) => {
      try {
        return verifyBundle(b, { ed25519: nobleEd25519, trust: ledger.trust, pins }).pinned;
      } catch (e) {
        return (e as { code: string }).code;
      }
    };
    expect(verify(bundle, [pinned])).toEqual([partition]);
    // A checkpoint of the same size the key holder signed over a fork.
    const forked = signedCheckpoint(
      ledger.topics.attestations,
      partition,
      { size: pinnedSize, root: randomBytes(32) },
      ledger.governanceKey,
    ).value!.toString();
    expect(verify(bundle, [forked])).toBe('CONSISTENCY_PROOF_INVALID');
    const tampered = structuredClone(bundle);
    const hashes = tampered.consistency![0]!.hashes;
    hashes[0] = toBase64(randomBytes(32));
    expect(verify(tampered, [pinned])).toBe('CONSISTENCY_PROOF_INVALID');

    // The CLI: lineage export --pin writes the proofs, lineage verify --pin checks them (exit 0),
    // and fails a forked pin or a tampered proof (exit 1 with the code).
    await writeFile(join(dir, 'tampered.json'), JSON.stringify(tampered));
    await writeFile(join(dir, 'pinned.note'), pinned);
    await writeFile(join(dir, 'forked.note'), forked);
    await writeTrustStore(join(dir, 'truststore.json'), ledger.trustDocument);
    const lineage = (...args: string[]) => runLineage(inject('brokers'), args);
    process.env.DATABASE_URL = inject('databaseUrl');
    const exported = await lineage(
      ...['export', target, '--out', join(dir, 'bundle.json'), '--schema', schema],
      ...['--trust', join(dir, 'truststore.json'), '--pin', join(dir, 'pinned.note')],
    ).finally(() => delete process.env.DATABASE_URL);
    expect(exported.code, exported.out).toBe(0);
    expect(exported.out).toContain(', 1 consistency proofs');
    const cli = (file: string, pin: string) =>
      lineage(
        ...['verify', join(dir, file), '--trust', join(dir, 'truststore.json')],
        ...['--pin', join(dir, pin)],
      );
    const good = await cli('bundle.json', 'pinned.note');
    expect(good.code, good.out).toBe(0);
    expect(good.out).toContain(`pinned: 1 of 1 pins consistent (partitions ${partition})`);
    for (const [file, pin] of [
      ['bundle.json', 'forked.note'],
      ['tampered.json', 'pinned.note'],
    ] as const) {
      const bad = await cli(file, pin);
      expect(bad.code).toBe(1);
      expect(bad.out).toContain('invalid CONSISTENCY_PROOF_INVALID');
    }
    // Four CLI runs through tsx: on a loaded host one alone can take a minute.
  }, 400_000);
});
