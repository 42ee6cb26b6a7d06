declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A UUIDv7 chosen by the emitting agent; decided exactly once, forever. */
export type ExecutionId = Brand<string, 'ExecutionId'>;
/** A SHA-256 digest as 64 lowercase hex characters. */
export type Digest = Brand<string, 'Digest'>;
/** A key id: SHA-256 (hex) of the raw 32-byte Ed25519 public key. */
export type KeyId = Brand<string, 'KeyId'>;

/** The shape of an {@link ExecutionId} (a lowercase UUIDv7), as a JSON Schema / RegExp pattern. */
export const EXECUTION_ID_PATTERN =
  '^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$';
const UUID_V7 = new RegExp(EXECUTION_ID_PATTERN);
const DIGEST = /^[0-9a-f]{64}$/;

/** True when the string is a lowercase RFC 9562 UUID version 7. */
export function isExecutionId(value: unknown): value is ExecutionId {
  return typeof value === 'string' && UUID_V7.test(value);
}

/** True when the string is a lowercase hex SHA-256 digest. */
export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST.test(value);
}

/** True when the string has the shape of a key id. */
export function isKeyId(value: unknown): value is KeyId {
  return isDigest(value);
}

/**
 * Makes a new UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, version and variant bits, and
 * random bits from the supplied source (crypto.getRandomValues by default, available in Node and
 * browsers).
 */
export function newExecutionId(
  now: number = Date.now(),
  random: (bytes: Uint8Array) => Uint8Array = (b) => globalThis.crypto.getRandomValues(b),
): ExecutionId {
  const b = random(new Uint8Array(16));
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` as ExecutionId;
}
