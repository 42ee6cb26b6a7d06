import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { fromBase64, sha256Hex, toBase64, utf8 } from '@lineage/protocol';
import { WitnessError } from './errors.js';

/** The name tlog-witness gives an origin in URLs: its SHA-256, lowercase hex. */
export function originHash(origin: string): string {
  return sha256Hex(utf8(origin));
}

/** The latest checkpoint a witness cosigned for one origin. */
export interface CosignedState {
  origin: string;
  size: number;
  root: Uint8Array;
  /** The checkpoint with the log's signature and the witness's cosignature. */
  note: string;
}

/**
 * One fsynced file per origin (named by the origin's SHA-256, as tlog-witness names origins),
 * replaced atomically: write a temp file, fsync it, rename it over the old one, fsync the folder.
 * After a crash at any instant the file holds either the old state or the new one, never neither.
 */
export class StateFiles {
  constructor(readonly dir: string) {}

  /** Creates the state folder. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  #path(origin: string): string {
    return join(this.dir, `${originHash(origin)}.json`);
  }

  /**
   * The persisted state of `origin`, or null when the witness never cosigned it.
   * @throws WitnessError STATE_CORRUPT when the file exists but is not a state of that origin.
   */
  async read(origin: string): Promise<CosignedState | null> {
    return this.#load(this.#path(origin), origin);
  }

  /**
   * The persisted state of the origin whose SHA-256 hex is `hash`, or null.
   * @throws WitnessError STATE_CORRUPT.
   */
  async readByHash(hash: string): Promise<CosignedState | null> {
    return /^[0-9a-f]{64}$/.test(hash) ? this.#load(join(this.dir, `${hash}.json`), null) : null;
  }

  async #load(path: string, expected: string | null): Promise<CosignedState | null> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      const o = JSON.parse(text) as {
        origin: unknown;
        size: unknown;
        root: unknown;
        note: unknown;
      };
      const root = fromBase64(String(o.root));
      const origin = String(o.origin);
      if (
        (expected !== null && origin !== expected) ||
        !Number.isSafeInteger(o.size) ||
        root.length !== 32
      )
        throw new Error('not a state of this origin');
      if (typeof o.note !== 'string') throw new Error('no note');
      return { origin, size: o.size as number, root, note: o.note };
    } catch (cause) {
      throw new WitnessError('STATE_CORRUPT', `state file ${path} is unreadable`, { cause });
    }
  }

  /** Persists `state` durably before returning. */
  async write(state: CosignedState): Promise<void> {
    const path = this.#path(state.origin);
    const temp = `${path}.tmp`;
    const text = JSON.stringify({ ...state, root: toBase64(state.root) });
    const file = await open(temp, 'w');
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
    const dir = await open(this.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
