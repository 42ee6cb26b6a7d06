import { describe, expect, it } from 'vitest';
import { LineageQueryError } from './errors.js';
import { createQueryClient } from './query.js';

// Given a fake fetch standing in for the query API, when the client calls it, then requests carry the
// token and encoded arguments, and every non-2xx answer becomes a LineageQueryError with code and status.

const ID = '01936c3e-4c1a-7b2e-9f00-000000000001';

function fakeFetch(answer: (url: URL, init: RequestInit) => Response) {
  const calls: { url: URL; init: RequestInit }[] = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input));
    calls.push({ url, init });
    return answer(url, init);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('createQueryClient', () => {
  it('sends the bearer token and the paging arguments', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { items: [], next: null }));
    const client = createQueryClient({ baseUrl: 'http://api.test/', token: 'tok', fetch });
    await client.ancestors(ID, { depth: 3, limit: 10, cursor: 'c1' });
    expect(calls[0]!.url.pathname).toBe(`/v1/executions/${ID}/ancestors`);
    expect(Object.fromEntries(calls[0]!.url.searchParams)).toEqual({
      depth: '3',
      limit: '10',
      cursor: 'c1',
    });
    expect(new Headers(calls[0]!.init.headers).get('authorization')).toBe('Bearer tok');
  });

  it('leaves out arguments that are not given', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { items: [], next: null }));
    await createQueryClient({ baseUrl: 'http://api.test', token: 't', fetch }).byRuntime(
      'ab'.repeat(32),
    );
    expect(calls[0]!.url.search).toBe('');
  });

  it('encodes hostile path arguments as one segment', async () => {
    const { fetch, calls } = fakeFetch(() =>
      json(400, { error: { code: 'INVALID_ARGUMENT', message: 'x' } }),
    );
    const client = createQueryClient({ baseUrl: 'http://api.test', token: 't', fetch });
    await expect(client.show('../../etc/passwd')).rejects.toBeInstanceOf(LineageQueryError);
    expect(calls[0]!.url.pathname).toBe('/v1/executions/..%2F..%2Fetc%2Fpasswd');
  });

  it.each([
    [401, 'UNAUTHENTICATED'],
    [403, 'FORBIDDEN'],
    [404, 'NOT_FOUND'],
    [400, 'INVALID_CURSOR'],
    [500, 'INTERNAL'],
  ])('turns %i %s into a LineageQueryError with that code and status', async (status, code) => {
    const { fetch } = fakeFetch(() => json(status, { error: { code, message: 'm' } }));
    const client = createQueryClient({ baseUrl: 'http://api.test', token: 't', fetch });
    await expect(client.bundle(ID)).rejects.toMatchObject({
      code,
      status,
      name: 'LineageQueryError',
    });
  });

  it('reports an answer that is not the API error body as BAD_RESPONSE', async () => {
    const { fetch } = fakeFetch(() => new Response('<html>bad gateway</html>', { status: 502 }));
    const client = createQueryClient({ baseUrl: 'http://api.test', token: 't', fetch });
    await expect(client.show(ID)).rejects.toMatchObject({ code: 'BAD_RESPONSE', status: 502 });
    const { fetch: odd } = fakeFetch(() => json(418, { error: { code: 'TEAPOT' } }));
    await expect(
      createQueryClient({ baseUrl: 'http://api.test', token: 't', fetch: odd }).show(ID),
    ).rejects.toMatchObject({ code: 'BAD_RESPONSE', status: 418 });
  });

  it('reports a failed connection as UNAVAILABLE', async () => {
    const fetch = (() => Promise.reject(new TypeError('fetch failed'))) as typeof globalThis.fetch;
    const client = createQueryClient({ baseUrl: 'http://api.test', token: 't', fetch });
    await expect(client.show(ID)).rejects.toMatchObject({ code: 'UNAVAILABLE', status: 0 });
  });

  it('returns the parsed body on success', async () => {
    const { fetch, calls } = fakeFetch(() =>
      json(200, { items: [{ execution_id: ID }], next: 'n' }),
    );
    const page = await createQueryClient({
      baseUrl: 'http://api.test',
      token: 't',
      fetch,
    }).byPolicy('default', 3, { limit: 1 });
    expect(page).toEqual({ items: [{ execution_id: ID }], next: 'n' });
    expect(calls[0]!.url.pathname).toBe('/v1/policies/default/3/executions');
  });
});
