// Small helpers for byte-level and error-code assertions, and the repository's test vectors.
import { readFileSync } from 'node:fs';

/** Reads a JSON file under the repository's `test/vectors/`. */
export function readVector<T>(name: string): T {
  return JSON.parse(
    readFileSync(new URL(`../../../test/vectors/${name}`, import.meta.url), 'utf8'),
  ) as T;
}

/** The bytes of a hex string. */
export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** A copy of bytes with one bit pattern XORed in at `index`. */
export function flipped(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = new Uint8Array(bytes);
  out[index] = out[index]! ^ mask;
  return out;
}

/** `count` evenly spread positions in [0, length), or all of them when there are fewer. */
export function positions(length: number, count: number): number[] {
  if (length <= count) return Array.from({ length }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor((i * length) / count));
}

/** What `fn` threw, as `{ type, code }` (error class name and code), for compact assertions. */
export function errorOf(fn: () => unknown): { type: string; code: unknown } {
  try {
    fn();
  } catch (e) {
    const err = e as { constructor?: { name?: string }; code?: unknown };
    return { type: err?.constructor?.name ?? typeof e, code: err?.code };
  }
  return { type: 'nothing thrown', code: undefined };
}

/** `{...base, ...overrides}` with the keys overridden to undefined dropped. */
export function withOverrides(
  base: Record<string, unknown>,
  overrides: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base, ...overrides };
  for (const k of Object.keys(out)) if (out[k] === undefined) delete out[k];
  return out;
}
