// The Go reference verifier (test/reference/verify.go): golang.org/x/mod/sumdb/note and
// sumdb/tlog from Debian's golang-golang-x-mod-dev, built offline in GOPATH mode. `.ci/run`
// installs golang-go and golang-golang-x-mod-dev; without them these tests fail, they never skip.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { noteKeyId, toBase64, toHex } from '@lineage/protocol';

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
