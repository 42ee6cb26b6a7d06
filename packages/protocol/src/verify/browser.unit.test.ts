import { runInContext, createContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { buildBundle } from './bundle.js';
import { digestOf } from '../encoding/digest.js';
import { attestationDigest } from './attestation.js';
import type { ExecutionId } from '../records/ids.js';
import { makeAttestation, testKey, trustedKey } from '@lineage/testkit';

// The verifier must run where there is no Node: bundle the package for the browser platform (any
// node:* import fails the build) and run it in a context holding only what browsers provide.
async function browserBuild(): Promise<string> {
  const result = await build({
    entryPoints: [fileURLToPath(new URL('../index.ts', import.meta.url))],
    bundle: true,
    platform: 'browser',
    format: 'iife',
    globalName: 'Lineage',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

function evidence() {
  const governance = testKey();
  const agent = testKey();
  const policyDocument = { id: 'default', version: 3, allow: [], deny: [] };
  const policy = { id: 'default', version: 3, hash: digestOf(policyDocument) };
  const root = makeAttestation({ governance, agent, predicate: { policy } });
  const ref = {
    execution_id: root.statement.predicate.execution_id as ExecutionId,
    attestation: attestationDigest(root.envelope),
  };
  const child = makeAttestation({
    governance,
    agent,
    intent: { parents: [ref] },
    predicate: { policy, parents: [ref] },
  });
  const keys = [trustedKey(governance, ['governance']), trustedKey(agent, ['agent'])];
  lastKeys = keys;
  return buildBundle(
    child.statement.predicate.execution_id,
    [child.envelope, root.envelope],
    keys,
    [policyDocument],
  );
}
let lastKeys: ReturnType<typeof trustedKey>[] = [];

describe('the verifier in a browser-like environment', () => {
  it('bundles without Node built-ins and verifies a bundle with no Node globals present', async () => {
    const code = await browserBuild();
    const context = createContext({ TextEncoder, TextDecoder });
    runInContext(code, context);
    expect(runInContext('[typeof process, typeof require, typeof Buffer]', context)).toEqual([
      'undefined',
      'undefined',
      'undefined',
    ]);

    const bundle = evidence();
    context.input = JSON.stringify(bundle);
    const verify = `(() => {
      try {
        const r = Lineage.verifyBundle(JSON.parse(input), { ed25519: Lineage.nobleEd25519 });
        return 'valid ' + r.target.predicate.execution_id + ' ' + r.attestations.length;
      } catch (e) { return 'invalid ' + e.code; }
    })()`;
    expect(runInContext(verify, context)).toBe(`valid ${bundle.execution_id} 2`);

    const tampered = structuredClone(bundle);
    tampered.attestations.pop();
    context.input = JSON.stringify(tampered);
    expect(runInContext(verify, context)).toBe('invalid ANCESTOR_MISSING');
  });

  it('requires the witness quorum of a trust store policy, as lineage verify does', async () => {
    const context = createContext({ TextEncoder, TextDecoder });
    runInContext(await browserBuild(), context);
    const bundle = evidence();
    const witness = testKey();
    context.input = JSON.stringify(bundle);
    context.trustText = JSON.stringify({
      version: 1,
      keys: [...lastKeys, trustedKey(witness, ['witness'], { name: 'w.test/1' })],
      witness_policy: { quorum: 1, witnesses: [witness.keyid] },
    });
    const verify = `(() => {
      try {
        const trust = Lineage.loadTrustStore(JSON.parse(trustText));
        Lineage.verifyBundle(JSON.parse(input), { ed25519: Lineage.nobleEd25519, trust });
        return 'valid';
      } catch (e) { return 'invalid ' + e.code; }
    })()`;
    // Evidence without any witnessed checkpoint proves no common view of the ledger.
    expect(runInContext(verify, context)).toBe('invalid WITNESS_QUORUM_MISSING');
  });
});
