import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  digestOf,
  loadTrustStore,
  newExecutionId,
  signRelease,
  toDsse,
  verifyBundle,
} from '@lineage/protocol';
import { generateKeyPair, nodeEd25519, trustedKey } from '@lineage/keys';
import type { LineageQueries } from '@lineage/query';
import { PROJECTION_MIGRATIONS } from '@lineage/projection';
import { projectAttestations, projectPolicies } from '@lineage/projection';
import { createQueryClient, LineageQueryError } from '@lineage/sdk';
import { migrate } from '@lineage/store';
import {
  DEFAULT_POLICY,
  FIXTURE_POLICY,
  FIXTURE_POLICY_HASH,
  FIXTURE_RUNTIME,
  FIXTURE_RUNTIME_MANIFEST,
  LedgerBuilder,
  policyMessages,
} from '@lineage/testkit';
import type { LedgerRecord as FixtureAttestation } from '@lineage/testkit';
import { inTransaction, ledgerMessages, messagesOf, testDatabase } from '@lineage/testkit/pg';
import { hashToken } from './tokens.js';
import { LOG_ROUTES, ROUTES } from '@lineage/contract';
import { createToken, createQueryApi, revokeToken } from './index.js';
import { openApiPath } from './openapi.js';

// Given attestations projected into Postgres by the projector, when clients call the query API over
// real HTTP (backed by the real @lineage/query over real Postgres), then they get typed answers: the
// lineage for good tokens and inputs, 401/403/400/404 error bodies for everything else.

const governance = generateKeyPair();
const approver = generateKeyPair();
const releaser = generateKeyPair();
const agentA = generateKeyPair().keyid;
const agentB = generateKeyPair().keyid;
const agentC = generateKeyPair().keyid;
const principal = generateKeyPair().keyid;
const trustDoc = {
  version: 1 as const,
  keys: [
    trustedKey(governance, ['governance']),
    trustedKey(approver, ['approver']),
    trustedKey(releaser, ['release']),
  ],
};
const release = toDsse(
  signRelease([FIXTURE_RUNTIME_MANIFEST], '2024-12-01T00:00:00Z', releaser.signer),
);

const { pool, newSchema } = testDatabase(inject('databaseUrl'), { max: 10 });
let app: FastifyInstance;
let port: number;
const schema = newSchema();
const pepper = randomBytes(32);
const logLines: string[] = [];
const tokens = { read: '', exportOnly: '', both: '', revoked: '' };

// Lineage: root ← b ← c; d has parents b and c; e is an unrelated denied root of another agent.
// p is a root of agent C held for an override: approved (p2), a second resolution refused (p3);
// q is a child of p decided after the approval (it names p2).
let root: FixtureAttestation;
let b: FixtureAttestation;
let c: FixtureAttestation;
let d: FixtureAttestation;
let e: FixtureAttestation;
let p: FixtureAttestation;
let p2: FixtureAttestation;
let p3: FixtureAttestation;
let q: FixtureAttestation;

interface Answer {
  status: number;
  type: string;
  text: string;
  body: { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** GET over a raw socket: the path goes out byte for byte, with no client-side URL normalization. */
function get(path: string, token?: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: Answer['body'];
          try {
            body = JSON.parse(text) as Answer['body'];
          } catch {
            body = {};
          }
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type']),
            text,
            body,
          });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function project(attestations: FixtureAttestation[]): Promise<void> {
  await inTransaction(pool, async (client) => {
    await projectPolicies(schema)(client, 0, messagesOf(policyMessages([DEFAULT_POLICY])));
    await projectAttestations(schema)(client, 0, messagesOf(ledgerMessages(attestations)));
  });
}

beforeAll(async () => {
  await migrate(pool, schema, PROJECTION_MIGRATIONS);
  const ledger = new LedgerBuilder(governance.signer, approver.signer, principal);
  root = ledger.decide([], { agent: agentA });
  b = ledger.decide([root.executionId], { agent: agentA });
  c = ledger.decide([b.executionId], { agent: agentB });
  d = ledger.decide([b.executionId, c.executionId], { agent: agentB });
  e = ledger.decide([], { agent: agentB, decision: 'deny' });
  p = ledger.decide([], { agent: agentC, decision: 'pending_override' });
  p2 = ledger.override(p.executionId);
  q = ledger.decide([p.executionId], { agent: agentC });
  p3 = ledger.refuse(p.executionId);
  await project([root, b, c, d, e, p, p2, q, p3]);

  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  app = createQueryApi({
    pool,
    schema,
    pepper,
    // No policy files: bundles take the document from the projected policies topic.
    bundleSources: () => ({ keys: trustDoc.keys, policies: [], releases: [release] }),
    log: pino({ level: 'trace' }, sink),
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as AddressInfo).port;

  tokens.read = (
    await createToken(pool, schema, { name: 'reader', scopes: ['read'], pepper })
  ).token;
  tokens.exportOnly = (
    await createToken(pool, schema, { name: 'exporter', scopes: ['export'], pepper })
  ).token;
  tokens.both = (
    await createToken(pool, schema, { name: 'auditor', scopes: ['read', 'export'], pepper })
  ).token;
  tokens.revoked = (
    await createToken(pool, schema, { name: 'gone', scopes: ['read', 'export'], pepper })
  ).token;
  expect(await revokeToken(pool, schema, 'gone')).toBe(1);
});

afterAll(async () => {
  await app?.close();
});

const ids = (items: unknown) =>
  (items as { execution_id: string }[]).map((n) => n.execution_id).sort();

describe('authentication and scopes', () => {
  const path = () => `/v1/executions/${d.executionId}`;

  it.each([
    ['no header', undefined],
    ['a malformed token', 'not-a-token'],
    ['an unknown well-formed token', randomBytes(32).toString('base64url')],
    ['a revoked token', 'revoked'],
  ])('answers 401 UNAUTHENTICATED with %s', async (_what, token) => {
    const answer = await get(path(), token === 'revoked' ? tokens.revoked : token);
    expect(answer.status).toBe(401);
    expect(answer.body.error?.code).toBe('UNAUTHENTICATED');
  });

  it('answers 401 for a scheme other than Bearer', async () => {
    const answer = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: path(),
          headers: { authorization: `Basic ${tokens.both}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(answer).toBe(401);
  });

  it('answers 403 FORBIDDEN for a bundle with a read-only token', async () => {
    const answer = await get(`/v1/executions/${d.executionId}/bundle`, tokens.read);
    expect(answer.status).toBe(403);
    expect(answer.body.error?.code).toBe('FORBIDDEN');
  });

  it('answers 403 FORBIDDEN for a query with an export-only token', async () => {
    const answer = await get(path(), tokens.exportOnly);
    expect(answer.status).toBe(403);
    expect(answer.body.error?.code).toBe('FORBIDDEN');
  });

  it('stores tokens hashed: the raw token is nowhere in the table', async () => {
    const { rows } = await pool.query<{ token_hash: string; name: string; line: string }>(
      `SELECT token_hash, name, t::text AS line FROM "${schema}".api_tokens t`,
    );
    expect(rows.map((r) => r.name).sort()).toEqual(['auditor', 'exporter', 'gone', 'reader']);
    for (const token of Object.values(tokens)) {
      for (const row of rows) expect(row.line).not.toContain(token);
      expect(rows.map((r) => r.token_hash)).toContain(hashToken(token, pepper));
    }
  });

  it('never writes a token to the log', async () => {
    await get(path(), tokens.both);
    await get(path(), tokens.revoked);
    expect(logLines.length).toBeGreaterThan(0);
    for (const token of Object.values(tokens)) expect(logLines.join('\n')).not.toContain(token);
  });

  it('refuses a second live token under the same name', async () => {
    await expect(
      createToken(pool, schema, { name: 'reader', scopes: ['read'], pepper }),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});

describe('lineage answers', () => {
  it('shows an execution', async () => {
    const answer = await get(`/v1/executions/${d.executionId}`, tokens.read);
    expect(answer.status).toBe(200);
    const attestations = answer.body.attestations as {
      attestation_digest: string;
      agent: string;
    }[];
    expect(attestations.map((a) => a.attestation_digest)).toEqual([d.digest]);
    expect(attestations[0]!.agent).toBe(agentB);
  });

  it('answers 404 NOT_FOUND for an execution that is not projected', async () => {
    const answer = await get(`/v1/executions/${newExecutionId()}`, tokens.read);
    expect(answer.status).toBe(404);
    expect(answer.body.error?.code).toBe('NOT_FOUND');
  });

  it('walks ancestors at their shortest depth, page by page', async () => {
    const all = await get(`/v1/executions/${d.executionId}/ancestors`, tokens.read);
    expect(all.status).toBe(200);
    const depths = Object.fromEntries(
      (all.body.items as { execution_id: string; depth: number }[]).map((n) => [
        n.execution_id,
        n.depth,
      ]),
    );
    expect(depths).toEqual({ [b.executionId]: 1, [c.executionId]: 1, [root.executionId]: 2 });
    expect(all.body.next).toBeNull();

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(
        `/v1/executions/${d.executionId}/ancestors?limit=1${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
        tokens.read,
      );
      expect(page.status).toBe(200);
      seen.push(...ids(page.body.items));
      cursor = page.body.next as string | null;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen.sort()).toEqual(ids(all.body.items));
    expect(pages).toBe(3);
  });

  it('limits the walk by depth', async () => {
    const answer = await get(`/v1/executions/${d.executionId}/ancestors?depth=1`, tokens.read);
    expect(ids(answer.body.items)).toEqual([b.executionId, c.executionId].sort());
  });

  it('walks descendants (blast radius of an execution)', async () => {
    const answer = await get(`/v1/executions/${root.executionId}/descendants`, tokens.read);
    expect(answer.status).toBe(200);
    expect(ids(answer.body.items)).toEqual([b.executionId, c.executionId, d.executionId].sort());
  });

  it('returns the authorization path up to the root', async () => {
    const answer = await get(`/v1/executions/${d.executionId}/authorization-path`, tokens.read);
    expect(answer.status).toBe(200);
    expect(answer.body.roots).toEqual([root.executionId]);
    const edges = (answer.body.edges as { child: string; parent: string }[]).map(
      (x) => `${x.child}>${x.parent}`,
    );
    expect(edges.sort()).toEqual(
      [
        `${d.executionId}>${b.executionId}`,
        `${d.executionId}>${c.executionId}`,
        `${c.executionId}>${b.executionId}`,
        `${b.executionId}>${root.executionId}`,
      ].sort(),
    );
  });

  it('exports an evidence bundle that verifies offline', async () => {
    const answer = await get(`/v1/executions/${d.executionId}/bundle`, tokens.both);
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^application\/vnd\.lineage\.bundle\.v1\+json/);
    const verified = verifyBundle(JSON.parse(answer.text), {
      ed25519: nodeEd25519(),
      trust: loadTrustStore(trustDoc),
    });
    expect(verified.target.predicate.execution_id).toBe(d.executionId);
    expect(verified.attestations).toHaveLength(4);
    // The release vouches for the runtime; it signed, so its key travels with the bundle.
    expect(verified.runtimeVerified).toBe(true);
    const bundle = JSON.parse(answer.text) as {
      releases: unknown[];
      keys: { keyid: string }[];
      policies: { hash: string; document: unknown }[];
    };
    expect(bundle.releases).toEqual([release]);
    expect(bundle.keys.map((k) => k.keyid).sort()).toEqual(
      [governance.keyid, releaser.keyid].sort(),
    );
    expect(bundle.policies).toEqual([{ hash: FIXTURE_POLICY_HASH, document: FIXTURE_POLICY }]);
  });

  it('exports the bundle of an overridden execution and of its child: both verify', async () => {
    const trust = loadTrustStore(trustDoc);
    const own = await get(`/v1/executions/${p.executionId}/bundle`, tokens.both);
    expect(own.status).toBe(200);
    const verified = verifyBundle(JSON.parse(own.text), { ed25519: nodeEd25519(), trust });
    expect(verified.target.digest).toBe(p2.digest);
    expect(verified.target.predicate.kind).toBe('override');
    expect(verified.decision.digest).toBe(p.digest);
    expect(
      (JSON.parse(own.text) as { keys: { keyid: string }[] }).keys.map((k) => k.keyid),
    ).toContain(approver.keyid);

    const child = await get(`/v1/executions/${q.executionId}/bundle`, tokens.both);
    expect(child.status).toBe(200);
    const checked = verifyBundle(JSON.parse(child.text), { ed25519: nodeEd25519(), trust });
    expect(checked.target.digest).toBe(q.digest);
    expect(checked.attestations.map((v) => v.digest).sort()).toEqual(
      [q.digest, p.digest, p2.digest].sort(),
    );
  });

  it('shows the effective outcome, refused resolutions and the authority of an execution', async () => {
    const answer = await get(`/v1/executions/${p.executionId}`, tokens.read);
    expect(answer.status).toBe(200);
    expect(answer.body.outcome).toEqual({
      decision: 'allow',
      kind: 'override',
      attestation_digest: p2.digest,
    });
    expect(answer.body.decision).toMatchObject({
      decision: 'pending_override',
      attestation_digest: p.digest,
    });
    expect(answer.body.override).toMatchObject({
      attestation_digest: p2.digest,
      pending: p.digest,
      decision: 'allow',
      approver: approver.keyid,
      resolution: 'approve',
      reason: 'approved after review',
    });
    expect(answer.body.refused).toEqual([
      expect.objectContaining({
        attestation_digest: p3.digest,
        reasons: ['OVERRIDE_ALREADY_RESOLVED'],
        approver: approver.keyid,
      }),
    ]);
    expect(answer.body.authorization).toMatchObject({ principals: [principal], depth: 0 });
    expect((answer.body.attestations as { kind: string }[]).map((a) => a.kind)).toEqual([
      'decision',
      'override',
      'override_rejection',
    ]);

    const child = await get(`/v1/executions/${q.executionId}`, tokens.read);
    expect(child.body.authorization).toEqual({
      grant: null,
      inherited_from: [p2.digest],
      principals: [principal],
      scope: { actions: ['*'], resources: [''] },
      depth: 1,
    });
    expect(child.body.outcome).toMatchObject({ decision: 'allow', kind: 'decision' });
  });

  it('walks through an approved execution both ways', async () => {
    const up = await get(`/v1/executions/${q.executionId}/ancestors`, tokens.read);
    expect(up.body.items).toEqual([
      {
        execution_id: p.executionId,
        depth: 1,
        decision: 'allow',
        action: expect.any(String),
        agent: agentC,
      },
    ]);
    const down = await get(`/v1/executions/${p.executionId}/descendants`, tokens.read);
    expect(ids(down.body.items)).toEqual([q.executionId]);
  });

  it('serves a policy document by hash: the exact document that decided', async () => {
    const answer = await get(`/v1/policies/${FIXTURE_POLICY_HASH}`, tokens.read);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      hash: FIXTURE_POLICY_HASH,
      id: 'default',
      version: 3,
      document: FIXTURE_POLICY,
      activated_at: '2025-01-01T00:00:00.000Z',
      partition: 0,
      offset: '0',
    });
    expect(digestOf(answer.body.document as never)).toBe(FIXTURE_POLICY_HASH);
    const unknown = await get(`/v1/policies/${'0'.repeat(64)}`, tokens.read);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.code).toBe('NOT_FOUND');
    const noToken = await get(`/v1/policies/${FIXTURE_POLICY_HASH}`);
    expect(noToken.status).toBe(401);
  });

  it("lists the executions decided under a principal's authority", async () => {
    const answer = await get(`/v1/principals/${principal}/executions?limit=3`, tokens.read);
    expect(answer.status).toBe(200);
    expect(answer.body.items).toHaveLength(3);
    const rest = await get(
      `/v1/principals/${principal}/executions?limit=100&cursor=${encodeURIComponent(answer.body.next as string)}`,
      tokens.read,
    );
    // All nine attestations descend from grants of this one principal.
    expect((answer.body.items as unknown[]).length + (rest.body.items as unknown[]).length).toBe(9);
    expect(rest.body.next).toBeNull();
    const nobody = await get(`/v1/principals/${agentA}/executions`, tokens.read);
    expect(nobody.body.items).toEqual([]);
  });

  it("lists an agent's executions and its blast radius", async () => {
    const listed = await get(`/v1/agents/${agentA}/executions`, tokens.read);
    expect(listed.status).toBe(200);
    expect(ids(listed.body.items)).toEqual([root.executionId, b.executionId].sort());
    const radius = await get(`/v1/agents/${agentA}/blast-radius`, tokens.read);
    expect(radius.status).toBe(200);
    expect(ids(radius.body.items)).toEqual(
      [root.executionId, b.executionId, c.executionId, d.executionId].sort(),
    );
  });

  it('finds executions by fingerprint, policy and runtime', async () => {
    const byFp = await get(`/v1/fingerprints/${c.fingerprint}`, tokens.read);
    expect(byFp.status).toBe(200);
    expect(ids(byFp.body.attestations)).toEqual([c.executionId]);
    const unknownFp = await get(`/v1/fingerprints/${'0'.repeat(64)}`, tokens.read);
    expect(unknownFp.status).toBe(404);
    expect(unknownFp.body.error?.code).toBe('NOT_FOUND');

    const byPolicy = await get('/v1/policies/default/3/executions', tokens.read);
    expect(byPolicy.status).toBe(200);
    expect(ids(byPolicy.body.items)).toHaveLength(9);
    const otherVersion = await get('/v1/policies/default/4/executions', tokens.read);
    expect(otherVersion.body.items).toEqual([]);

    const byRuntime = await get(`/v1/runtimes/${FIXTURE_RUNTIME}/executions?limit=2`, tokens.read);
    expect(byRuntime.status).toBe(200);
    expect(byRuntime.body.items).toHaveLength(2);
    expect(typeof byRuntime.body.next).toBe('string');
  });

  it('serves the same data through the SDK client', async () => {
    const client = createQueryClient({ baseUrl: `http://127.0.0.1:${port}/`, token: tokens.read });
    expect((await client.show(c.executionId)).attestations[0]!.execution_id).toBe(c.executionId);
    expect(ids((await client.ancestors(c.executionId)).items)).toEqual(
      [root.executionId, b.executionId].sort(),
    );
    expect((await client.authorizationPath(c.executionId)).roots).toEqual([root.executionId]);
    const error = await client.bundle(c.executionId).catch((x: unknown) => x);
    expect(error).toBeInstanceOf(LineageQueryError);
    expect(error).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    const exporter = createQueryClient({ baseUrl: `http://127.0.0.1:${port}`, token: tokens.both });
    expect((await exporter.bundle(c.executionId)).execution_id).toBe(c.executionId);
    await expect(exporter.show('nope')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      status: 400,
    });
  });
});

describe('hostile input', () => {
  const id = () => d.executionId;
  const enc = encodeURIComponent;
  const cases: [string, () => string, 'INVALID_ARGUMENT' | 'INVALID_CURSOR'][] = [
    ['SQL injection as id', () => `/v1/executions/${enc("' OR 1=1 --")}`, 'INVALID_ARGUMENT'],
    ['stacked query as id', () => `/v1/executions/${enc('1; DROP TABLE x')}`, 'INVALID_ARGUMENT'],
    [
      'SQL injection as agent',
      () => `/v1/agents/${enc("' OR 1=1 --")}/executions`,
      'INVALID_ARGUMENT',
    ],
    [
      'SQL injection as fingerprint',
      () => `/v1/fingerprints/${enc('1; DROP TABLE x')}`,
      'INVALID_ARGUMENT',
    ],
    [
      'SQL injection as policy',
      () => `/v1/policies/${enc("' OR 1=1 --")}/3/executions`,
      'INVALID_ARGUMENT',
    ],
    [
      'traversal, encoded slashes',
      () => '/v1/executions/..%2F..%2Fetc%2Fpasswd',
      'INVALID_ARGUMENT',
    ],
    [
      'traversal, encoded dots',
      () => '/v1/executions/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      'INVALID_ARGUMENT',
    ],
    [
      'traversal in a digest',
      () => '/v1/runtimes/%2e%2e%2f%2e%2e%2fetc%2fpasswd/executions',
      'INVALID_ARGUMENT',
    ],
    ['oversized id', () => `/v1/executions/${'a'.repeat(1500)}`, 'INVALID_ARGUMENT'],
    ['oversized digest', () => `/v1/fingerprints/${'a'.repeat(65)}`, 'INVALID_ARGUMENT'],
    ['policy hash not a digest', () => `/v1/policies/${enc("' OR 1=1 --")}`, 'INVALID_ARGUMENT'],
    ['uppercase policy hash', () => `/v1/policies/${'A'.repeat(64)}`, 'INVALID_ARGUMENT'],
    [
      'SQL injection as principal',
      () => `/v1/principals/${enc("' OR 1=1 --")}/executions`,
      'INVALID_ARGUMENT',
    ],
    ['uppercase id', () => `/v1/executions/${id().toUpperCase()}`, 'INVALID_ARGUMENT'],
    ['UUIDv4 id', () => '/v1/executions/0b0e4c3a-4f0a-4a8b-9c1d-2e3f4a5b6c7d', 'INVALID_ARGUMENT'],
    ['malformed percent-encoding', () => '/v1/executions/%zz', 'INVALID_ARGUMENT'],
    ['negative depth', () => `/v1/executions/${id()}/ancestors?depth=-1`, 'INVALID_ARGUMENT'],
    ['zero depth', () => `/v1/executions/${id()}/descendants?depth=0`, 'INVALID_ARGUMENT'],
    [
      'huge depth',
      () => `/v1/executions/${id()}/ancestors?depth=99999999999999999999`,
      'INVALID_ARGUMENT',
    ],
    [
      'depth over the cap',
      () => `/v1/executions/${id()}/authorization-path?depth=1001`,
      'INVALID_ARGUMENT',
    ],
    ['fractional depth', () => `/v1/executions/${id()}/ancestors?depth=1.5`, 'INVALID_ARGUMENT'],
    [
      'textual depth',
      () => `/v1/executions/${id()}/ancestors?depth=${enc('1 OR 1=1')}`,
      'INVALID_ARGUMENT',
    ],
    ['negative limit', () => `/v1/agents/${agentA}/executions?limit=-5`, 'INVALID_ARGUMENT'],
    ['huge limit', () => `/v1/agents/${agentA}/blast-radius?limit=1000000`, 'INVALID_ARGUMENT'],
    ['negative policy version', () => '/v1/policies/default/-1/executions', 'INVALID_ARGUMENT'],
    [
      'policy version over int4',
      () => '/v1/policies/default/99999999999/executions',
      'INVALID_ARGUMENT',
    ],
    [
      'unknown query parameter',
      () => `/v1/executions/${id()}/ancestors?evil=1`,
      'INVALID_ARGUMENT',
    ],
    [
      'garbage cursor',
      () => `/v1/executions/${id()}/ancestors?cursor=not-a-cursor`,
      'INVALID_CURSOR',
    ],
    [
      'SQL injection as cursor',
      () => `/v1/executions/${id()}/descendants?cursor=${enc("' OR 1=1 --")}`,
      'INVALID_CURSOR',
    ],
    [
      'oversized cursor',
      () => `/v1/agents/${agentA}/executions?cursor=${'A'.repeat(5000)}`,
      'INVALID_CURSOR',
    ],
  ];

  it.each(cases)('%s → 400 %s', async (_what, path, code) => {
    const answer = await get(path(), tokens.both);
    expect({ status: answer.status, code: answer.body.error?.code }).toEqual({ status: 400, code });
    expect(answer.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('rejects a cursor issued for another query', async () => {
    const page = await get(`/v1/agents/${agentB}/executions?limit=1`, tokens.read);
    const next = page.body.next as string;
    expect(typeof next).toBe('string');
    const answer = await get(
      `/v1/executions/${id()}/ancestors?cursor=${encodeURIComponent(next)}`,
      tokens.read,
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error?.code).toBe('INVALID_CURSOR');
  });

  it('left the projection intact', async () => {
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${schema}".executions`,
    );
    expect(rows[0]!.n).toBe(9);
  });
});

describe('routes, errors and the OpenAPI document', () => {
  it.each([['/nope'], ['/v1'], ['/v1/executions'], ['/v2/executions/x']])(
    'answers 404 NOT_FOUND for the unknown route %s',
    async (path) => {
      const answer = await get(path, tokens.read);
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) } });
    },
  );

  it('answers 405 with Allow for a method the API does not serve', async () => {
    const answer = await get(`/v1/executions/${d.executionId}`, tokens.read, 'DELETE');
    expect(answer.status).toBe(405);
    expect(answer.body.error?.code).toBe('METHOD_NOT_ALLOWED');
  });

  it('serves healthz without a token', async () => {
    const answer = await get('/healthz');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ status: 'ok' });
  });

  it('serves an OpenAPI 3.1 document listing every route', async () => {
    const answer = await get('/openapi.json');
    expect(answer.status).toBe(200);
    const doc = JSON.parse(answer.text) as {
      openapi: string;
      paths: Record<string, { get?: unknown }>;
    };
    expect(doc.openapi).toBe('3.1.0');
    const expected = [
      ...[...Object.values(ROUTES), ...Object.values(LOG_ROUTES)].map((r) => openApiPath(r.path)),
      '/healthz',
      '/readyz',
      '/openapi.json',
    ].sort();
    expect(Object.keys(doc.paths).sort()).toEqual(expected);
    expect(expected).toContain('/v1/executions/{id}/bundle');
    expect(expected).toContain('/v1/policies/{hash}');
    expect(expected).toContain('/v1/principals/{keyid}/executions');
    for (const path of expected) expect(doc.paths[path]?.get).toBeDefined();
    expect(doc).toEqual(JSON.parse(JSON.stringify(app.swagger())));
  });

  it('refuses to send a response that does not match its schema', async () => {
    // A query layer answering off-contract: a summary page whose item lost a field and gained one.
    const { depth: _, ...partial } = (await app
      .inject({
        url: `/v1/agents/${agentA}/executions?limit=1`,
        headers: { authorization: `Bearer ${tokens.read}` },
      })
      .then((r) => (r.json() as { items: Record<string, unknown>[] }).items[0]))!;
    const lines: string[] = [];
    const drifting = new Proxy({} as LineageQueries, {
      get: () => () => Promise.resolve({ items: [{ ...partial, extra: true }], next: null }),
    });
    const broken = createQueryApi({
      pool,
      schema,
      pepper,
      queries: drifting,
      bundleSources: () => ({ keys: [], policies: [] }),
      log: pino(
        new Writable({
          write(chunk: Buffer, _enc, done) {
            lines.push(chunk.toString('utf8'));
            done();
          },
        }),
      ),
    });
    await broken.ready();
    try {
      const answer = await broken.inject({
        url: `/v1/agents/${agentA}/executions`,
        headers: { authorization: `Bearer ${tokens.read}` },
      });
      expect(answer.statusCode).toBe(500);
      expect(answer.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
      const logged = lines.map((l) => JSON.parse(l) as { err?: { type?: string; code?: string } });
      expect(logged.some((l) => l.err?.type === 'QueryApiError' && l.err.code === 'INTERNAL')).toBe(
        true,
      );
    } finally {
      await broken.close();
    }
  });

  it('answers 500 INTERNAL without internals when a query fails unexpectedly', async () => {
    const failing = new Proxy({} as LineageQueries, {
      get: () => () => Promise.reject(new Error('secret detail at db.ts:12')),
    });
    const broken = createQueryApi({
      pool,
      schema,
      pepper,
      queries: failing,
      bundleSources: () => ({ keys: [], policies: [] }),
    });
    await broken.ready();
    try {
      const answer = await broken.inject({
        url: `/v1/executions/${d.executionId}`,
        headers: { authorization: `Bearer ${tokens.read}` },
      });
      expect(answer.statusCode).toBe(500);
      expect(answer.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
      expect(answer.body).not.toContain('secret');
    } finally {
      await broken.close();
    }
  });
});
