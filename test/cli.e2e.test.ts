import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { fromBase64, toBase64 } from '@lineage/protocol';
import type { DsseEnvelope, EvidenceBundle, TrustStoreDocument } from '@lineage/protocol';

const run = promisify(execFile);
const CLI = ['tsx', 'packages/cli/src/main.ts'];

async function lineage(...args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run('npx', [...CLI, ...args], {
      env: { ...process.env, KAFKA_BROKERS: inject('brokers').join(',') },
    });
    return { code: 0, out: stdout + stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, out: err.stdout + err.stderr };
  }
}

let dir: string;
let bundle: EvidenceBundle;
const TRUST = '.lineage/demo/truststore.json';

async function tampered(name: string, edit: (b: EvidenceBundle) => void): Promise<string> {
  const copy = structuredClone(bundle);
  edit(copy);
  const path = join(dir, `${name}.json`);
  await writeFile(path, JSON.stringify(copy));
  return path;
}
const payloadOf = (b: EvidenceBundle, i: number) =>
  JSON.parse(new TextDecoder().decode(fromBase64(b.attestations[i]!.payload)));

describe('the demo, end to end, and its evidence', () => {
  beforeAll(async () => {
    const demo = await lineage('demo');
    expect(demo.code, demo.out).toBe(0);
    expect(demo.out).toContain('9/9 verify with only the public keys');
    expect(demo.out).toContain('replay_rejection deny REPLAY_EXECUTION_ID');
    expect(demo.out).toContain('PARENT_NOT_ALLOWED');
    bundle = JSON.parse(await readFile('.lineage/demo/evidence.json', 'utf8'));
    dir = await mkdtemp(join(tmpdir(), 'lineage-e2e-'));
  });

  it('accepts the untouched bundle and the single envelope (exit 0)', async () => {
    expect((await lineage('verify', '.lineage/demo/evidence.json', '--trust', TRUST)).code).toBe(0);
    expect((await lineage('verify', '.lineage/demo/attestation.json', '--trust', TRUST)).code).toBe(
      0,
    );
  });

  it.each([
    [
      'a payload byte flipped',
      (b: EvidenceBundle) => {
        const p = fromBase64(b.attestations[0]!.payload);
        p[40]! ^= 1;
        b.attestations[0]!.payload = toBase64(p);
      },
      'SIGNATURE_INVALID',
    ],
    [
      "a signature swapped for another attestation's",
      (b: EvidenceBundle) => {
        b.attestations[0]!.signatures = b.attestations[1]!.signatures;
      },
      'SIGNATURE_INVALID',
    ],
    [
      'an ancestor removed',
      (b: EvidenceBundle) => {
        b.attestations.splice(2, 1);
      },
      'ANCESTOR_MISSING',
    ],
    [
      'a key replaced',
      (b: EvidenceBundle) => {
        const k = b.keys.find((x) => x.roles.includes('governance'))!;
        k.public_key = b.keys.find((x) => x.roles.includes('agent'))!.public_key;
      },
      'BUNDLE_MALFORMED',
    ],
    [
      'a decision changed',
      (b: EvidenceBundle) => {
        const s = payloadOf(b, 0);
        s.predicate.decision = 'deny';
        b.attestations[0]!.payload = toBase64(new TextEncoder().encode(JSON.stringify(s)));
      },
      'SIGNATURE_INVALID',
    ],
    [
      'the policy document edited',
      (b: EvidenceBundle) => {
        (b.policies[0]!.document as { version: number }).version = 99;
      },
      'POLICY_HASH_MISMATCH',
    ],
  ])('rejects the bundle with %s (exit 1 and the reason code)', async (name, edit, code) => {
    const result = await lineage(
      'verify',
      await tampered(name.replace(/\W+/g, '-'), edit),
      '--trust',
      TRUST,
    );
    expect(result.code, result.out).toBe(1);
    expect(result.out).toContain(code);
  });

  it('openssl alone verifies the attestation governance issued (no code of ours)', async () => {
    const envelope = JSON.parse(
      await readFile('.lineage/demo/attestation.json', 'utf8'),
    ) as DsseEnvelope;
    const trust = JSON.parse(await readFile(TRUST, 'utf8')) as TrustStoreDocument;
    const key = trust.keys.find((k) => k.keyid === envelope.signatures[0]!.keyid)!;
    const spki = Buffer.concat([
      Buffer.from('302a300506032b6570032100', 'hex'),
      Buffer.from(key.public_key, 'base64'),
    ]);
    const pem = `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`;
    const payload = Buffer.from(envelope.payload, 'base64');
    const pae = Buffer.concat([
      Buffer.from(
        `DSSEv1 ${envelope.payloadType.length} ${envelope.payloadType} ${payload.length} `,
      ),
      payload,
    ]);
    await writeFile(join(dir, 'gov.pem'), pem);
    await writeFile(join(dir, 'pae.bin'), pae);
    await writeFile(join(dir, 'sig.bin'), Buffer.from(envelope.signatures[0]!.sig, 'base64'));
    const verify = (paeFile: string) =>
      run('openssl', [
        'pkeyutl',
        '-verify',
        '-pubin',
        '-inkey',
        join(dir, 'gov.pem'),
        '-rawin',
        '-in',
        paeFile,
        '-sigfile',
        join(dir, 'sig.bin'),
      ]).then(
        (r) => r.stdout,
        () => 'failed',
      );
    expect(await verify(join(dir, 'pae.bin'))).toContain('Signature Verified Successfully');
    pae[pae.length - 10]! ^= 1;
    await writeFile(join(dir, 'pae-flipped.bin'), pae);
    expect(await verify(join(dir, 'pae-flipped.bin'))).toBe('failed');
  });

  it('lineage ancestors and lineage export read the projection; a denied execution changed to allow is caught', async () => {
    const run = JSON.parse(await readFile('.lineage/demo/run.json', 'utf8')) as {
      schema: string;
      executions: Record<string, string>;
    };
    const ancestors = await lineage(
      'ancestors',
      run.executions.E7!,
      '--schema',
      run.schema,
      '--json',
    );
    expect(ancestors.code, ancestors.out).toBe(0);
    const page = JSON.parse(
      ancestors.out.slice(ancestors.out.indexOf('{'), ancestors.out.lastIndexOf('}') + 1),
    ) as {
      items: { execution_id: string; depth: number }[];
    };
    expect(page.items.map((i) => i.execution_id).sort()).toEqual(
      ['E6', 'E4', 'E2', 'E3', 'E1'].map((l) => run.executions[l]).sort(),
    );

    const out = join(dir, 'e5.json');
    const exported = await lineage(
      'export',
      run.executions.E5!,
      '--schema',
      run.schema,
      '--trust',
      TRUST,
      '--out',
      out,
    );
    expect(exported.code, exported.out).toBe(0);
    expect((await lineage('verify', out, '--trust', TRUST)).code).toBe(0);
    const denied = JSON.parse(await readFile(out, 'utf8')) as EvidenceBundle;
    const statement = payloadOf(denied, 0);
    expect(statement.predicate.decision).toBe('deny');
    statement.predicate.decision = 'allow';
    denied.attestations[0]!.payload = toBase64(new TextEncoder().encode(JSON.stringify(statement)));
    await writeFile(out, JSON.stringify(denied));
    const forged = await lineage('verify', out, '--trust', TRUST);
    expect(forged.code).toBe(1);
    expect(forged.out).toContain('SIGNATURE_INVALID');
    expect(
      (
        await lineage(
          'export',
          '00000000-0000-7000-8000-000000000000',
          '--schema',
          run.schema,
          '--trust',
          TRUST,
          '--out',
          out,
        )
      ).code,
    ).toBe(1);
    expect((await lineage('ancestors', "' OR 1=1 --", '--schema', run.schema)).code).toBe(2);
  });

  it('gives exit 2 on usage and I/O errors', async () => {
    expect((await lineage('verify')).code).toBe(2);
    expect((await lineage('verify', join(dir, 'missing.json'), '--trust', TRUST)).code).toBe(2);
    expect((await lineage('verify', '.lineage/demo/attestation.json')).code).toBe(2);
  });
});
