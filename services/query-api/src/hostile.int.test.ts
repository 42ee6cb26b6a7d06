import { randomBytes, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Pool } from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { generateKeyPair } from '@lineage/keys';
import type { LineageQueries } from '@lineage/query';
import { PROJECTION_MIGRATIONS } from '@lineage/projection';
import { projectAttestations } from '@lineage/projection';
import { createPool, migrate } from '@lineage/store';
import { LedgerBuilder } from '@lineage/testkit';
import { inTransaction, ledgerMessages, messagesOf, testDatabase } from '@lineage/testkit/pg';
import type { LedgerRecord as FixtureAttestation } from '@lineage/testkit';
import { createQueryApi, createToken, grantReader } from './index.js';
import { raw } from './raw-http.js';
import type { Raw } from './raw-http.js';
import type { Limits, QueryApiOptions } from './index.js';

// Given the query API over a small projection, when a hostile client replays each finding of the
// hardening issue (no timeouts, no limits, no trail, mintable tokens, fastify's own error bodies, no
// security headers, loose integers), then each is refused by status and code. Loopback only; every
// wait is bounded.

const role = `r_${randomBytes(6).toString('hex')}`;
const pepper = randomBytes(32);
const governance = generateKeyPair();
const agent = generateKeyPair().keyid;
const { pool, newSchema } = testDatabase(inject('databaseUrl'), { max: 10 });
const schema = newSchema('h');
let token = '';
let exec: FixtureAttestation;
const open: { app: FastifyInstance; pool?: Pool }[] = [];

/** Starts an API on a free loopback port; `lines` collects its log as parsed JSON. */
async function serve(
  overrides: Partial<QueryApiOptions> & { limits?: Partial<Limits> } = {},
): Promise<{ port: number; lines: Record<string, unknown>[]; app: FastifyInstance }> {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean))
        lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const app = createQueryApi({
    pool,
    schema,
    pepper,
    bundleSources: () => ({ keys: [], policies: [] }),
    log: pino({ level: 'info' }, sink),
    ...overrides,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  open.push({ app });
  return { port: (app.server.address() as AddressInfo).port, lines, app };
}

const get = (port: number, path: string, auth?: string, extra = '') =>
  raw(
    port,
    `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${auth !== undefined ? `Authorization: ${auth}\r\n` : ''}${extra}Connection: close\r\n\r\n`,
  );

beforeAll(async () => {
  await migrate(pool, schema, PROJECTION_MIGRATIONS);
  const ledger = new LedgerBuilder(governance.signer);
  exec = ledger.decide([], { agent });
  const child = ledger.decide([exec.executionId], { agent });
  await inTransaction(pool, (client) =>
    projectAttestations(schema)(client, 0, messagesOf(ledgerMessages([exec, child]))),
  );
  token = (await createToken(pool, schema, { name: 'probe', scopes: ['read'], pepper })).token;
});

afterAll(async () => {
  for (const o of open) await o.app.close();
  for (const o of open) await o.pool?.end();
  // The role's grants go with the schema; then the role can go.
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.query(`DROP ROLE IF EXISTS "${role}"`);
});

describe('timeouts', () => {
  it('answers 503 UNAVAILABLE with Retry-After when no pooled connection frees up', async () => {
    const tiny = createPool(inject('databaseUrl'), { max: 1, connectionTimeoutMillis: 200 });
    const { port } = await serve({ pool: tiny });
    open.push({ app: open.at(-1)!.app, pool: tiny });
    const held = await tiny.connect();
    try {
      const answer = await get(port, `/v1/executions/${exec.executionId}`, `Bearer ${token}`);
      expect([answer.status, answer.code]).toEqual([503, 'UNAVAILABLE']);
      expect(answer.headers['retry-after']).toMatch(/^\d+$/);
      // Liveness needs no database: it answers while the pool is exhausted.
      const health = await get(port, '/healthz');
      expect(health.status).toBe(200);
    } finally {
      held.release();
    }
  });

  it('answers 503 when a lock is held past lock_timeout, instead of waiting forever', async () => {
    const bounded = createPool(inject('databaseUrl'), { max: 2, lockTimeoutMs: 200 });
    const { port } = await serve({ pool: bounded });
    open.push({ app: open.at(-1)!.app, pool: bounded });
    await get(port, `/v1/executions/${exec.executionId}`, `Bearer ${token}`);
    const holder = await pool.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(`LOCK TABLE "${schema}".executions IN ACCESS EXCLUSIVE MODE`);
      const started = Date.now();
      const answer = await get(port, `/v1/executions/${exec.executionId}`, `Bearer ${token}`);
      expect([answer.status, answer.code]).toEqual([503, 'UNAVAILABLE']);
      expect(Date.now() - started).toBeLessThan(2_500);
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
  });

  it('answers 408 REQUEST_TIMEOUT to a body that is declared and never sent', async () => {
    const { port } = await serve({ limits: { requestTimeoutMs: 500 } });
    const started = Date.now();
    const answer = await raw(
      port,
      'POST /v1/nothing HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n',
      4_000,
    );
    expect([answer.status, answer.code]).toEqual([408, 'REQUEST_TIMEOUT']);
    expect(Date.now() - started).toBeLessThan(3_500);
  });

  it('answers 408 to headers that never end', async () => {
    const { port } = await serve({ limits: { headersTimeoutMs: 500, requestTimeoutMs: 600 } });
    const answer = await raw(
      port,
      'GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: 1\r\n',
      4_000,
    );
    expect([answer.status, answer.code]).toEqual([408, 'REQUEST_TIMEOUT']);
  });
});

describe('rate and concurrency limits', () => {
  it('answers 429 RATE_LIMITED with Retry-After past the per-token rate', async () => {
    const { port } = await serve({ limits: { requestsPerWindow: 3 } });
    const statuses: number[] = [];
    let last: Raw | undefined;
    for (let i = 0; i < 5; i++) {
      last = await get(port, `/v1/executions/${exec.executionId}`, `Bearer ${token}`);
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(last?.code).toBe('RATE_LIMITED');
    expect(last?.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('limits failed authentications per address, then refuses even a good token before the DB', async () => {
    const { port } = await serve({ limits: { failedAuthPerWindow: 3 } });
    for (let i = 0; i < 3; i++) {
      const bad = await get(
        port,
        '/v1/executions/x',
        `Bearer ${randomBytes(32).toString('base64url')}`,
      );
      expect(bad.status).toBe(401);
    }
    const after = await get(port, `/v1/executions/${exec.executionId}`, `Bearer ${token}`);
    expect([after.status, after.code]).toEqual([429, 'RATE_LIMITED']);
    expect(after.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('remembers an unknown token: repeats cost no database query', async () => {
    const counted = createPool(inject('databaseUrl'), { max: 2 });
    const spy = vi.spyOn(counted, 'query');
    const { port } = await serve({ pool: counted });
    open.push({ app: open.at(-1)!.app, pool: counted });
    const unknown = randomBytes(32).toString('base64url');
    for (let i = 0; i < 4; i++)
      expect((await get(port, '/v1/executions/x', `Bearer ${unknown}`)).status).toBe(401);
    const lookups = spy.mock.calls.filter((c) => String(c[0]).includes('api_tokens'));
    expect(lookups).toHaveLength(1);
  });

  it('caps heavy requests in flight per token: 429 with Retry-After, the rest answered', async () => {
    const slow = new Proxy({} as LineageQueries, {
      get: () => () =>
        new Promise((resolve) => setTimeout(() => resolve({ items: [], next: null }), 300)),
    });
    const { port } = await serve({ queries: slow, limits: { heavyPerToken: 2, heavyTotal: 10 } });
    const answers = await Promise.all(
      Array.from({ length: 5 }, () =>
        get(port, `/v1/executions/${exec.executionId}/descendants`, `Bearer ${token}`),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    expect(answers.find((a) => a.status === 429)?.headers['retry-after']).toMatch(/^\d+$/);
  });
});

describe('the access trail and tokens', () => {
  it('logs every request with token name, route, status, duration and address; 401 as denied', async () => {
    const { port, lines } = await serve();
    await get(port, `/v1/executions/${exec.executionId}`, `Bearer ${token}`);
    await get(port, `/v1/executions/${exec.executionId}`);
    const access = lines.filter((l) => l.event === 'access');
    expect(access[0]).toMatchObject({
      token: 'probe',
      route: '/v1/executions/:id',
      status: 200,
      address: '127.0.0.1',
    });
    expect(typeof access[0]?.ms).toBe('number');
    expect(access[1]).toMatchObject({
      token: null,
      status: 401,
      denied: 'unauthenticated',
      auth: 'missing',
    });
    expect(JSON.stringify(lines)).not.toContain(token);
  });

  it('refuses an expired token and logs the expiry; records last use', async () => {
    const { port, lines } = await serve();
    const brief = await createToken(pool, schema, {
      name: 'brief',
      scopes: ['read'],
      pepper,
      validForMs: 300,
    });
    const first = await get(port, `/v1/executions/${exec.executionId}`, `Bearer ${brief.token}`);
    expect(first.status).toBe(200);
    await vi.waitFor(
      async () => {
        const { rows } = await pool.query(
          `SELECT last_used_at FROM "${schema}".api_tokens WHERE name = 'brief'`,
        );
        expect(rows[0]?.last_used_at).toBeInstanceOf(Date);
      },
      { timeout: 2_000 },
    );
    await new Promise((r) => setTimeout(r, 350));
    const later = await get(port, `/v1/executions/${exec.executionId}`, `Bearer ${brief.token}`);
    expect([later.status, later.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(lines.some((l) => l.event === 'token_expired' && l.token === 'brief')).toBe(true);
  });

  it('does not let a database writer mint a token: sha256(t) inserted by SQL answers 401', async () => {
    const { port } = await serve();
    const minted = randomBytes(32).toString('base64url');
    const sha = createHash('sha256').update(minted).digest('hex');
    await pool.query(
      `INSERT INTO "${schema}".api_tokens (token_hash, name, scopes) VALUES ($1, 'minted', '{read}')`,
      [sha],
    );
    const answer = await get(port, `/v1/executions/${exec.executionId}`, `Bearer ${minted}`);
    expect([answer.status, answer.code]).toEqual([401, 'UNAUTHENTICATED']);
  });

  it('serves as a read-only role that cannot write tokens or change the schema', async () => {
    await grantReader(pool, schema, role);
    const url = new URL(inject('databaseUrl'));
    url.username = role;
    url.password = '';
    const reader = createPool(url.toString(), { max: 2 });
    const { port } = await serve({ pool: reader });
    open.push({ app: open.at(-1)!.app, pool: reader });
    const answer = await get(port, `/v1/executions/${exec.executionId}`, `Bearer ${token}`);
    expect(answer.status).toBe(200);
    await expect(
      reader.query(
        `INSERT INTO "${schema}".api_tokens (token_hash, name, scopes) VALUES ('x', 'y', '{read}')`,
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(reader.query(`CREATE TABLE "${schema}".evil (x int)`)).rejects.toMatchObject({
      code: '42501',
    });
  });

  it('refuses to start on a schema that is not migrated, creating nothing', async () => {
    const empty = `e_${randomBytes(6).toString('hex')}`;
    const app = createQueryApi({
      pool,
      schema: empty,
      pepper,
      bundleSources: () => ({ keys: [], policies: [] }),
    });
    await expect(app.ready()).rejects.toMatchObject({ code: 'SCHEMA_BEHIND' });
    const { rows } = await pool.query('SELECT to_regnamespace($1) AS s', [empty]);
    expect(rows[0].s).toBeNull();
    await app.close().catch(() => undefined);
  });
});

describe('HTTP hygiene', () => {
  let port = 0;
  beforeAll(async () => {
    ({ port } = await serve());
  });

  it('answers a forged cursor with an impossible date 400 INVALID_CURSOR, not 500', async () => {
    const cursor = Buffer.from(
      JSON.stringify({ k: 'l', t: '2026-02-30T00:00:00.000000Z', a: exec.digest }),
    ).toString('base64url');
    const answer = await get(
      port,
      `/v1/agents/${agent}/executions?cursor=${cursor}`,
      `Bearer ${token}`,
    );
    expect([answer.status, answer.code]).toEqual([400, 'INVALID_CURSOR']);
  });

  it('never echoes an overlong path with <script> in it', async () => {
    const path = `/v1/executions/${'a'.repeat(3000)}%3Cscript%3Ealert(1)%3C/script%3E<script>`;
    const answer = await get(port, path);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(answer.code).toBeDefined();
    expect(answer.text).not.toMatch(/script/i);
  });

  it.each([
    [
      'headers too large',
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'HEADERS_TOO_LARGE',
    ],
    ['an unknown method', 'BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'INVALID_ARGUMENT'],
    [
      'a smuggling attempt',
      'POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'INVALID_ARGUMENT',
    ],
    [
      'an oversized body',
      `POST /nope HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{}`,
      413,
      'PAYLOAD_TOO_LARGE',
    ],
    [
      'a JSON body to an unknown route, unparsed',
      'POST /nope HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{bad!',
      404,
      'NOT_FOUND',
    ],
  ])('answers %s with the one error body', async (_what, request, status, code) => {
    const answer = await raw(port, request);
    expect([answer.status, answer.code]).toEqual([status, code]);
  });

  it('answers a wrong method 405 METHOD_NOT_ALLOWED with Allow', async () => {
    const answer = await raw(
      port,
      `DELETE /v1/executions/${exec.executionId} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
    );
    expect([answer.status, answer.code]).toEqual([405, 'METHOD_NOT_ALLOWED']);
    expect(answer.headers.allow).toBe('GET, HEAD');
  });

  it('sends security headers, no-store, and no HSTS without TLS', async () => {
    const answer = await get(port, `/v1/executions/${exec.executionId}`, `Bearer ${token}`);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-security-policy']).toContain("default-src 'none'");
    expect(answer.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(answer.headers['x-content-type-options']).toBe('nosniff');
    expect(answer.headers['referrer-policy']).toBe('no-referrer');
    expect(answer.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(answer.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['strict-transport-security']).toBeUndefined();
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('asks for Bearer on 401 and reads the scheme case-insensitively', async () => {
    const missing = await get(port, `/v1/executions/${exec.executionId}`);
    expect(missing.headers['www-authenticate']).toMatch(/^Bearer /);
    const lower = await get(port, `/v1/executions/${exec.executionId}`, `bearer ${token}`);
    expect(lower.status).toBe(200);
  });

  it.each(['0x10', '1e3', 'Infinity', '+5', ' 5'])(
    'refuses limit=%s as 400 INVALID_ARGUMENT',
    async (limit) => {
      const answer = await get(
        port,
        `/v1/agents/${agent}/executions?limit=${encodeURIComponent(limit)}`,
        `Bearer ${token}`,
      );
      expect([answer.status, answer.code]).toEqual([400, 'INVALID_ARGUMENT']);
    },
  );

  it('allows listed CORS origins only', async () => {
    const { port: withCors } = await serve({ corsOrigins: ['https://audit.example'] });
    const allowed = await get(withCors, '/healthz', undefined, 'Origin: https://audit.example\r\n');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://audit.example');
    const other = await get(withCors, '/healthz', undefined, 'Origin: https://evil.example\r\n');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
