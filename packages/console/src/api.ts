import { ROUTES } from '@lineage/contract';
import type { OperationId, ResponseOf } from '@lineage/contract';

const TOKEN_KEY = 'lineage.console.token';

/**
 * The API token of this tab: in `sessionStorage` (gone when the tab closes, never in a URL or a
 * cookie), sent only as a bearer header to the origin that served the page.
 */
export const session = {
  token: (): string | null => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token: string): void => sessionStorage.setItem(TOKEN_KEY, token.trim()),
  signOut: (): void => sessionStorage.removeItem(TOKEN_KEY),
};

/** An answer other than 200: the API's error code (`UNAUTHENTICATED`, `NOT_FOUND`, …) and status. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | null | undefined>;
const RETRIES = 6;

/** The path of an operation with its parameters filled in (each URI-encoded). */
function pathOf(operation: OperationId, params: Record<string, string | number>): string {
  return ROUTES[operation].path.replace(/:([A-Za-z]+)/g, (_, name: string) =>
    encodeURIComponent(String(params[name])),
  );
}

/**
 * Calls an API operation on this page's origin with the session's token. Busy answers (429, 503)
 * are retried after their `Retry-After`.
 * @throws ApiError with the API's code; UNAUTHENTICATED without a token.
 */
export async function call<K extends OperationId>(
  operation: K,
  params: Record<string, string | number>,
  query: Query = {},
): Promise<ResponseOf<K>> {
  const token = session.token();
  if (token === null) throw new ApiError('UNAUTHENTICATED', 401, 'not signed in');
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query))
    if (v !== undefined && v !== null) search.set(k, String(v));
  const url = pathOf(operation, params) + (search.size > 0 ? `?${search}` : '');
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
    if (response.ok) return (await response.json()) as ResponseOf<K>;
    if ((response.status === 429 || response.status === 503) && attempt < RETRIES) {
      const seconds = Number(response.headers.get('retry-after') ?? '1');
      await new Promise((resolve) => setTimeout(resolve, Math.min(seconds, 5) * 1000));
      continue;
    }
    const body = (await response.json().catch(() => null)) as {
      error?: { code?: string; message?: string };
    } | null;
    throw new ApiError(
      body?.error?.code ?? 'BAD_RESPONSE',
      response.status,
      body?.error?.message ?? `the API answered ${response.status}`,
    );
  }
}

/** Runs `work` over `items`, at most `width` at a time (the API caps heavy requests per token). */
export async function eachLimited<T>(
  items: readonly T[],
  width: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}
