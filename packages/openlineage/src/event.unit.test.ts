import { describe, expect, it } from 'vitest';
import { demoLedger } from './__fixtures__/conformance.js';
import type { Attested } from './attestation.js';
import { readAttestation } from './attestation.js';
import type { OpenLineageError } from './errors.js';
import { EventMapper, encodeEvent, eventTypeOf } from './event.js';
import { datasetOf, jobOf, runIdOf } from './names.js';

const { topic, attestations } = demoLedger();
const mapperOf = (ledger: readonly Attested[]) => {
  const mapper = new EventMapper({ ledger: topic });
  for (const a of ledger) mapper.learn(a);
  return mapper;
};
const predicate = (a: Attested) => a.statement.predicate;
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return (e as OpenLineageError).code;
  }
  return 'nothing thrown';
};

describe('EventMapper', () => {
  it('maps the same attestation to byte-identical events, whatever order the ledger was learned in', () => {
    const first = attestations.map((a) => encodeEvent(mapperOf(attestations).map(a)));
    const reversed = mapperOf([...attestations].reverse());
    expect(attestations.map((a) => encodeEvent(reversed.map(a)))).toEqual(first);
  });

  it('takes runId, eventTime and job from the attestation, never from the clock', () => {
    const mapper = mapperOf(attestations);
    for (const a of attestations.filter((x) => predicate(x).kind === 'decision')) {
      const p = predicate(a);
      const e = mapper.map(a);
      expect(e.run.runId).toBe(p.execution_id);
      expect(e.eventTime).toBe(p.issued_at);
      expect(e.job).toMatchObject(jobOf('lineage', p.agent, p.action));
      expect(e.run.facets.lineage_attestation).toMatchObject({
        digest: a.digest,
        decision: p.decision,
        reasons: p.reasons,
        policy: p.policy,
        runtimeHash: p.runtime_hash,
        partition: p.partition,
        sequence: p.sequence,
        checkpoint: { origin: `lineage.dev/ledger/${topic}/${p.partition}`, leafIndex: p.sequence },
      });
    }
  });

  it('puts every later attestation of an id on the run and job its decision started', () => {
    const mapper = mapperOf(attestations);
    const later = attestations.filter((a) => predicate(a).kind !== 'decision');
    expect(later.length).toBeGreaterThanOrEqual(3);
    for (const a of later) {
      const decision = attestations.find(
        (d) =>
          predicate(d).kind === 'decision' &&
          predicate(d).execution_id === predicate(a).execution_id,
      )!;
      const e = mapper.map(a);
      expect(e.run.runId).toBe(mapper.map(decision).run.runId);
      expect(e.job).toEqual(mapper.map(decision).job);
    }
  });

  it('names the first parent and the root in `parent`, and every parent in `lineage_parents`', () => {
    const mapper = mapperOf(attestations);
    const multi = attestations.find((a) => predicate(a).parents.length > 1)!;
    const e = mapper.map(multi);
    const parents = predicate(multi).parents;
    expect(e.run.facets.parent?.run.runId).toBe(parents[0]!.execution_id);
    expect(e.run.facets.lineage_parents?.parents.map((p) => [p.run.runId, p.attestation])).toEqual(
      parents.map((p) => [p.execution_id, p.attestation]),
    );
    // The root is a decision with no parents, reached through first parents.
    const root = e.run.facets.parent!.root;
    const rootAttestation = attestations.find((a) => predicate(a).execution_id === root.run.runId)!;
    expect(predicate(rootAttestation).parents).toEqual([]);
    expect(root.job).toEqual(
      jobOf('lineage', predicate(rootAttestation).agent, predicate(rootAttestation).action),
    );
    const roots = attestations.filter((a) => predicate(a).parents.length === 0);
    for (const a of roots) expect(mapper.map(a).run.facets.parent).toBeUndefined();
  });

  it('refuses to guess a parent it has not seen, and says which one is missing', () => {
    const child = attestations.find((a) => predicate(a).parents.length > 0)!;
    const mapper = new EventMapper({ ledger: topic });
    expect(mapper.missing(child)).toBe(predicate(child).parents[0]!.execution_id);
    expect(codeOf(() => mapper.map(child))).toBe('RUN_UNKNOWN');
  });

  it('names the claimed parents of a denial by run and digest only, without waiting for them', () => {
    const denial = attestations.find(
      (a) => predicate(a).decision === 'deny' && predicate(a).parents.length > 0,
    )!;
    const mapper = new EventMapper({ ledger: topic });
    expect(mapper.missing(denial)).toBeNull();
    const e = mapper.map(denial);
    expect(e.run.facets.parent).toBeUndefined();
    expect(e.run.facets.lineage_parents?.parents).toEqual(
      predicate(denial).parents.map((p) => ({
        run: { runId: p.execution_id },
        attestation: p.attestation,
      })),
    );
    expect(encodeEvent(e)).toBe(encodeEvent(mapperOf(attestations).map(denial)));
  });

  it('lists the resource as an input of allowed runs only', () => {
    const mapper = mapperOf(attestations);
    for (const a of attestations) {
      const e = mapper.map(a);
      expect(e.inputs).toEqual(
        e.eventType === 'START' ? [datasetOf('lineage', predicate(a).resource)] : [],
      );
    }
  });

  it('rejects options the spec cannot carry', () => {
    expect(codeOf(() => new EventMapper({ producer: 'not a uri' }))).toBe('INVALID_OPTIONS');
    expect(codeOf(() => new EventMapper({ namespace: 'has space' }))).toBe('INVALID_OPTIONS');
  });
});

describe('mapping rules', () => {
  it('maps outcomes to event types', () => {
    const cases = [
      ['decision', 'allow', 'START'],
      ['decision', 'deny', 'ABORT'],
      ['decision', 'pending_override', 'OTHER'],
      ['override', 'allow', 'START'],
      ['override', 'deny', 'ABORT'],
      ['replay_rejection', 'deny', 'OTHER'],
      ['override_rejection', 'deny', 'OTHER'],
    ] as const;
    for (const [kind, decision, type] of cases) expect(eventTypeOf({ kind, decision })).toBe(type);
  });

  it('derives a stable UUID runId from the digest when the execution id is not a UUIDv7', () => {
    const digest = attestations[0]!.digest;
    expect(runIdOf('', digest)).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(runIdOf('', digest)).toBe(runIdOf('not-an-id', digest));
  });

  it('names URI resources by scheme and authority, others under <base>.resource', () => {
    expect(datasetOf('lineage', 's3://bucket/a/b')).toEqual({
      namespace: 's3://bucket',
      name: '/a/b',
    });
    expect(datasetOf('lineage', 'docs/q3')).toEqual({
      namespace: 'lineage.resource',
      name: 'docs/q3',
    });
    expect(datasetOf('lineage', '')).toBeNull();
  });

  it('reads a malformed envelope as a typed error', () => {
    expect(codeOf(() => readAttestation({ payload: '!!', payloadType: 'x', signatures: [] }))).toBe(
      'ATTESTATION_MALFORMED',
    );
    expect(codeOf(() => readAttestation(null))).toBe('ATTESTATION_MALFORMED');
  });
});
