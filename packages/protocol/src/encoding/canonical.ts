import canonicalizeLib from 'canonicalize';
import { fromUtf8, utf8 } from './bytes.js';
import { EncodingError } from '../errors.js';

/** A value that may appear in signed content: no floats, no 64-bit numbers, no undefined. */
export type JsonValue =
  string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Limits applied when reading canonical JSON from untrusted bytes. */
export interface CanonicalLimits {
  /** Maximum payload size in bytes. */
  maxBytes: number;
  /** Maximum nesting depth of arrays and objects. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: CanonicalLimits = { maxBytes: 1 << 20, maxDepth: 32 };

// canonicalize 4.x emits invalid JSON for functions and throws a bare Error on BigInt (ARCHITECTURE.md
// §6), so every value is checked against this narrower model before it reaches the library.
function assertSigned(value: unknown, depth: number, limits: CanonicalLimits, path: string): void {
  if (depth > limits.maxDepth)
    throw new EncodingError('TOO_DEEP', `nesting deeper than ${limits.maxDepth} at ${path}`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') {
    if (typeof value === 'string' && hasLoneSurrogate(value)) {
      throw new EncodingError('UNSUPPORTED_VALUE', `lone surrogate in string at ${path}`);
    }
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || Object.is(value, -0)) {
      throw new EncodingError(
        'UNSUPPORTED_VALUE',
        `number at ${path} is not a safe integer (use a string)`,
      );
    }
    return;
  }
  if (Array.isArray(value)) {
    // Plain arrays only: a toJSON property would make the library sign something else.
    if (Object.getPrototypeOf(value) !== Array.prototype || 'toJSON' in value) {
      throw new EncodingError('UNSUPPORTED_VALUE', `array at ${path} is not a plain array`);
    }
    // Indexed loop, not forEach: holes in sparse arrays must be visited (and rejected) too.
    for (let i = 0; i < value.length; i++)
      assertSigned(value[i], depth + 1, limits, `${path}[${i}]`);
    return;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [k, v] of Object.entries(value)) {
      if (hasLoneSurrogate(k))
        throw new EncodingError('UNSUPPORTED_VALUE', `lone surrogate in key at ${path}`);
      assertSigned(v, depth + 1, limits, `${path}.${k}`);
    }
    return;
  }
  throw new EncodingError(
    'UNSUPPORTED_VALUE',
    `value of type ${typeof value} at ${path} cannot be signed`,
  );
}

function hasLoneSurrogate(s: string): boolean {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
}

/** Thrown by the one-pass writer at a value it will not write; {@link assertSigned} says why. */
const REFUSED = new Error('refused');

/** Characters a JSON string escapes, and surrogates (which may be lone). */
const SPECIAL = /["\\\u0000-\u001f\ud800-\udfff]/;

// A string as canonical JSON: what JSON.stringify writes (RFC 8785 §3.2.2.2). Most strings (ids,
// base64, digests) hold nothing to escape and are written as they are. JSON.stringify writes a
// lone surrogate as a \udXXX escape, so only strings whose text holds "\ud" need the precise check.
function quote(s: string): string {
  if (!SPECIAL.test(s)) return '"' + s + '"';
  const text = JSON.stringify(s);
  if (text.includes('\\ud') && hasLoneSurrogate(s)) throw REFUSED;
  return text;
}

// One pass over the value: checks it against the signed-value model and writes it, keys sorted by
// UTF-16 code units (RFC 8785 §3.2.3). Any refusal is left to assertSigned to explain.
function write(value: unknown, depth: number, maxDepth: number): string {
  if (depth > maxDepth) throw REFUSED;
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || Object.is(value, -0)) throw REFUSED;
    return String(value);
  }
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value !== 'object') throw REFUSED;
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype || 'toJSON' in value) throw REFUSED;
    let out = '[';
    for (let i = 0; i < value.length; i++)
      out += (i === 0 ? '' : ',') + write(value[i], depth + 1, maxDepth);
    return out + ']';
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) throw REFUSED;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += (i === 0 ? '' : ',') + quote(k) + ':' + write(o[k], depth + 1, maxDepth);
  }
  return out + '}';
}

/**
 * Serialises a value as RFC 8785 canonical JSON text, checking it and writing it in one pass.
 * @throws EncodingError UNSUPPORTED_VALUE (floats, -0, unsafe integers, BigInt, functions, class
 *   instances, lone surrogates) or TOO_DEEP.
 */
export function canonicalize(value: unknown, limits: CanonicalLimits = DEFAULT_LIMITS): string {
  try {
    return write(value, 0, limits.maxDepth);
  } catch (error) {
    if (error !== REFUSED) throw error;
  }
  // The checking pass names what was refused and where; the library is the reference writer.
  assertSigned(value, 0, limits, '$');
  const text = canonicalizeLib(value);
  if (text === undefined) throw new EncodingError('UNSUPPORTED_VALUE', 'value has no JSON form');
  return text;
}

/** RFC 8785 canonical JSON as UTF-8 bytes. Throws as {@link canonicalize}. */
export function canonicalBytes(
  value: unknown,
  limits: CanonicalLimits = DEFAULT_LIMITS,
): Uint8Array {
  return utf8(canonicalize(value, limits));
}

/**
 * Parses bytes that must already be canonical JSON. Anything else — invalid UTF-8, invalid JSON,
 * duplicate keys, whitespace, unsorted keys, non-canonical numbers or escapes, floats — is refused,
 * so one signed value has exactly one byte form.
 * @throws EncodingError TOO_LARGE, NOT_UTF8, NOT_JSON, NOT_CANONICAL, UNSUPPORTED_VALUE, TOO_DEEP.
 */
export function parseCanonical(
  bytes: Uint8Array,
  limits: CanonicalLimits = DEFAULT_LIMITS,
): JsonValue {
  if (bytes.length > limits.maxBytes) {
    throw new EncodingError(
      'TOO_LARGE',
      `payload of ${bytes.length} bytes exceeds ${limits.maxBytes}`,
    );
  }
  const text = fromUtf8(bytes);
  let value: unknown;
  // Attacker-controlled: JSON.parse's SyntaxError becomes a typed error.
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new EncodingError('NOT_JSON', 'payload is not JSON', { cause });
  }
  // Re-serialising and comparing catches duplicate keys (JSON.parse keeps the last one silently).
  if (canonicalize(value, limits) !== text) {
    throw new EncodingError('NOT_CANONICAL', 'payload is JSON but not RFC 8785 canonical');
  }
  return value as JsonValue;
}
