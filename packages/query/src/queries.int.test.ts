import { describe, expect, inject, it } from 'vitest';
import {
  digestOf,
  newExecutionId,
  nobleEd25519,
  signRelease,
  toDsse,
  verifyBundle,
} from '@lineage/protocol';
import type { ExecutionId, KeyId } from '@lineage/protocol';
import { generateKeyPair, trustedKey } from '@lineage/keys';
import { testDatabase } from '@lineage/testkit/pg';
import type { FixturePolicy, LedgerRecord } from '@lineage/testkit';
import {
  agentKey,
  DEFAULT_POLICY,
  DEFAULT_PRINCIPAL,
  diamondLadder,
  LedgerBuilder,
} from '@lineage/testkit';
import { projected, queryErrorCode } from './fixtures.js';
import { encodeListCursor, encodeWalkCursor } from './cursor.js';
import { openQueries } from './queries.js';
import type { LineageNode, LineageQueries, Page, WalkOptions } from './types.js';

// Given lineage projected from signed attestations by the projector's own write path, when asking
// the query package, then walks, replay indexes and bundles give the known answers, page after page.

const keys = generateKeyPair();
const stranger = generateKeyPair();
const { pool, dropLater } = testDatabase(inject('databaseUrl'));

async function queriesOver(
  attestations: LedgerRecord[],
  policies: FixturePolicy[] = [],
): Promise<LineageQueries> {
  const schema = dropLater(await projected(pool, attestations, policies));
  return openQueries(pool, schema);
}

// One key signs attestations and resolutions in these tests: it holds both roles.
const governance = () => trustedKey(keys, ['governance', 'approver']);

/** Every page of a walk, following `next`. */
async function allPages(
  walk: (options: WalkOptions) => Promise<Page<LineageNode>>,
  options: WalkOptions,
): Promise<{ items: LineageNode[]; pages: number }> {
  const items: LineageNode[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page: Page<LineageNode> = await walk({ ...options, cursor });
    items.push(...page.items);
    cursor = page.next;
    pages++;
  } while (cursor !== null && pages < 1_000);
  return { items, pages };
}

const pairs = (nodes: LineageNode[]) => nodes.map((n) => [n.execution_id, n.depth]);
const sorted = (entries: [string, number][]) =>
  [...entries].sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));

const SECOND_POLICY: FixturePolicy = {
  id: 'payments',
  version: 7,
  document: { id: 'payments', version: 7, allow: [], deny: [] },
};
const COMPROMISED = agentKey('compromised');
const OTHER_RUNTIME = agentKey('runtime 2');
const OTHER_PRINCIPAL = agentKey('other principal') as string as KeyId;

/**
 * a, b roots (b granted by another principal); c ← a, b; d ← c; e ← c, a; f ← d, e; g a lone root
 * of the compromised agent, which also ran c. b needed an override: approved (b2), so c names b2;
 * a second resolution was refused (b3). a has a replay rejection (ignored by walks).
 */
function smallDag() {
  const builder = new LedgerBuilder(keys.signer);
  const a = builder.decide();
  const b = builder.decide([], { decision: 'pending_override', principal: OTHER_PRINCIPAL });
  const b2 = builder.override(b.executionId, 'allow', { reason: 'checked by hand' });
  const c = builder.decide([a.executionId, b.executionId], { agent: COMPROMISED });
  const d = builder.decide([c.executionId], { policy: SECOND_POLICY, runtime: OTHER_RUNTIME });
  const e = builder.decide([c.executionId, a.executionId], { policy: SECOND_POLICY });
  const f = builder.decide([d.executionId, e.executionId], { policy: SECOND_POLICY });
  const g = builder.decide([], { agent: COMPROMISED, runtime: OTHER_RUNTIME });
  const rejection = builder.rejectReplay(a.executionId);
  const b3 = builder.refuse(b.executionId);
  return { a, b, b2, b3, c, d, e, f, g, rejection, all: [a, b, b2, c, d, e, f, g, rejection, b3] };
}

describe('graph walks', () => {
  it('lists ancestors once each at their shortest distance, with their latest decision', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const page = await q.ancestors(dag.f.executionId);
    expect(page.next).toBeNull();
    expect(pairs(page.items)).toEqual(
      sorted([
        [dag.d.executionId, 1],
        [dag.e.executionId, 1],
        [dag.a.executionId, 2],
        [dag.c.executionId, 2],
        [dag.b.executionId, 3],
      ]),
    );
    // b's latest is its approving override (the refused resolution does not count); a's replay
    // rejection does not count.
    expect(page.items.find((n) => n.execution_id === dag.b.executionId)).toMatchObject({
      decision: 'allow',
      action: 'action-1',
    });
    expect(page.items.find((n) => n.execution_id === dag.a.executionId)?.decision).toBe('allow');
    expect(page.items.find((n) => n.execution_id === dag.c.executionId)?.agent).toBe(COMPROMISED);
    expect((await q.ancestors(dag.a.executionId)).items).toEqual([]);
  });

  it('lists descendants (the blast radius of an execution)', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    expect(pairs((await q.descendants(dag.a.executionId)).items)).toEqual(
      sorted([
        [dag.c.executionId, 1],
        [dag.e.executionId, 1],
        [dag.d.executionId, 2],
        [dag.f.executionId, 2],
      ]),
    );
    expect(pairs((await q.descendants(dag.b.executionId)).items)).toEqual(
      sorted([
        [dag.c.executionId, 1],
        [dag.d.executionId, 2],
        [dag.e.executionId, 2],
        [dag.f.executionId, 3],
      ]),
    );
    expect((await q.descendants(dag.f.executionId)).items).toEqual([]);
  });

  it('stops at maxDepth', async () => {
    const { attestations, leaf, layers } = diamondLadder(new LedgerBuilder(keys.signer), 30);
    const q = await queriesOver(attestations);
    const up = await q.ancestors(leaf.executionId, { maxDepth: 5 });
    expect(up.items).toHaveLength(10);
    expect(Math.max(...up.items.map((n) => n.depth))).toBe(5);
    const down = await q.descendants(layers[0]![0]!.executionId, { maxDepth: 1 });
    expect(down.items.map((n) => n.execution_id).sort()).toEqual(
      layers[1]!.map((a) => a.executionId).sort(),
    );
  });

  it('walks a ladder of 30 diamonds (2^30 paths) both ways in one pass', async () => {
    const { attestations, leaf, layers } = diamondLadder(new LedgerBuilder(keys.signer), 30);
    const q = await queriesOver(attestations);
    let started = performance.now();
    const up = await q.ancestors(leaf.executionId, { maxDepth: 1_000, limit: 1_000 });
    const upMs = performance.now() - started;
    expect(up.items).toHaveLength(60);
    expect(new Set(up.items.map((n) => n.execution_id)).size).toBe(60);
    for (let depth = 1; depth <= 30; depth++) {
      expect(
        up.items
          .filter((n) => n.depth === depth)
          .map((n) => n.execution_id)
          .sort(),
      ).toEqual(layers[30 - depth]!.map((a) => a.executionId).sort());
    }
    started = performance.now();
    const down = await q.descendants(layers[0]![0]!.executionId, { maxDepth: 1_000 });
    const downMs = performance.now() - started;
    // Layers 1..29 (two each) and the leaf, 30 links down.
    expect(down.items).toHaveLength(59);
    expect(down.items.at(-1)).toMatchObject({ execution_id: leaf.executionId, depth: 30 });
    expect(upMs).toBeLessThan(2_000);
    expect(downMs).toBeLessThan(2_000);
  });

  it('pages through a walk with no duplicates, no gaps, and the same pages twice', async () => {
    const builder = new LedgerBuilder(keys.signer);
    const root = builder.decide();
    const attestations: LedgerRecord[] = [root];
    // Three generations below the root, each node with up to three parents from the generation above.
    let generation = [root];
    for (let g = 0; g < 3; g++) {
      const next: LedgerRecord[] = [];
      for (let i = 0; i < 40; i++) {
        const parents = new Set(
          [i, i * 7 + 3, i * 13 + 5].map((k) => generation[k % generation.length]!),
        );
        next.push(builder.decide([...parents].map((p) => p.executionId)));
      }
      attestations.push(...next);
      generation = next;
    }
    const q = await queriesOver(attestations);
    const whole = await q.descendants(root.executionId, { limit: 1_000 });
    expect(whole.items).toHaveLength(120);
    expect(whole.next).toBeNull();
    const walk = (o: WalkOptions) => q.descendants(root.executionId, o);
    const paged = await allPages(walk, { limit: 7 });
    expect(paged.pages).toBe(Math.ceil(120 / 7));
    expect(paged.items).toEqual(whole.items);
    expect(new Set(paged.items.map((n) => n.execution_id)).size).toBe(120);
    expect((await allPages(walk, { limit: 7 })).items).toEqual(paged.items);
    // A page ending exactly on the last item says there is no next page.
    const exact = await allPages(walk, { limit: 40 });
    expect(exact.pages).toBe(3);
    expect(exact.items).toEqual(whole.items);
  });

  it("an agent key's blast radius: its executions and everything below them", async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const page = await q.agentBlastRadius(COMPROMISED);
    expect(pairs(page.items)).toEqual(
      sorted([
        [dag.c.executionId, 0],
        [dag.g.executionId, 0],
        [dag.d.executionId, 1],
        [dag.e.executionId, 1],
        [dag.f.executionId, 2],
      ]),
    );
    const paged = await allPages((o) => q.agentBlastRadius(COMPROMISED, o), { limit: 2 });
    expect(paged.items).toEqual(page.items);
    expect((await q.agentBlastRadius(agentKey('nobody'))).items).toEqual([]);
  });

  it('the authorization path reaches the roots', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const path = await q.authorizationPath(dag.f.executionId);
    expect(path.roots.sort()).toEqual([dag.a.executionId, dag.b.executionId].sort());
    expect(pairs(path.nodes)).toEqual(
      sorted([
        [dag.f.executionId, 0],
        [dag.d.executionId, 1],
        [dag.e.executionId, 1],
        [dag.a.executionId, 2],
        [dag.c.executionId, 2],
        [dag.b.executionId, 3],
      ]),
    );
    const edge = (child: LedgerRecord, parent: LedgerRecord, via = parent) => ({
      child: child.executionId,
      parent: parent.executionId,
      parent_attestation: via.digest,
    });
    const { a, b, c, d, e, f } = dag;
    expect(path.edges).toHaveLength(7);
    expect(path.edges).toEqual(
      expect.arrayContaining([
        edge(f, d),
        edge(f, e),
        edge(d, c),
        edge(e, c),
        edge(e, a),
        edge(c, a),
        // c was decided after b's approval: it names the override.
        edge(c, b, dag.b2),
      ]),
    );
    expect(path.truncated).toBe(false);
    const root = await q.authorizationPath(dag.a.executionId);
    expect(root).toMatchObject({ roots: [dag.a.executionId], edges: [], truncated: false });
    const cut = await q.authorizationPath(dag.f.executionId, { maxDepth: 1 });
    expect(cut.roots).toEqual([]);
    expect(cut.truncated).toBe(true);
  });
});

describe('show and the replay indexes', () => {
  it('shows every attestation of an execution, the decision first', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const rows = (await q.show(dag.b.executionId)).attestations;
    expect(rows.map((r) => [r.kind, r.decision, r.attestation_digest])).toEqual([
      ['decision', 'pending_override', dag.b.digest],
      ['override', 'allow', dag.b2.digest],
      ['override_rejection', 'deny', dag.b3.digest],
    ]);
    expect(rows[0]).toMatchObject({
      execution_id: dag.b.executionId,
      partition: 0,
      offset: '1',
      sequence: 1,
      issued_at: '2025-01-01T00:00:01.000Z',
      issuer: keys.keyid,
      policy: dag.b.policy,
      fingerprint: dag.b.fingerprint,
    });
    expect((await q.show(dag.a.executionId)).attestations.map((r) => r.kind)).toEqual([
      'decision',
      'replay_rejection',
    ]);
  });

  it('shows the effective outcome: the override that answers a pending decision, and refusals', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const b = await q.show(dag.b.executionId);
    expect(b.outcome).toEqual({
      decision: 'allow',
      kind: 'override',
      attestation_digest: dag.b2.digest,
    });
    expect(b.decision).toMatchObject({
      decision: 'pending_override',
      attestation_digest: dag.b.digest,
    });
    expect(b.override).toMatchObject({
      attestation_digest: dag.b2.digest,
      pending: dag.b.digest,
      decision: 'allow',
      reasons: ['OVERRIDE_APPROVED'],
      approver: keys.keyid,
      resolution: 'approve',
      reason: 'checked by hand',
    });
    expect(b.override?.envelope.signatures.map((s) => s.keyid)).toEqual([keys.keyid]);
    expect(b.refused).toHaveLength(1);
    expect(b.refused[0]).toMatchObject({
      attestation_digest: dag.b3.digest,
      pending: dag.b.digest,
      decision: 'deny',
      reasons: ['OVERRIDE_ALREADY_RESOLVED'],
      approver: keys.keyid,
      resolution: 'reject',
    });
    expect(b.attestations[1]).toMatchObject({
      kind: 'override',
      overrides: dag.b.digest,
      approver: keys.keyid,
      resolution: 'approve',
    });
    // An execution nobody overrode is settled by its decision.
    const a = await q.show(dag.a.executionId);
    expect(a.outcome).toEqual({
      decision: 'allow',
      kind: 'decision',
      attestation_digest: dag.a.digest,
    });
    expect(a.override).toBeNull();
    expect(a.refused).toEqual([]);
  });

  it('shows the authorization path: the grant of a root, the principals and depth of a child', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const a = await q.show(dag.a.executionId);
    expect(a.authorization).toMatchObject({
      inherited_from: [],
      principals: [DEFAULT_PRINCIPAL],
      scope: { actions: ['*'], resources: [''] },
      depth: 0,
    });
    expect(a.authorization?.grant).toMatch(/^[0-9a-f]{64}$/);
    expect(a.decision?.grant_digest).toBe(a.authorization?.grant);
    const c = await q.show(dag.c.executionId);
    expect(c.authorization).toEqual({
      grant: null,
      inherited_from: [dag.a.digest, dag.b2.digest],
      principals: [DEFAULT_PRINCIPAL, OTHER_PRINCIPAL].sort(),
      scope: { actions: ['*'], resources: [''] },
      depth: 1,
    });
    const f = await q.show(dag.f.executionId);
    expect(f.authorization?.depth).toBe(3);
    expect(f.decision).toMatchObject({ depth: 3, grant_digest: null });
  });

  it('finds an execution by fingerprint, with its topic position', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const rows = await q.byFingerprint(dag.e.fingerprint);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ execution_id: dag.e.executionId, partition: 0, offset: '5' });
    expect(await q.byFingerprint(agentKey('no fingerprint'))).toEqual([]);
  });

  it('pages by policy, runtime and agent', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const byPolicy = await q.byPolicy('payments', 7, { limit: 2 });
    expect(byPolicy.items.map((r) => r.execution_id)).toEqual([
      dag.d.executionId,
      dag.e.executionId,
    ]);
    expect(byPolicy.items.map((r) => r.offset)).toEqual(['4', '5']);
    const rest = await q.byPolicy('payments', 7, { limit: 2, cursor: byPolicy.next });
    expect(rest.items.map((r) => r.execution_id)).toEqual([dag.f.executionId]);
    expect(rest.next).toBeNull();
    expect((await q.byPolicy('payments', 8)).items).toEqual([]);
    expect((await q.byPolicy(DEFAULT_POLICY.id, DEFAULT_POLICY.version)).items).toHaveLength(7);

    const runtime = await q.byRuntime(OTHER_RUNTIME, { limit: 1 });
    expect(runtime.items.map((r) => r.execution_id)).toEqual([dag.d.executionId]);
    const runtime2 = await q.byRuntime(OTHER_RUNTIME, { limit: 1, cursor: runtime.next });
    expect(runtime2.items.map((r) => r.execution_id)).toEqual([dag.g.executionId]);
    expect(runtime2.next).toBeNull();

    const agent = await q.byAgent(COMPROMISED);
    expect(agent.items.map((r) => r.execution_id)).toEqual([dag.c.executionId, dag.g.executionId]);
    expect(agent.next).toBeNull();
  });

  it('pages by principal: everything decided under authority it granted, at any depth', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const other = await q.byPrincipal(OTHER_PRINCIPAL, { limit: 4 });
    // b (its decision, override and refusal), then c, d, e, f which inherit from b.
    expect(other.items.map((r) => r.attestation_digest)).toEqual(
      [dag.b, dag.b2, dag.c, dag.d].map((a) => a.digest),
    );
    const rest = await q.byPrincipal(OTHER_PRINCIPAL, { limit: 4, cursor: other.next });
    expect(rest.items.map((r) => r.attestation_digest)).toEqual(
      [dag.e, dag.f, dag.b3].map((a) => a.digest),
    );
    expect(rest.next).toBeNull();
    const mine = await q.byPrincipal(DEFAULT_PRINCIPAL);
    expect(mine.items.map((r) => r.execution_id)).not.toContain(dag.b.executionId);
    expect(mine.items.map((r) => r.execution_id)).toContain(dag.g.executionId);
    expect((await q.byPrincipal(agentKey('nobody'))).items).toEqual([]);
  });

  it('serves a stored policy document by hash', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all, [DEFAULT_POLICY, SECOND_POLICY]);
    const stored = await q.policy(dag.d.policy.hash);
    expect(stored).toMatchObject({
      hash: dag.d.policy.hash,
      id: 'payments',
      version: 7,
      document: SECOND_POLICY.document,
      activated_at: '2025-01-01T00:00:00.000Z',
      partition: 0,
      offset: '1',
    });
    expect(digestOf(stored.document)).toBe(stored.hash);
    expect(await queryErrorCode(q.policy(agentKey('no policy')))).toBe('NOT_FOUND');
    expect(await queryErrorCode(q.policy('default'))).toBe('INVALID_ARGUMENT');
  });

  it('pages a replay index of many rows without duplicates or gaps', async () => {
    const builder = new LedgerBuilder(keys.signer);
    const attestations = Array.from({ length: 53 }, () =>
      builder.decide([], { agent: COMPROMISED }),
    );
    const q = await queriesOver(attestations);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<LineageQueries['byAgent']>> = await q.byAgent(COMPROMISED, {
        limit: 10,
        cursor,
      });
      seen.push(...page.items.map((r) => r.attestation_digest));
      cursor = page.next;
    } while (cursor !== null);
    expect(seen).toEqual(attestations.map((a) => a.digest));
  });
});

describe('evidence bundles', () => {
  it('bundles the decision and every ancestor, and the bundle verifies offline', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const unrelatedPolicy = { rules: [{ id: 'unrelated' }] };
    const bundle = await q.bundle(dag.f.executionId, {
      keys: [trustedKey(stranger, ['governance']), governance()],
      policies: [unrelatedPolicy, SECOND_POLICY.document, DEFAULT_POLICY.document],
    });
    const verified = verifyBundle(JSON.parse(JSON.stringify(bundle)), { ed25519: nobleEd25519 });
    expect(verified.target.predicate.execution_id).toBe(dag.f.executionId);
    // c names b's override, which brings b's pending decision; b's refusal stays out.
    expect(verified.attestations.map((v) => v.digest).sort()).toEqual(
      [dag.f, dag.d, dag.e, dag.c, dag.a, dag.b, dag.b2].map((a) => a.digest).sort(),
    );
    expect(verified.attestations[0]!.digest).toBe(dag.f.digest);
    expect(bundle.keys).toEqual([governance()]);
    expect(bundle.releases).toBeUndefined();
    expect(bundle.policies.map((p) => p.hash).sort()).toEqual(
      [dag.a.policy.hash, dag.d.policy.hash].sort(),
    );

    // A root's bundle holds only its own decision and its one policy.
    const root = await q.bundle(dag.g.executionId, {
      keys: [governance()],
      policies: [SECOND_POLICY.document, DEFAULT_POLICY.document],
    });
    expect(root.attestations).toHaveLength(1);
    expect(root.policies.map((p) => p.hash)).toEqual([dag.g.policy.hash]);
    verifyBundle(root, { ed25519: nobleEd25519 });
  });

  it('bundles an overridden execution: its override is the target, its pending decision beside it', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all, [DEFAULT_POLICY, SECOND_POLICY]);
    const bundle = await q.bundle(dag.b.executionId, { keys: [governance()], policies: [] });
    const verified = verifyBundle(JSON.parse(JSON.stringify(bundle)), { ed25519: nobleEd25519 });
    expect(verified.target.digest).toBe(dag.b2.digest);
    expect(verified.target.predicate).toMatchObject({ kind: 'override', decision: 'allow' });
    expect(verified.decision.digest).toBe(dag.b.digest);
    expect(verified.attestations.map((v) => v.digest)).toEqual([dag.b2.digest, dag.b.digest]);
    // The policy came from the policies table: no file was given.
    expect(bundle.policies).toEqual([
      { hash: dag.b.policy.hash, document: DEFAULT_POLICY.document },
    ]);

    // A child of the approved execution: its bundle holds the override and the pending decision.
    const child = await q.bundle(dag.c.executionId, { keys: [governance()], policies: [] });
    const checked = verifyBundle(child, { ed25519: nobleEd25519 });
    expect(checked.target.digest).toBe(dag.c.digest);
    expect(checked.attestations.map((v) => v.digest).sort()).toEqual(
      [dag.c, dag.a, dag.b, dag.b2].map((a) => a.digest).sort(),
    );
  });

  it('takes policies from the table, falls back to files, and embeds signed releases', async () => {
    const releaser = generateKeyPair();
    const manifest = { name: 'lineage-governance', version: '1.0.0' };
    const dag = (() => {
      const builder = new LedgerBuilder(keys.signer);
      const root = builder.decide([], { runtime: digestOf(manifest) });
      const child = builder.decide([root.executionId], {
        policy: SECOND_POLICY,
        runtime: digestOf(manifest),
      });
      return { root, child };
    })();
    // Only the default policy is on the policies topic; the second comes from the files.
    const q = await queriesOver([dag.root, dag.child], [DEFAULT_POLICY]);
    const release = toDsse(signRelease([manifest], '2024-12-01T00:00:00Z', releaser.signer));
    const bundle = await q.bundle(dag.child.executionId, {
      keys: [governance(), trustedKey(releaser, ['release']), trustedKey(stranger, ['release'])],
      policies: [SECOND_POLICY.document],
      releases: [release],
    });
    expect(bundle.releases).toEqual([release]);
    expect(bundle.keys.map((k) => k.keyid).sort()).toEqual([keys.keyid, releaser.keyid].sort());
    expect(bundle.policies.map((p) => p.hash).sort()).toEqual(
      [dag.root.policy.hash, dag.child.policy.hash].sort(),
    );
    const verified = verifyBundle(bundle, { ed25519: nobleEd25519 });
    expect(verified.runtimeVerified).toBe(true);
    // Without the release the same lineage verifies, its runtime unvouched for.
    const bare = await q.bundle(dag.child.executionId, {
      keys: [governance()],
      policies: [SECOND_POLICY.document],
    });
    expect(verifyBundle(bare, { ed25519: nobleEd25519 }).runtimeVerified).toBe(false);
  });

  it('does not embed a stored policy edited after the fact when a file has the pinned one', async () => {
    const dag = smallDag();
    const schema = dropLater(await projected(pool, dag.all, [DEFAULT_POLICY]));
    await pool.query(
      `UPDATE "${schema}".policies SET document = jsonb_set(document, '{deny}', '[{"id":"x","agents":["*"]}]')`,
    );
    const q = openQueries(pool, schema);
    const fromFile = await q.bundle(dag.a.executionId, {
      keys: [governance()],
      policies: [DEFAULT_POLICY.document],
    });
    expect(fromFile.policies).toEqual([
      { hash: dag.a.policy.hash, document: DEFAULT_POLICY.document },
    ]);
    verifyBundle(fromFile, { ed25519: nobleEd25519 });
    // With no file, the edited document is embedded under its own hash: the pinned one is missing.
    const edited = await q.bundle(dag.a.executionId, { keys: [governance()], policies: [] });
    expect(edited.policies.map((p) => p.hash)).not.toContain(dag.a.policy.hash);
    expect(() => verifyBundle(edited, { ed25519: nobleEd25519 })).toThrow(
      expect.objectContaining({ code: 'POLICY_MISSING' }),
    );
  });

  it('bundles a ladder of 30 diamonds: 61 attestations', async () => {
    const { attestations, leaf } = diamondLadder(new LedgerBuilder(keys.signer), 30);
    const q = await queriesOver(attestations);
    const bundle = await q.bundle(leaf.executionId, {
      keys: [trustedKey(keys, ['governance'])],
      policies: [DEFAULT_POLICY.document],
    });
    expect(bundle.attestations).toHaveLength(61);
    expect(verifyBundle(bundle, { ed25519: nobleEd25519 }).attestations).toHaveLength(61);
  });
});

describe('refusals', () => {
  it('NOT_FOUND for an execution the projection does not know', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const unknown: ExecutionId = newExecutionId();
    expect(await queryErrorCode(q.show(unknown))).toBe('NOT_FOUND');
    expect(await queryErrorCode(q.ancestors(unknown))).toBe('NOT_FOUND');
    expect(await queryErrorCode(q.descendants(unknown))).toBe('NOT_FOUND');
    expect(await queryErrorCode(q.authorizationPath(unknown))).toBe('NOT_FOUND');
    expect(await queryErrorCode(q.bundle(unknown, { keys: [], policies: [] }))).toBe('NOT_FOUND');
  });

  it('INVALID_ARGUMENT for ids that are not ids, and for depths and limits out of range', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const hostile = [
      "' OR 1=1 --",
      '../../etc/passwd',
      '',
      'A'.repeat(64),
      dag.a.executionId.toUpperCase(),
    ];
    for (const bad of hostile) {
      expect(await queryErrorCode(q.show(bad))).toBe('INVALID_ARGUMENT');
      expect(await queryErrorCode(q.ancestors(bad))).toBe('INVALID_ARGUMENT');
      expect(await queryErrorCode(q.descendants(bad))).toBe('INVALID_ARGUMENT');
      expect(await queryErrorCode(q.agentBlastRadius(bad))).toBe('INVALID_ARGUMENT');
      expect(await queryErrorCode(q.authorizationPath(bad))).toBe('INVALID_ARGUMENT');
      expect(await queryErrorCode(q.byFingerprint(bad))).toBe('INVALID_ARGUMENT');
      expect(await queryErrorCode(q.byRuntime(bad))).toBe('INVALID_ARGUMENT');
      expect(await queryErrorCode(q.byAgent(bad))).toBe('INVALID_ARGUMENT');
      expect(await queryErrorCode(q.byPrincipal(bad))).toBe('INVALID_ARGUMENT');
      expect(await queryErrorCode(q.policy(bad))).toBe('INVALID_ARGUMENT');
      expect(await queryErrorCode(q.bundle(bad, { keys: [], policies: [] }))).toBe(
        'INVALID_ARGUMENT',
      );
    }
    // A policy id is free text (bound as a parameter): injection-looking text just matches nothing.
    expect((await q.byPolicy("' OR 1=1 --", 3)).items).toEqual([]);
    expect(await queryErrorCode(q.byPolicy('', 3))).toBe('INVALID_ARGUMENT');
    expect(await queryErrorCode(q.byPolicy('default', -1))).toBe('INVALID_ARGUMENT');
    expect(await queryErrorCode(q.byPolicy('default', 1.5))).toBe('INVALID_ARGUMENT');
    for (const maxDepth of [0, -1, 1.5, 1_001, Number.NaN]) {
      expect(await queryErrorCode(q.ancestors(dag.f.executionId, { maxDepth }))).toBe(
        'INVALID_ARGUMENT',
      );
      expect(await queryErrorCode(q.authorizationPath(dag.f.executionId, { maxDepth }))).toBe(
        'INVALID_ARGUMENT',
      );
    }
    for (const limit of [0, 1_001, 2.5]) {
      expect(await queryErrorCode(q.descendants(dag.a.executionId, { limit }))).toBe(
        'INVALID_ARGUMENT',
      );
      expect(await queryErrorCode(q.byAgent(COMPROMISED, { limit }))).toBe('INVALID_ARGUMENT');
    }
  });

  it('INVALID_CURSOR for cursors it did not issue for that query', async () => {
    const dag = smallDag();
    const q = await queriesOver(dag.all);
    const listCursor = encodeListCursor({
      issued_at: '2025-01-01T00:00:00.000000Z',
      attestation_digest: dag.a.digest,
    });
    const walkCursor = encodeWalkCursor({ depth: 1, execution_id: dag.a.executionId });
    for (const cursor of ['!!!', 'e30', "' OR 1=1 --", 'bm90IGpzb24', listCursor]) {
      expect(await queryErrorCode(q.ancestors(dag.f.executionId, { cursor }))).toBe(
        'INVALID_CURSOR',
      );
      expect(await queryErrorCode(q.agentBlastRadius(COMPROMISED, { cursor }))).toBe(
        'INVALID_CURSOR',
      );
    }
    expect(await queryErrorCode(q.byAgent(COMPROMISED, { cursor: walkCursor }))).toBe(
      'INVALID_CURSOR',
    );
    expect(await queryErrorCode(q.byPolicy('default', 3, { cursor: 'e30' }))).toBe(
      'INVALID_CURSOR',
    );
  });
});
