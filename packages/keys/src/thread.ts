import { Worker } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import type { SignatureCheck } from '@lineage/protocol';

// The thread's code: plain CommonJS over node:crypto, so it loads the same from sources and `dist`.
// A key is registered once. A job packs a batch's byte strings into one buffer (with their end
// offsets) that is moved, not copied, between the threads, and so is the answer.
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createPublicKey, sign, verify } = require('node:crypto');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const signers = new Map();
const publicKeys = new Map();
const publicKey = (raw) => {
  const id = raw.toString('base64');
  let key = publicKeys.get(id);
  if (key === undefined) {
    try {
      key = raw.length === 32 ? createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' }) : null;
    } catch {
      key = null;
    }
    if (publicKeys.size > 10000) publicKeys.clear();
    publicKeys.set(id, key);
  }
  return key;
};
const part = (job, i) => Buffer.from(job.bytes.buffer, job.bytes.byteOffset + job.ends[i - 1], job.ends[i] - job.ends[i - 1]);
const signAll = (job) => {
  const n = job.ends.length - 1;
  const out = new Uint8Array(64 * n);
  for (let i = 1; i <= n; i++) out.set(sign(null, part(job, i), signers.get(job.key)), 64 * (i - 1));
  return out;
};
const verifyAll = (job) => {
  const n = (job.ends.length - 1) / 3;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const signature = part(job, 3 * i + 1);
    const key = publicKey(part(job, 3 * i + 3));
    out[i] = key !== null && signature.length === 64 && verify(null, part(job, 3 * i + 2), key, signature) ? 1 : 0;
  }
  return out;
};
parentPort.on('message', (job) => {
  try {
    if (job.register !== undefined) return signers.set(job.register, job.key);
    const result = job.key !== undefined ? signAll(job) : verifyAll(job);
    parentPort.postMessage({ id: job.id, result }, [result.buffer]);
  } catch (error) {
    parentPort.postMessage({ id: job.id, error: String(error) });
  }
});
`;

/** Byte strings packed end to end, with their end offsets (`ends[0]` is 0). */
interface Packed {
  bytes: Uint8Array;
  ends: Uint32Array;
}

function pack(parts: readonly Uint8Array[]): Packed {
  const ends = new Uint32Array(parts.length + 1);
  parts.forEach((p, i) => (ends[i + 1] = ends[i]! + p.length));
  const bytes = new Uint8Array(ends[parts.length]!);
  parts.forEach((p, i) => bytes.set(p, ends[i]));
  return { bytes, ends };
}

interface Reply {
  id: number;
  result?: Uint8Array;
  error?: string;
}

/**
 * One Ed25519 thread for the process: a batch's signatures (or signature checks) go to it in one
 * message and come back in one, so the event loop pays one hop per batch instead of one thread-pool
 * job per signature. The thread never keeps the process alive; if it dies, the batches waiting on
 * it fail and the next batch starts a new one.
 */
class Ed25519Thread {
  private worker: Worker | undefined;
  private readonly waiting = new Map<
    number,
    { resolve(r: Uint8Array): void; reject(e: Error): void }
  >();
  private readonly keys = new Map<KeyObject, number>();
  private next = 0;

  /** Ed25519 signatures of `messages` with `key`, in order. */
  async sign(key: KeyObject, messages: readonly Uint8Array[]): Promise<Uint8Array[]> {
    const thread = this.thread();
    let id = this.keys.get(key);
    if (id === undefined) {
      id = this.keys.size;
      this.keys.set(key, id);
      thread.postMessage({ register: id, key });
    }
    const signatures = await this.post(thread, pack(messages), id);
    return messages.map((_, i) => signatures.subarray(64 * i, 64 * (i + 1)));
  }

  /** Whether each check's signature verifies, in order (a malformed key or signature: false). */
  async verify(checks: readonly SignatureCheck[]): Promise<boolean[]> {
    const parts = checks.flatMap((c) => [c.signature, c.message, c.publicKey]);
    const verified = await this.post(this.thread(), pack(parts));
    return checks.map((_, i) => verified[i] === 1);
  }

  private post(thread: Worker, packed: Packed, key?: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const id = this.next++;
      this.waiting.set(id, { resolve, reject });
      thread.postMessage({ id, key, ...packed }, [packed.bytes.buffer, packed.ends.buffer]);
    });
  }

  private thread(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(THREAD_SOURCE, { eval: true });
    worker.on('message', (reply: Reply) => {
      const waiting = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (reply.error !== undefined) waiting?.reject(new Error(reply.error));
      else waiting?.resolve(reply.result!);
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.keys.clear();
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the Ed25519 thread exited with ${code}`)));
    // After the listeners: adding a 'message' listener refs the worker again, and a referenced
    // thread would keep a stopped service's process alive.
    worker.unref();
    this.worker = worker;
    return worker;
  }
}

let shared: Ed25519Thread | undefined;

/** The process's Ed25519 thread, started on first use. */
export function ed25519Thread(): Ed25519Thread {
  shared ??= new Ed25519Thread();
  return shared;
}
export type { Ed25519Thread };
