import { describe, expect, it } from 'vitest';
import {
  buildStatement,
  encodeStatement,
  merkleRoot,
  newExecutionId,
  sha256Hex,
  utf8,
} from '@lineage/protocol';
import type { Digest, KeyId, Predicate } from '@lineage/protocol';
import { PartitionTree } from './tree.js';

const digest = (text: string) => sha256Hex(utf8(text));

/** The payload of attestation `sequence` of `partition`, linked to `prev`. */
function payload(partition: number, sequence: number, prev: Digest | null): Uint8Array {
  const executionId = newExecutionId(Date.parse('2024-06-01T12:00:00Z'));
  const predicate: Predicate = {
    execution_id: executionId,
    execution_fingerprint: digest(`fingerprint ${executionId}`),
    kind: 'decision',
    decision: 'allow',
    reasons: [],
    agent: digest('agent'),
    action: 'read.doc',
    resource: 'docs/a',
    policy: { id: 'test', version: 1, hash: digest('policy') },
    runtime_hash: digest('runtime'),
    parents: [],
    authorization: {
      grant: digest('grant'),
      inherited_from: [],
      principals: [],
      scope: { actions: ['*'], resources: [''] },
      depth: 0,
    },
    partition,
    sequence,
    prev,
    issued_at: '2024-06-01T12:00:00Z',
    issuer: digest('governance') as string as KeyId,
    intent: null,
    override: null,
  };
  return encodeStatement(buildStatement(predicate, digest(`intent ${executionId}`)));
}

/** A chain of `n` payloads of partition `p`. */
function chain(p: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) out.push(payload(p, i, i === 0 ? null : sha256Hex(out[i - 1]!)));
  return out;
}

describe('PartitionTree', () => {
  it('builds the RFC 6962 tree of the chain and becomes publishable as it grows', () => {
    const leaves = chain(2, 5);
    const tree = new PartitionTree(2);
    expect(tree.publishable).toBe(false);
    for (const l of leaves) expect(tree.append(l).type).toBe('appended');
    expect(tree.publishable).toBe(true);
    expect(tree.head()).toEqual({ size: 5, root: merkleRoot(leaves) });
    tree.published({ origin: 'o', ...tree.head() });
    expect(tree.publishable).toBe(false);
  });

  it.each([
    ['a gap', (c: Uint8Array[]) => [c[0]!, c[2]!]],
    ['a repeat', (c: Uint8Array[]) => [c[0]!, c[1]!, c[1]!]],
    ['another partition', () => chain(1, 1)],
    ['a broken prev', (c: Uint8Array[]) => [c[0]!, payload(0, 1, digest('other'))]],
    ['bytes that are no statement', (c: Uint8Array[]) => [c[0]!, new Uint8Array(0)]],
  ])('breaks on %s and refuses to checkpoint from then on', (_, doctor) => {
    const tree = new PartitionTree(0);
    const outcomes = doctor(chain(0, 3)).map((l) => tree.append(l).type);
    expect(outcomes[outcomes.length - 1]).toBe('broken');
    expect(tree.broken).not.toBeNull();
    expect(tree.publishable).toBe(false);
    expect(tree.append(chain(0, 1)[0]!).type).toBe('skipped');
  });

  it('restores only when the rebuilt tree has the last published root at its size', () => {
    const leaves = chain(0, 4);
    const good = new PartitionTree(0, {
      origin: 'o',
      size: 2,
      root: merkleRoot(leaves.slice(0, 2)),
    });
    expect(leaves.map((l) => good.append(l).type)).toEqual([
      'appended',
      'restored',
      'appended',
      'appended',
    ]);
    expect(good.publishable).toBe(true);
    const forked = new PartitionTree(0, { origin: 'o', size: 2, root: merkleRoot(chain(0, 2)) });
    expect(leaves.map((l) => forked.append(l).type).slice(0, 2)).toEqual(['appended', 'broken']);
    expect(forked.publishable).toBe(false);
    const truncated = new PartitionTree(0, { origin: 'o', size: 9, root: merkleRoot(leaves) });
    leaves.forEach((l) => truncated.append(l));
    expect(truncated.publishable).toBe(false);
  });
});
