// Verifies a real attestation with the OpenSSL command-line tool: ARCHITECTURE.md §2 promises that
// anyone with the public key can check an attestation with any Ed25519 implementation, no project
// code needed. It only spawns a local `openssl` (3.x, for `pkeyutl -rawin`); no network.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ATTESTATION_PAYLOAD_TYPE, pae } from '../index.js';
import { flipped, makeAttestation, testKey } from '@lineage/testkit';
import type { Attestation, TestKey } from '@lineage/testkit';

let dir: string;
let governance: TestKey;
let attestation: Attestation;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lineage-openssl-'));
  // The key is made by node:crypto and handed to openssl only as a PEM public key.
  const { privateKey } = crypto.generateKeyPairSync('ed25519');
  const seed = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(-32));
  governance = testKey(seed);
  attestation = makeAttestation({ governance, agent: testKey() });
  writeFileSync(
    join(dir, 'pub.pem'),
    crypto.createPublicKey(privateKey).export({ format: 'pem', type: 'spki' }),
  );
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function opensslVerify(
  paeBytes: Uint8Array,
  sig: Uint8Array,
): { status: number | null; out: string } {
  writeFileSync(join(dir, 'pae.bin'), paeBytes);
  writeFileSync(join(dir, 'sig.bin'), sig);
  const r = spawnSync(
    'openssl',
    [
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      'pub.pem',
      '-rawin',
      '-in',
      'pae.bin',
      '-sigfile',
      'sig.bin',
    ],
    {
      cwd: dir,
      encoding: 'utf8',
    },
  );
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('openssl verifies a Lineage attestation without any project code', () => {
  it('openssl 3 is installed', () => {
    const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^OpenSSL 3\./);
  });

  it('accepts the signature over PAE(application/vnd.in-toto+json, canonical statement)', () => {
    const { envelope } = attestation;
    expect(envelope.payload_type).toBe(ATTESTATION_PAYLOAD_TYPE);
    const r = opensslVerify(
      pae(envelope.payload_type, envelope.payload),
      envelope.signatures[0]!.sig,
    );
    expect(r.out).toContain('Signature Verified Successfully');
    expect(r.status).toBe(0);
  });

  it('refuses it when one payload byte is flipped', () => {
    const { envelope } = attestation;
    const r = opensslVerify(
      pae(envelope.payload_type, flipped(envelope.payload, 100)),
      envelope.signatures[0]!.sig,
    );
    expect(r.status).not.toBe(0);
    expect(r.out).not.toContain('Signature Verified Successfully');
  });

  it('refuses it when one signature byte is flipped', () => {
    const { envelope } = attestation;
    const r = opensslVerify(
      pae(envelope.payload_type, envelope.payload),
      flipped(envelope.signatures[0]!.sig, 5),
    );
    expect(r.status).not.toBe(0);
  });

  it('refuses the bare payload (the signature covers the PAE, not the payload alone)', () => {
    const { envelope } = attestation;
    const r = opensslVerify(envelope.payload, envelope.signatures[0]!.sig);
    expect(r.status).not.toBe(0);
  });
});
