// Defensive readers for attacker-controlled JSON: each returns the typed value or throws `fail()`.

type Fail = (what: string) => Error;

export function asObject(v: unknown, what: string, fail: Fail): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw fail(`${what} is not an object`);
  return v as Record<string, unknown>;
}

export function asString(v: unknown, what: string, fail: Fail, max = 4096): string {
  if (typeof v !== 'string' || v.length > max)
    throw fail(`${what} is not a string of at most ${max} chars`);
  return v;
}

export function asNullableString(v: unknown, what: string, fail: Fail, max = 4096): string | null {
  return v === null ? null : asString(v, what, fail, max);
}

export function asInt(v: unknown, what: string, fail: Fail): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw fail(`${what} is not a non-negative integer`);
  return v;
}

export function asArray(v: unknown, what: string, fail: Fail, max = 10_000): unknown[] {
  if (!Array.isArray(v) || v.length > max)
    throw fail(`${what} is not an array of at most ${max} items`);
  return v;
}

export function asTimestamp(v: unknown, what: string, fail: Fail): string {
  const s = asString(v, what, fail, 40);
  if (
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/.test(s) ||
    Number.isNaN(Date.parse(s))
  ) {
    throw fail(`${what} is not an RFC 3339 UTC timestamp`);
  }
  return s;
}

/** Throws when the object has keys outside `allowed` (closed records: no smuggled fields). */
export function onlyKeys(
  o: Record<string, unknown>,
  allowed: readonly string[],
  what: string,
  fail: Fail,
): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw fail(`${what} has unknown field ${k}`);
}
