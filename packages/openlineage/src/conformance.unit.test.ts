import { describe, expect, it } from 'vitest';
import { conformance, demoLedger } from './__fixtures__/conformance.js';
import { EventMapper, encodeEvent } from './event.js';
import type { RunEvent } from './types.js';

// Every event of the demo's ledger, and every facet in it, against the official OpenLineage 2-0-2
// JSON Schemas (test-data/openlineage-2-0-2, unmodified) and our own versioned facet schemas.
describe('OpenLineage 2-0-2 conformance over the demo ledger', () => {
  const { validator, event: openLineage } = conformance();
  const { topic, attestations } = demoLedger();
  const mapper = new EventMapper({ ledger: topic });
  for (const a of attestations) mapper.learn(a);
  const events = attestations.map((a) => mapper.map(a));

  const facetsOf = (e: RunEvent) => [
    ...Object.entries(e.run.facets).map(([key, facet]) => ({ key, facet })),
    ...Object.entries(e.job.facets).map(([key, facet]) => ({ key, facet })),
  ];

  it('maps every attestation (all kinds and decisions) to one event', () => {
    expect(events).toHaveLength(attestations.length);
    const kinds = new Set(attestations.map((a) => a.statement.predicate.kind));
    expect([...kinds].sort()).toEqual([
      'decision',
      'override',
      'override_rejection',
      'replay_rejection',
    ]);
    expect(new Set(events.map((e) => e.eventType))).toEqual(new Set(['START', 'ABORT', 'OTHER']));
  });

  it('validates every event against OpenLineage.json and its RunEvent definition', () => {
    const runEvent = validator(
      'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent',
    );
    for (const e of events) {
      // Through JSON, as a receiver reads it.
      const received = JSON.parse(encodeEvent(e)) as unknown;
      expect(openLineage(received), JSON.stringify(openLineage.errors)).toBe(true);
      expect(runEvent(received), JSON.stringify(runEvent.errors)).toBe(true);
      expect(validator(e.schemaURL)).toBe(runEvent);
    }
  });

  it('validates every facet against the schema its _schemaURL names, custom facets included', () => {
    const seen = new Set<string>();
    for (const e of events) {
      for (const { key, facet } of facetsOf(e)) {
        const validate = validator(facet._schemaURL);
        expect(validate(facet), `${key}: ${JSON.stringify(validate.errors)}`).toBe(true);
        seen.add(key);
      }
    }
    expect([...seen].sort()).toEqual([
      'jobType',
      'lineage_attestation',
      'lineage_parents',
      'parent',
    ]);
  });

  it('names custom facets {prefix}_{name} and each custom schema under that key', () => {
    for (const key of ['lineage_attestation', 'lineage_parents']) {
      expect(key).toMatch(/^[a-z][a-zA-Z0-9]*_[a-z][a-zA-Z0-9]*$/);
      const facet = events.flatMap(facetsOf).find((f) => f.key === key)!.facet;
      // The schema file's top-level `properties` holds the facet under its key, as the spec's facets do.
      const file = validator(facet._schemaURL.split('#')[0]!);
      expect(file({ [key]: facet }), JSON.stringify(file.errors)).toBe(true);
      expect(file({ [key]: { ...facet, _producer: 'not a uri' } })).toBe(false);
    }
  });

  it('rejects an event that breaks the spec, so the checks can fail', () => {
    const broken = JSON.parse(encodeEvent(events[0]!)) as Record<string, unknown>;
    const withoutRunId = { ...broken, run: { facets: {} } };
    expect(openLineage(withoutRunId)).toBe(false);
    expect(openLineage({ ...broken, eventType: 'DENIED' })).toBe(false);
    expect(openLineage({ ...broken, eventTime: 'yesterday' })).toBe(false);
  });
});
