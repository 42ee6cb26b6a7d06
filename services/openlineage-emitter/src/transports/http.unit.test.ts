import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunEvent } from '@lineage/openlineage';
import { httpTransport } from './http.js';

/** A local OpenLineage receiver: records each request and answers with the next scripted status. */
const requests: { method: string; url: string; auth?: string; type?: string; body: string }[] = [];
let script: number[] = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    requests.push({
      method: req.method!,
      url: req.url!,
      auth: req.headers.authorization,
      type: req.headers['content-type'],
      body: Buffer.concat(chunks).toString('utf8'),
    });
    res.statusCode = script.shift() ?? 201;
    res.end();
  });
});
let url = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  requests.length = 0;
  script = [];
});

const event = { run: { runId: '01900000-0000-7000-8000-000000000000' } } as RunEvent;
const body = '{"eventType":"START"}';
const fast = { minDelayMs: 5, maxDelayMs: 20 };

describe('HTTP transport', () => {
  it('POSTs the exact bytes to /api/v1/lineage with the bearer token', async () => {
    const t = httpTransport({ url, apiKey: 'secret-token', ...fast });
    expect(await t.send(event, body)).toEqual({ type: 'sent' });
    expect(requests).toEqual([
      {
        method: 'POST',
        url: '/api/v1/lineage',
        auth: 'Bearer secret-token',
        type: 'application/json',
        body,
      },
    ]);
  });

  it('sends no Authorization header without a key', async () => {
    await httpTransport({ url, ...fast }).send(event, body);
    expect(requests[0]!.auth).toBeUndefined();
  });

  it('retries 5xx, 408 and 429 with back-off until the receiver accepts', async () => {
    script = [503, 429, 408, 500, 200];
    const t = httpTransport({ url, retries: 5, ...fast });
    expect(await t.send(event, body)).toEqual({ type: 'sent' });
    expect(requests).toHaveLength(5);
    expect(new Set(requests.map((r) => r.body))).toEqual(new Set([body]));
    expect(t.deadLetters).toBe(0);
  });

  it('does not retry a refusal (401) and counts it as a dead letter', async () => {
    script = [401, 200];
    const t = httpTransport({ url, apiKey: 'wrong', retries: 5, ...fast });
    const outcome = await t.send(event, body);
    expect(outcome.type).toBe('dead-letter');
    expect(requests).toHaveLength(1);
    expect(t.deadLetters).toBe(1);
  });

  it('gives up after the retries and counts a dead letter per event', async () => {
    script = Array<number>(10).fill(500);
    const t = httpTransport({ url, retries: 2, ...fast });
    expect((await t.send(event, body)).type).toBe('dead-letter');
    expect(requests).toHaveLength(3);
    script = [200];
    expect(await t.send(event, body)).toEqual({ type: 'sent' });
    expect(t.deadLetters).toBe(1);
  });

  it('retries when nothing listens, then dead-letters', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const attempts: number[] = [];
    const t = httpTransport({
      url: `http://127.0.0.1:${port}`,
      retries: 2,
      ...fast,
      onRetry: (_, attempt) => attempts.push(attempt),
    });
    expect((await t.send(event, body)).type).toBe('dead-letter');
    expect(attempts).toEqual([1, 2]);
    expect(t.deadLetters).toBe(1);
  });

  it('refuses a URL that is not http(s)', () => {
    let code: unknown;
    try {
      httpTransport({ url: 'ftp://127.0.0.1/' });
    } catch (e) {
      code = (e as { code?: unknown }).code;
    }
    expect(code).toBe('INVALID_OPTIONS');
  });
});
