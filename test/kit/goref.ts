// The Go reference verifier (test/reference/verify.go): golang.org/x/mod/sumdb/note and
// sumdb/tlog from Debian's golang-golang-x-mod-dev, built offline in GOPATH mode. `.ci/run`
// installs golang-go and golang-golang-x-mod-dev; without them these tests fail, they never skip.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  checkpointSigners,
  fromBase64,
  noteKeyId,
  sha256Hex,
  toBase64,
  toHex,
} from '@lineage/protocol';
import type { EvidenceBundle, TrustStoreDocument } from '@lineage/protocol';

/** Where Debian's golang-*-dev packages put their sources (GOPATH mode). */
const DEBIAN_GOPATH = '/usr/share/gocode';
const SOURCE = join(import.meta.dirname, '..', 'reference', 'verify.go');

/** A note for the Go verifier: the log's vkey and the cosigners whose cosignature it requires. */
export interface GoNote {
  note: string;
  vkey: string;
  cosigners: { name: string; key: string }[];
}

/** What the Go verifier checks. */
export interface GoInput {
  notes: GoNote[];
  inclusion: { leaf: string; index: number; note: string; proof: string[] }[];
  consistency: { old: string; new: string; proof: string[] }[];
  /**
   * Logs as a tlog-tiles client fetched them: tree size and root (base64), hash tiles by their path
   * after `tile/` (base64), and the entries in order (base64), each proven from the tiles.
   */
  tiled?: { size: number; root: string; tiles: Record<string, string>; entries: string[] }[];
}

/** The golang.org/x/mod/sumdb/note verifier key of an Ed25519 note key `name`. */
export function goVerifierKey(name: string, publicKey: Uint8Array): string {
  const typed = new Uint8Array([0x01, ...publicKey]);
  return `${name}+${toHex(noteKeyId(name, publicKey))}+${toBase64(typed)}`;
}

/** Builds the Go verifier once into a temp directory and returns its path. */
export async function buildGoVerifier(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lineage-goref-'));
  const out = join(dir, 'verify');
  const env = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH: DEBIAN_GOPATH,
    GOFLAGS: '',
    GOCACHE: join(dir, 'cache'),
  };
  await promisify(execFile)('go', ['build', '-o', out, SOURCE], { env });
  return out;
}

/** Runs the Go verifier on `input`: its exit code and its one-line summary or failure. */
export function runGoVerifier(
  binary: string,
  input: GoInput,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out: out.trim() }));
    child.stdin.end(JSON.stringify(input));
  });
}

/**
 * What the Go verifier checks of an evidence bundle: every checkpoint note with the log's key (the
 * trust store's governance key whose name-is-origin signature it carries) and the cosignatures of
 * the log and of the policy's witnesses, and every inclusion proof with its attestation's payload.
 */
export function goInputOfBundle(bundle: EvidenceBundle, trust: TrustStoreDocument): GoInput {
  const governance = trust.keys.filter((k) => k.roles.includes('governance'));
  const witnesses = trust.keys.filter((k) => trust.witness_policy?.witnesses.includes(k.keyid));
  const notes = (bundle.checkpoints ?? []).map((note): GoNote => {
    const origin = note.slice(0, note.indexOf('\n'));
    // Which governance key signed is read from the key IDs; Go checks the signatures.
    const signers = checkpointSigners(note, governance);
    const log = governance.find((k) => signers.includes(k.keyid))!;
    const key = fromBase64(log.public_key);
    return {
      note,
      vkey: goVerifierKey(origin, key),
      cosigners: [
        { name: origin, key: log.public_key },
        ...witnesses.map((w) => ({ name: w.name!, key: w.public_key })),
      ],
    };
  });
  const payloads = new Map(
    bundle.attestations.map((e) => [sha256Hex(fromBase64(e.payload)), e.payload]),
  );
  const inclusion = (bundle.proofs ?? []).map((p) => ({
    leaf: payloads.get(p.attestation)!,
    index: p.index,
    note: bundle.checkpoints![p.checkpoint]!,
    proof: p.hashes,
  }));
  return { notes, inclusion, consistency: [] };
}
