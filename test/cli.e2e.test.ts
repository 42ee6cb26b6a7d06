import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  fromBase64,
  fromDsse,
  loadTrustStore,
  nobleEd25519,
  sha256Hex,
  toBase64,
  verifyBundle,
  verifyGrant,
  verifyRelease,
} from '@lineage/protocol';
import type {
  DsseEnvelope,
  EvidenceBundle,
  JsonValue,
  TrustStoreDocument,
} from '@lineage/protocol';
import { loadPolicy } from '@lineage/policy';
import { runLineage, startLineage } from './kit/cli.js';
import { buildCli, metricSum, promtoolCheck, startServe } from './kit/serve.js';
import { createKafka, topicNames } from '@lineage/kafka';
import { readKeyFile } from '@lineage/keys';
import { connectAgent } from '@lineage/sdk';
import type { BackgroundCli } from './kit/cli.js';
import { buildGoVerifier, goInputOfBundle, runGoVerifier } from './kit/goref.js';

const run = promisify(execFile);

const lineage = (...args: string[]) => runLineage(inject('brokers'), args);

/** What the demo recorded of its run: its projection schema, topics and executions by label. */
interface DemoRun {
  schema: string;
  topics: { intents: string };
  executions: Record<string, string>;
}
const demoRun = async () => JSON.parse(await readFile('.lineage/demo/run.json', 'utf8')) as DemoRun;

let dir: string;
let bundle: EvidenceBundle;
/** `lineage demo --serve`, running until the test that stops it. */
let demo: BackgroundCli;
/** What `lineage demo` printed. */
let printed: string;
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
  afterAll(() => void demo?.child.kill('SIGKILL'));
  beforeAll(async () => {
    // `pnpm demo --serve`: the scenario, then the stack keeps serving until SIGTERM.
    demo = startLineage(inject('brokers'), ['demo', '--serve']);
    await demo.until(/^ {2}token: \S+$/m, 'the demo to print its console URL and token', 240_000);
    printed = demo.output();
    expect(printed).toContain('14/14 verify with only the public keys');
    expect(printed).toContain('replay_rejection deny REPLAY_EXECUTION_ID');
    expect(printed).toContain('PARENT_NOT_ALLOWED');
    expect(printed).toContain('PARENT_PENDING_OVERRIDE');
    expect(printed).toContain('override allow OVERRIDE_APPROVED');
    expect(printed).toContain('refused OVERRIDE_ALREADY_RESOLVED');
    expect(printed).toContain('runtime_verified: true');
    expect(printed).toMatch(/14 re-derived identically, 0 mismatches/);
    expect(printed).toContain('\nLedger\n');
    expect(printed).toMatch(
      /lineage log verify: ok: 14 attestations in 3 partitions, \d+ checkpoints/,
    );
    expect(printed).toMatch(/pnpm lineage log verify --topic-prefix demo\.\S+\. --trust /);
    bundle = JSON.parse(await readFile('.lineage/demo/evidence.json', 'utf8'));
    dir = await mkdtemp(join(tmpdir(), 'lineage-e2e-'));
  });

  it('demo --serve: the query API answers with the printed token, then SIGTERM drains it (exit 0)', async () => {
    const api = /^ {2}console: (http:\/\/127\.0\.0\.1:\d+)\/$/m.exec(printed)![1]!;
    const token = /^ {2}token: (\S+)$/m.exec(printed)![1]!;
    const { executions } = await demoRun();
    const read = (auth: string) =>
      fetch(`${api}/v1/executions/${executions.E11}/ancestors`, {
        headers: { authorization: auth },
      });
    // Governance's metrics count the demo's 14 attestations, each once.
    const metricsUrl = /^ {2}governance\s+(http:\S+\/metrics)$/m.exec(printed)![1]!;
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metricSum(metrics, 'lineage_governance_decisions_total')).toBe(14);
    expect(promtoolCheck(metrics)).toEqual({ status: 0, output: '' });
    expect((await read('Bearer not-a-token')).status).toBe(401);
    const answer = await read(`Bearer ${token}`);
    expect(answer.status).toBe(200);
    // E11's ancestry reaches the root, E1.
    expect(JSON.stringify(await answer.json())).toContain(executions.E1!);
    expect(await demo.terminate()).toBe(0);
    printed = demo.output();
    expect(printed).toMatch(/SIGTERM: draining the stack/);
  });

  it('the demo is quiet when healthy: no error-level line (a retried broker answer is counted, at debug)', () => {
    const errors = printed
      .split('\n')
      .filter((line) => /"level":(50|60|"error"|"fatal")|^error:/.test(line));
    expect(errors).toEqual([]);
  });

  it("the demo's decisions: denials, a replay rejection, a hold, its approval and a refused second resolution", () => {
    // label → [decision, reasons] from the printed decision lines ("  ✔ E1  allow  …  rule:x").
    const decisions = Object.fromEntries(
      [
        ...printed.matchAll(
          /^ {2}[✔✘⏸] (E\d+) +(\w+) +….*(?:root \(grant\)|parents \S+) +(\S.*)$/gm,
        ),
      ].map((m) => [m[1], [m[2], m[3]!.split(' ')]]),
    );
    expect(decisions).toEqual({
      E1: ['allow', ['rule:any-agent-read']],
      E2: ['allow', ['rule:any-agent-read']],
      E3: ['allow', ['rule:any-agent-read']],
      E4: ['allow', ['rule:any-agent-read']],
      E5: ['deny', ['POLICY_DENIED', 'rule:no-prod-delete']],
      E6: ['allow', ['rule:any-agent-read']],
      E7: ['allow', ['rule:any-agent-read']],
      E8: ['deny', ['PARENT_NOT_ALLOWED']],
      // Publishing is held for a human; its child is denied while it waits.
      E9: ['pending_override', ['OVERRIDE_REQUIRED', 'rule:publish-needs-a-human']],
      E10: ['deny', ['PARENT_PENDING_OVERRIDE']],
      // The child of the approved execution inherits authority through the override.
      E11: ['allow', ['rule:any-agent-read']],
    });
    // A redelivered intent is answered with the attestation already issued.
    expect(printed).toMatch(/↺ E2 redelivered identically → attestation \S+ \(the same one\)/);
    // A replayed execution id is never allowed: a signed replay_rejection.
    expect(printed).toContain(
      "⟲ E7's id reused by a different intent → replay_rejection deny REPLAY_EXECUTION_ID",
    );
    expect(printed).toContain('✔ bob approves E9 → override allow OVERRIDE_APPROVED');
    expect(printed).toContain(
      '✘ bob resolves E9 a second time → refused OVERRIDE_ALREADY_RESOLVED',
    );
  });

  it("the demo's ledger: inputs in = attestations + dead letters + redeliveries out, all verify, all proven", () => {
    const [, intents, resolutions, attestations, deadLetters, redeliveries, verified, total] =
      /(\d+) intents \+ (\d+) resolutions published → (\d+) attestations \+ (\d+) dead letters \+ (\d+) redelivery answered from the ledger; (\d+)\/(\d+) verify/
        .exec(printed)!
        .map(Number);
    expect(attestations! + deadLetters! + redeliveries!).toBe(intents! + resolutions!);
    expect([intents, resolutions, attestations, verified, total]).toEqual([13, 2, 14, 14, 14]);
    expect(printed).toMatch(/lineage log verify: ok: /);
    // Every attestation of E11's lineage carries an inclusion proof against a signed checkpoint.
    const [, proven, lineage] = /E11's lineage: (\d+)\/(\d+) attestations carry/.exec(printed)!;
    expect([Number(proven), Number(lineage)]).toEqual([9, 9]);
    expect(printed).toContain('runtime_verified: true (with the signed release); false without it');
    expect(printed).toMatch(/: 14 re-derived identically, 0 mismatches/);
    expect(printed).toMatch(/bundle of E11: 9 attestations \(1 override\)/);
  });

  it('accepts the untouched bundle and the single envelope (exit 0), reporting runtime_verified', async () => {
    const whole = await lineage('verify', '.lineage/demo/evidence.json', '--trust', TRUST);
    expect(whole.code, whole.out).toBe(0);
    expect(whole.out).toContain('decision allow');
    expect(whole.out).toContain('runtime_verified: true');
    // The bundle of the deepest execution carries the override its lineage passes through.
    expect(
      bundle.attestations.some((_a, i) => payloadOf(bundle, i).predicate.kind === 'override'),
    ).toBe(true);
    // Without a release the runtime is unknown: reported, not invalid.
    const single = await lineage('verify', '.lineage/demo/attestation.json', '--trust', TRUST);
    expect(single.code, single.out).toBe(0);
    expect(single.out).toContain('runtime_verified: false');
    const released = await lineage(
      'verify',
      '.lineage/demo/attestation.json',
      '--trust',
      TRUST,
      '--release',
      '.lineage/demo/release.json',
    );
    expect(released.code, released.out).toBe(0);
    expect(released.out).toContain('runtime_verified: true');
  });

  it('the bundle proves every attestation on the ledger, and the demo ledger audits (exit 0)', async () => {
    // One inclusion proof per attestation, each pointing at a bundled signed checkpoint.
    const digests = bundle.attestations.map((a) => sha256Hex(fromBase64(a.payload)));
    expect(bundle.proofs?.map((p) => p.attestation).sort()).toEqual([...digests].sort());
    expect(bundle.proofs!.every((p) => bundle.checkpoints![p.checkpoint] !== undefined)).toBe(true);
    const verified = verifyBundle(bundle, {
      ed25519: nobleEd25519,
      trust: loadTrustStore(JSON.parse(await readFile(TRUST, 'utf8'))),
    });
    expect(verified.included).toBe(true);
    expect(verified.attestations.map((a) => a.included)).toEqual(digests.map(() => true));

    const { topics } = await demoRun();
    const audited = await lineage(
      'log',
      'verify',
      '--topic-prefix',
      topics.intents.replace('lineage.intents.v1', ''),
      '--trust',
      TRUST,
    );
    expect(audited.code, audited.out).toBe(0);
    expect(audited.out).toMatch(/ok: 14 attestations in 3 partitions, \d+ checkpoints/);
  });

  it("replay-verify --all re-derives every decision of the demo's ledger", async () => {
    const { schema, topics } = await demoRun();
    const prefix = topics.intents.replace('lineage.intents.v1', '');
    const result = await lineage(
      'replay-verify',
      '--all',
      '--schema',
      schema,
      '--topic-prefix',
      prefix,
      '--trust',
      TRUST,
    );
    expect(result.code, result.out).toBe(0);
    expect(result.out).toContain('14 re-derived identically, 0 mismatches');
  });

  it('keys, grant issue, runtime manifest|release and policy publish produce what verifies', async () => {
    const keys = join(dir, 'keys-dir');
    for (const [name, role] of [
      ['alice', 'principal'],
      ['bob', 'approver'],
      ['rel', 'release'],
    ]) {
      const added = await lineage(
        'keys',
        'add',
        name!,
        '--role',
        role!,
        '--owner',
        name!,
        '--dir',
        keys,
      );
      expect(added.code, added.out).toBe(0);
    }
    expect((await lineage('keys', 'add', 'eve', '--role', 'wizard', '--dir', keys)).code).toBe(2);
    const trust = loadTrustStore(JSON.parse(await readFile(join(keys, 'truststore.json'), 'utf8')));
    const roles = trust.document.keys.map((k) => [k.name, k.roles.join(','), k.owner]);
    expect(roles).toEqual([
      ['alice', 'principal', 'alice'],
      ['bob', 'approver', 'bob'],
      ['rel', 'release', 'rel'],
    ]);

    const agent = 'a'.repeat(64);
    const issued = await lineage(
      'grant',
      'issue',
      '--key',
      join(keys, 'keys', 'alice.key'),
      '--agent',
      agent,
      '--actions',
      'read.*,plan.*',
      '--resources',
      'reports/',
      '--policy',
      'demo',
      '--valid-for',
      '1h',
      '--out',
      join(dir, 'grant.json'),
    );
    expect(issued.code, issued.out).toBe(0);
    const grant = JSON.parse(await readFile(join(dir, 'grant.json'), 'utf8')) as JsonValue;
    const request = {
      agent,
      action: 'read.sales',
      resource: 'reports/q3',
      policyId: 'demo',
      at: new Date().toISOString(),
    };
    const verified = verifyGrant(grant, request, { trust, ed25519: nobleEd25519 });
    expect(verified.grant.scope).toEqual({
      actions: ['read.*', 'plan.*'],
      resources: ['reports/'],
    });
    expect(() =>
      verifyGrant(grant, { ...request, action: 'delete.x' }, { trust, ed25519: nobleEd25519 }),
    ).toThrow(expect.objectContaining({ code: 'GRANT_OUT_OF_SCOPE' }));
    const badWindow = await lineage(
      'grant',
      'issue',
      '--key',
      join(keys, 'keys', 'alice.key'),
      '--agent',
      agent,
      '--actions',
      'read.*',
      '--resources',
      '',
      '--policy',
      'demo',
      '--valid-for',
      'forever',
    );
    expect(badWindow.code).toBe(2);

    const manifest = await lineage('runtime', 'manifest');
    expect(manifest.code, manifest.out).toBe(0);
    const { runtime_hash } = JSON.parse(
      manifest.out.slice(manifest.out.indexOf('{'), manifest.out.lastIndexOf('}') + 1),
    ) as { runtime_hash: string };
    expect(payloadOf(bundle, 0).predicate.runtime_hash).toBe(runtime_hash);
    const release = await lineage(
      'runtime',
      'release',
      '--key',
      join(keys, 'keys', 'rel.key'),
      '--out',
      join(dir, 'release.json'),
    );
    expect(release.code, release.out).toBe(0);
    const signedRelease = fromDsse(JSON.parse(await readFile(join(dir, 'release.json'), 'utf8')));
    expect(
      verifyRelease(signedRelease, { trust, ed25519: nobleEd25519 }).runtimes.map((r) => r.hash),
    ).toEqual([runtime_hash]);

    const { topics } = await demoRun();
    const published = await lineage(
      'policy',
      'publish',
      'infra/policy/default.json',
      '--topic-prefix',
      topics.intents.replace('lineage.intents.v1', ''),
    );
    expect(published.code, published.out).toBe(0);
    const policy = loadPolicy(JSON.parse(await readFile('infra/policy/default.json', 'utf8')));
    expect(published.out).toContain(policy.ref.hash);
    expect((await lineage('policy', 'publish', join(dir, 'missing.json'))).code).toBe(2);
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
    [
      'a hash of an inclusion proof altered',
      (b: EvidenceBundle) => {
        const proof = b.proofs!.find((p) => p.hashes.length > 0)!;
        const h = fromBase64(proof.hashes[0]!);
        h[0]! ^= 1;
        proof.hashes[0] = toBase64(h);
      },
      'INCLUSION_PROOF_INVALID',
    ],
    [
      'a checkpoint note altered',
      (b: EvidenceBundle) => {
        // The size line of the signed note (origin, size, root): the signature no longer covers it.
        const [origin, size, ...rest] = b.checkpoints![0]!.split('\n');
        b.checkpoints![0] = [origin, String(Number(size) + 1), ...rest].join('\n');
      },
      'CHECKPOINT_INVALID',
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

  it('keys rotate keeps the retired key trusted up to the handover; keys revoke cuts exactly at T', async () => {
    // Rotation: the new key takes over at T; the old entry stays, valid until T.
    const keysDir = join(dir, 'rotation');
    expect((await lineage('keys', 'init', '--dir', keysDir)).code).toBe(0);
    const before = JSON.parse(
      await readFile(join(keysDir, 'truststore.json'), 'utf8'),
    ) as TrustStoreDocument;
    const handover = '2030-01-01T00:00:00.000Z';
    const rotated = await lineage(
      'keys',
      'rotate',
      'governance',
      '--at',
      handover,
      '--dir',
      keysDir,
    );
    expect(rotated.code, rotated.out).toBe(0);
    const after = JSON.parse(
      await readFile(join(keysDir, 'truststore.json'), 'utf8'),
    ) as TrustStoreDocument;
    const old = after.keys.find((k) => k.keyid === before.keys[0]!.keyid)!;
    const fresh = after.keys.find((k) => k.keyid !== old.keyid)!;
    expect([old.valid_until, fresh.valid_from, fresh.roles]).toEqual([
      handover,
      handover,
      ['governance'],
    ]);
    expect(loadTrustStore(after).document.keys).toHaveLength(2);
    expect((await lineage('keys', 'rotate', 'nobody', '--dir', keysDir)).code).toBe(2);

    // Revocation, on the attestation governance issued in the demo: revoked after its issue time it
    // still verifies; revoked at or before it, it fails KEY_NOT_VALID_AT.
    const attestation = JSON.parse(
      await readFile('.lineage/demo/attestation.json', 'utf8'),
    ) as DsseEnvelope;
    const issuedAt = (
      JSON.parse(new TextDecoder().decode(fromBase64(attestation.payload))) as {
        predicate: { issued_at: string; issuer: string };
      }
    ).predicate;
    const revokeDir = join(dir, 'revocation');
    await mkdir(revokeDir, { recursive: true });
    const trustCopy = join(revokeDir, 'truststore.json');
    const verifyWithRevocation = async (at: string) => {
      await writeFile(trustCopy, await readFile(TRUST, 'utf8'));
      const revoked = await lineage(
        'keys',
        'revoke',
        issuedAt.issuer,
        '--at',
        at,
        '--dir',
        revokeDir,
      );
      expect(revoked.code, revoked.out).toBe(0);
      return lineage('verify', '.lineage/demo/attestation.json', '--trust', trustCopy);
    };
    const t = Date.parse(issuedAt.issued_at);
    expect((await verifyWithRevocation(new Date(t + 1).toISOString())).code).toBe(0);
    const cut = await verifyWithRevocation(new Date(t).toISOString());
    expect(cut.code, cut.out).toBe(1);
    expect(cut.out).toContain('KEY_NOT_VALID_AT');
    expect((await lineage('keys', 'revoke', 'f'.repeat(64), '--dir', revokeDir)).code).toBe(2);
  });

  it("the Go reference verifies the demo bundle's notes (log signature, cosignatures) and inclusion proofs", async () => {
    const trust = JSON.parse(await readFile(TRUST, 'utf8')) as TrustStoreDocument;
    const input = goInputOfBundle(bundle, trust);
    expect(trust.witness_policy?.quorum).toBe(1);
    expect(input.notes.every((n) => n.cosigners.length === 2)).toBe(true);
    const { code, out } = await runGoVerifier(await buildGoVerifier(), input);
    expect(out).toBe(
      `ok: ${input.notes.length} notes, ${input.inclusion.length} inclusion proofs, 0 consistency proofs`,
    );
    expect(code).toBe(0);
    expect(input.inclusion.length).toBe(bundle.attestations.length);
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
    const run = await demoRun();
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

  // Last: the demo's stack run again by `lineage serve` appends to the demo's ledger (one more
  // attestation, checkpoints without the demo's witness), which the tests above count and audit.
  it("lineage serve --config .lineage/demo/lineage.json (compiled) runs the demo's stack: its planner publishes and is answered, its token reads", async () => {
    buildCli();
    const served = await startServe('.lineage/demo/lineage.json');
    try {
      const settings = JSON.parse(await readFile('.lineage/demo/lineage.json', 'utf8')) as {
        kafka: { topicPrefix: string };
      };
      const trust = loadTrustStore(JSON.parse(await readFile(TRUST, 'utf8')));
      const planner = await connectAgent({
        kafka: createKafka({ brokers: inject('brokers'), clientId: 'demo-planner-again' }),
        topics: topicNames(settings.kafka.topicPrefix),
        signer: (await readKeyFile('.lineage/demo/keys/planner.key')).signer,
        verify: { trust, ed25519: nobleEd25519 },
        runtime: { name: 'demo-agent', version: '1.0.0', digest: `sha256:${'d'.repeat(64)}` },
        grant: JSON.parse(await readFile('.lineage/demo/grant.json', 'utf8')) as JsonValue,
      });
      const answer = await planner
        .publishIntent({ action: 'plan.follow-up', resource: 'reports/q4' })
        .finally(() => planner.close());
      expect(answer.verified.predicate.decision).toBe('allow');
      // The API reads the demo's projection with the token the demo printed.
      const token = /^ {2}token: (\S+)$/m.exec(printed)![1]!;
      const { executions } = await demoRun();
      const read = await fetch(`${served.urls.get('query-api')}/v1/executions/${executions.E11}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(read.status).toBe(200);
    } finally {
      expect(await served.terminate()).toBe(0);
    }
  });
});
