import { concatBytes, fromBase64, toBase64, utf8 } from './bytes.js';
import type { Signer } from './ed25519.js';
import { ProtocolError, VerificationError } from '../errors.js';
import { asArray, asObject, asString } from './shape.js';

/** An envelope with its payload and signatures as bytes (the Avro wire form uses these names). */
export interface RawEnvelope {
  payload_type: string;
  payload: Uint8Array;
  signatures: { keyid: string; sig: Uint8Array }[];
}

/** The standard DSSE JSON envelope (payload and signatures base64), the evidence form. */
export interface DsseEnvelope {
  payloadType: string;
  payload: string;
  signatures: { keyid: string; sig: string }[];
}

/**
 * DSSE v1 pre-authentication encoding:
 * `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths as ASCII decimal byte counts.
 */
export function pae(payloadType: string, payload: Uint8Array): Uint8Array {
  const prefix = paePrefix(payloadType);
  const length = String(payload.length);
  // One buffer written once: `DSSEv1 LEN(type) type `, the body's length in ASCII digits, SP, body.
  const out = new Uint8Array(prefix.length + length.length + 1 + payload.length);
  out.set(prefix);
  let o = prefix.length;
  for (let i = 0; i < length.length; i++) out[o++] = length.charCodeAt(i);
  out[o++] = 0x20;
  out.set(payload, o);
  return out;
}

// `DSSEv1 LEN(type) type ` of the last payload type: a service signs and checks one or two all day.
let lastPrefix: { type: string; bytes: Uint8Array } | undefined;
function paePrefix(payloadType: string): Uint8Array {
  if (lastPrefix?.type === payloadType) return lastPrefix.bytes;
  const type = utf8(payloadType);
  const bytes = concatBytes(utf8(`DSSEv1 ${type.length} `), type, utf8(' '));
  lastPrefix = { type: payloadType, bytes };
  return bytes;
}

/** Signs a payload into a one-signature envelope. */
export function signEnvelope(
  payloadType: string,
  payload: Uint8Array,
  signer: Signer,
): RawEnvelope {
  return {
    payload_type: payloadType,
    payload,
    signatures: [{ keyid: signer.keyid, sig: signer.sign(pae(payloadType, payload)) }],
  };
}

/** Converts a wire envelope to the DSSE JSON form. */
export function toDsse(env: RawEnvelope): DsseEnvelope {
  return {
    payloadType: env.payload_type,
    payload: toBase64(env.payload),
    signatures: env.signatures.map((s) => ({ keyid: s.keyid, sig: toBase64(s.sig) })),
  };
}

/**
 * Reads a DSSE JSON envelope from untrusted JSON.
 * @throws VerificationError ENVELOPE_MALFORMED.
 */
export function fromDsse(value: unknown): RawEnvelope {
  const fail = (what: string) => new VerificationError('ENVELOPE_MALFORMED', what);
  try {
    const o = asObject(value, 'envelope', fail);
    const sigs = asArray(o.signatures, 'signatures', fail, 16).map((s, i) => {
      const so = asObject(s, `signatures[${i}]`, fail);
      return {
        keyid: asString(so.keyid, 'keyid', fail, 256),
        sig: fromBase64(asString(so.sig, 'sig', fail, 256)),
      };
    });
    return {
      payload_type: asString(o.payloadType, 'payloadType', fail, 256),
      payload: fromBase64(asString(o.payload, 'payload', fail, 16 << 20)),
      signatures: sigs,
    };
  } catch (e) {
    if (e instanceof VerificationError) throw e;
    throw new VerificationError(
      'ENVELOPE_MALFORMED',
      e instanceof ProtocolError ? e.message : 'malformed envelope',
      { cause: e },
    );
  }
}
