import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addKey } from './keys.js';

// A witness's cosignature lines are found by its trust-store name: `lineage keys add` keeps that
// name for one witness only, and keeps the trust store's witness policy when it adds a key.
describe('lineage keys add: witness names', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lineage-keys-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const codeOf = async (work: Promise<unknown>) =>
    work.then(
      () => 'added',
      (e: { code?: string }) => e.code,
    );
  const trust = async () =>
    JSON.parse(await readFile(join(dir, 'truststore.json'), 'utf8')) as {
      keys: { keyid: string; name: string }[];
      witness_policy?: unknown;
    };

  it('registers a witness under its cosigner name and refuses any other key that name', async () => {
    await addKey(dir, 'governance', 'governance');
    const w1 = await addKey(dir, 'w1', 'witness', undefined, 'witness.example.org/w1');
    expect((await trust()).keys.find((k) => k.keyid === w1.keyid)!.name).toBe(
      'witness.example.org/w1',
    );
    // Another witness under the same cosigner name.
    expect(await codeOf(addKey(dir, 'w2', 'witness', undefined, 'witness.example.org/w1'))).toBe(
      'KEY_NAME_TAKEN',
    );
    // A witness whose plain name is taken by an agent, and an agent named like a witness.
    await addKey(dir, 'shared', 'agent');
    expect(await codeOf(addKey(dir, 'w3', 'witness', undefined, 'shared'))).toBe('KEY_NAME_TAKEN');
    await addKey(dir, 'w4', 'witness', undefined, 'plain-witness');
    expect(await codeOf(addKey(dir, 'plain-witness', 'agent'))).toBe('KEY_NAME_TAKEN');
    // Two agents with one name stay possible (rotation keeps the name on old and new keys).
    expect(await codeOf(addKey(dir, 'other', 'agent'))).toBe('added');
  });

  it('refuses cosigner names a checkpoint origin could take, bad ones, and on non-witnesses', async () => {
    expect(await codeOf(addKey(dir, 'w1', 'witness', undefined, 'lineage.dev/ledger/t/0'))).toBe(
      'KEY_NAME_INVALID',
    );
    expect(await codeOf(addKey(dir, 'w1', 'witness', undefined, 'has space'))).toBe(
      'KEY_NAME_INVALID',
    );
    expect(await codeOf(addKey(dir, 'a1', 'agent', undefined, 'witness.example.org/a'))).toBe(
      'KEY_NAME_INVALID',
    );
  });

  it('keeps the witness policy of the trust store', async () => {
    const w1 = await addKey(dir, 'w1', 'witness', undefined, 'witness.example.org/w1');
    const doc = await trust();
    const policy = { quorum: 1, witnesses: [w1.keyid] };
    await writeFile(
      join(dir, 'truststore.json'),
      JSON.stringify({ ...doc, witness_policy: policy }),
    );
    await addKey(dir, 'agent', 'agent');
    expect((await trust()).witness_policy).toEqual(policy);
  });
});
