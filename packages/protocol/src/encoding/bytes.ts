import { EncodingError } from '../errors.js';

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/**
 * The platform's native byte buffer where there is one (Node's global Buffer), found at run time
 * so this module imports nothing; browsers use the portable code below.
 */
interface NativeBytes {
  from(bytes: ArrayBufferLike, offset: number, length: number): { toString(enc: 'base64'): string };
  from(text: string, enc: 'base64'): Uint8Array & { toString(enc: 'base64'): string };
}
const native = (globalThis as { Buffer?: NativeBytes }).Buffer;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 encodes a string. */
export function utf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Strictly decodes UTF-8; throws EncodingError NOT_UTF8 on any invalid sequence. */
export function fromUtf8(bytes: Uint8Array): string {
  try {
    return utf8Decoder.decode(bytes);
  } catch (cause) {
    throw new EncodingError('NOT_UTF8', 'bytes are not valid UTF-8', { cause });
  }
}

/** Standard padded base64 (RFC 4648 §4). */
export function toBase64(bytes: Uint8Array): string {
  if (native !== undefined)
    return native.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + '=';
  }
  return out;
}

/**
 * Decodes standard padded base64, rejecting anything non-canonical (bad length, stray characters,
 * non-zero padding bits) so one byte string has exactly one text form. Throws EncodingError BAD_BASE64.
 */
export function fromBase64(text: string): Uint8Array {
  // Attacker-controlled: validate every character instead of trusting a lenient decoder.
  if (typeof text !== 'string' || text.length % 4 !== 0) {
    throw new EncodingError('BAD_BASE64', 'base64 length is not a multiple of 4');
  }
  // The native decoder is lenient; text it encodes back to itself is the canonical form of what
  // it decoded, so only that is taken from it. Anything else is judged (and refused) below.
  if (native !== undefined) {
    const decoded = native.from(text, 'base64');
    if (decoded.toString('base64') === text)
      return new Uint8Array(decoded.buffer, decoded.byteOffset, decoded.length);
  }
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const c = text.charCodeAt(i + j);
      const isPad = c === 61 && i + 4 === text.length && j >= 4 - pad;
      const v = isPad ? 0 : c < 128 ? B64_INDEX[c]! : -1;
      if (v < 0) throw new EncodingError('BAD_BASE64', `invalid base64 character at ${i + j}`);
      n = (n << 6) | v;
    }
    const bytes = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
    const take = i + 4 === text.length ? 3 - pad : 3;
    if (take < 3 && bytes.slice(take).some((b) => b !== 0)) {
      throw new EncodingError('BAD_BASE64', 'non-zero base64 padding bits');
    }
    for (let k = 0; k < take; k++) out[o++] = bytes[k]!;
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]!;
  return out;
}

/** Decodes lowercase hex; throws EncodingError BAD_HEX on odd length or other characters. */
export function fromHex(text: string): Uint8Array {
  if (typeof text !== 'string' || text.length % 2 !== 0 || !/^[0-9a-f]*$/.test(text)) {
    throw new EncodingError('BAD_HEX', 'not lowercase hex of even length');
  }
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Concatenates byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Constant-shape byte equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
