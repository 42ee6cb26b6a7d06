import {
  CheckpointError,
  EMPTY_ROOT,
  MerkleError,
  TLOG_SIZE_CONTENT_TYPE,
  bytesEqual,
  cosignLine,
  isNoteKeyName,
  parseAddCheckpoint,
  parseCheckpoint,
  parseSignedNote,
  verifyConsistency,
  verifyNote,
} from '@lineage/protocol';
import type { Checkpoint, Ed25519Verifier, Signer } from '@lineage/protocol';
import { WitnessError } from './errors.js';
import { StateFiles } from './state.js';
import type { CosignedState } from './state.js';

/** How a witness runs. */
export interface WitnessOptions {
  /** Its cosigner key name, e.g. `witness.example.org/w1`. */
  name: string;
  /** Its Ed25519 key (a trust-store key with role `witness`). */
  key: { signer: Signer; publicKey: Uint8Array };
  /** The Ed25519 keys the log of `origin` signs with (key name = origin), or null: not witnessed. */
  logKeys(origin: string): readonly Uint8Array[] | null;
  ed25519: Ed25519Verifier;
  /** Folder of the fsynced state files. */
  stateDir: string;
  /** POSIX seconds now (default: the clock). */
  now?: () => number;
  /** Called once a new state is durable, before the answer is sent (metrics, logs). */
  onPersisted?: (state: CosignedState) => void;
}

/** An HTTP answer: status, content type and body. */
export interface WitnessAnswer {
  status: number;
  contentType: string;
  body: string;
}

const text = (status: number, body: string): WitnessAnswer => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body,
});

/**
 * A c2sp.org/tlog-witness v1.0.0 witness: cosigns a checkpoint (cosignature/v1) only when it is
 * signed by the log's key and consistent with the last checkpoint it cosigned for that origin, and
 * persists the new size before answering. Checks and updates of one origin run one at a time.
 */
export class Witness {
  readonly #state: StateFiles;
  readonly #locks = new Map<string, Promise<unknown>>();

  /** @throws WitnessError INVALID_OPTIONS for a name that is not a note key name. */
  constructor(readonly options: WitnessOptions) {
    if (!isNoteKeyName(options.name))
      throw new WitnessError('INVALID_OPTIONS', 'witness name is not a valid key name');
    this.#state = new StateFiles(options.stateDir);
  }

  /** Creates the state folder. */
  async open(): Promise<void> {
    await this.#state.open();
  }

  /** The latest cosigned note of the origin whose SHA-256 hex is `hash` (monitor retrieval). */
  async checkpoint(hash: string): Promise<WitnessAnswer> {
    const state = await this.#state.readByHash(hash);
    return state === null ? text(404, 'never cosigned\n') : text(200, state.note);
  }

  /** Answers an `add-checkpoint` request body. @throws WitnessError STATE_CORRUPT. */
  async addCheckpoint(body: string): Promise<WitnessAnswer> {
    const request = parseAddCheckpoint(body);
    if (request === null) return text(400, 'malformed add-checkpoint request\n');
    let checkpoint: Checkpoint;
    try {
      checkpoint = parseCheckpoint(parseSignedNote(request.note).text);
    } catch (error) {
      if (error instanceof CheckpointError) return text(400, 'malformed checkpoint\n');
      throw error;
    }
    // The origin must be a log this witness follows.
    const keys = this.options.logKeys(checkpoint.origin);
    if (keys === null) return text(404, 'unknown origin\n');
    // The note must carry a valid signature by one of the log's keys.
    if (!this.#signedByLog(request.note, checkpoint.origin, keys))
      return text(403, 'no valid signature by the log\n');
    if (request.oldSize > checkpoint.size)
      return text(400, 'old size exceeds the checkpoint size\n');
    return this.#serially(checkpoint.origin, () =>
      this.#advance(checkpoint, request.oldSize, request.proof, request.note),
    );
  }

  #signedByLog(note: string, origin: string, keys: readonly Uint8Array[]): boolean {
    let signed = false;
    for (const publicKey of keys) {
      try {
        verifyNote(note, { name: origin, publicKey, ed25519: this.options.ed25519 });
        signed = true;
      } catch (error) {
        if (!(error instanceof CheckpointError)) throw error;
        // A line by a trusted key that does not verify makes the note malformed: refuse it.
        if (error.code === 'SIGNATURE_INVALID') return false;
      }
    }
    return signed;
  }

  // Checks against the persisted state, persists the new one, then cosigns.
  async #advance(
    checkpoint: Checkpoint,
    oldSize: number,
    proof: readonly Uint8Array[],
    note: string,
  ): Promise<WitnessAnswer> {
    const state = await this.#state.read(checkpoint.origin);
    const size = state?.size ?? 0;
    // The client must start from the size this witness last cosigned.
    if (oldSize !== size)
      return { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: `${size}\n` };
    // The new checkpoint must be consistent with the last one cosigned.
    const refusal = inconsistency(state, checkpoint, proof);
    if (refusal !== null) return text(422, `${refusal}\n`);
    const body = parseSignedNote(note).text;
    const line = cosignLine(
      body,
      this.options.name,
      this.options.key.signer,
      this.options.key.publicKey,
      this.#now(),
    );
    const next: CosignedState = { ...checkpoint, note: note + line };
    await this.#state.write(next);
    this.options.onPersisted?.(next);
    return text(200, line);
  }

  #now(): number {
    return this.options.now?.() ?? Math.floor(Date.now() / 1000);
  }

  // Runs `task` after every earlier task of `origin`: check-and-persist is atomic per origin.
  #serially<T>(origin: string, task: () => Promise<T>): Promise<T> {
    const before = this.#locks.get(origin) ?? Promise.resolve();
    const run = before.then(task, task);
    const settled = run.catch(() => undefined);
    this.#locks.set(origin, settled);
    void settled.then(() => {
      if (this.#locks.get(origin) === settled) this.#locks.delete(origin);
    });
    return run;
  }
}

/** Why `checkpoint` is not consistent with the cosigned `state`, or null when it is. */
function inconsistency(
  state: CosignedState | null,
  checkpoint: Checkpoint,
  proof: readonly Uint8Array[],
): string | null {
  // An empty tree must have the empty root.
  if (checkpoint.size === 0 && !bytesEqual(checkpoint.root, EMPTY_ROOT))
    return 'empty tree with a non-empty root';
  // From nothing, no proof is needed and none may be sent.
  if (state === null || state.size === 0) return proof.length === 0 ? null : 'proof from size 0';
  // At the same size, the root must be the same.
  if (state.size === checkpoint.size)
    return bytesEqual(state.root, checkpoint.root) && proof.length === 0
      ? null
      : 'same size, different root';
  // Otherwise the proof must show the old tree is a prefix of the new one.
  try {
    return verifyConsistency(state.size, checkpoint.size, proof, state.root, checkpoint.root)
      ? null
      : 'consistency proof does not verify';
  } catch (error) {
    if (error instanceof MerkleError) return 'malformed consistency proof';
    throw error;
  }
}
