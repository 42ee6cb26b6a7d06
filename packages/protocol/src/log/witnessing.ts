import { fromBase64, toBase64 } from '../encoding/bytes.js';

/** An `add-checkpoint` request body (c2sp.org/tlog-witness): old size, proof, checkpoint note. */
export interface AddCheckpointRequest {
  oldSize: number;
  proof: Uint8Array[];
  note: string;
}

/** The spec lets a client send at most this many consistency proof lines. */
const MAX_PROOF_LINES = 63;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/**
 * Parses an `add-checkpoint` body, or returns null when it is not one (the witness answers 400).
 * Attacker-controlled: never throws.
 */
export function parseAddCheckpoint(body: string): AddCheckpointRequest | null {
  const blank = body.indexOf('\n\n');
  if (blank < 0) return null;
  const [oldLine, ...proofLines] = body.slice(0, blank).split('\n');
  // The old size line is `old <decimal>`, canonical and a safe integer.
  const oldText = oldLine?.startsWith('old ') ? oldLine.slice(4) : '';
  if (!DECIMAL.test(oldText) || !Number.isSafeInteger(Number(oldText))) return null;
  if (proofLines.length > MAX_PROOF_LINES) return null;
  const proof: Uint8Array[] = [];
  for (const line of proofLines) {
    // Each proof line is the base64 of one 32-byte hash.
    try {
      const hash = fromBase64(line);
      if (hash.length !== 32) return null;
      proof.push(hash);
    } catch {
      return null;
    }
  }
  return { oldSize: Number(oldText), proof, note: body.slice(blank + 2) };
}

/** The content type of a 409 answer: the witness's size for the origin, in decimal. */
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

/** The `add-checkpoint` body a log sends: old size, the consistency proof, then the note. */
export function formatAddCheckpoint(request: AddCheckpointRequest): string {
  const proof = request.proof.map((h) => `${toBase64(h)}\n`).join('');
  return `old ${request.oldSize}\n${proof}\n${request.note}`;
}
