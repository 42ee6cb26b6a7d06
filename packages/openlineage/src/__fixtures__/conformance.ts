// Test support (never imported by non-test code): the official OpenLineage 2-0-2 schemas and this
// package's custom facet schemas in one ajv instance, and the recorded ledger of a demo run.
import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { fromDsse, loadTrustStore, nobleEd25519, verifyAttestation } from '@lineage/protocol';
import type { DsseEnvelope, TrustStoreDocument } from '@lineage/protocol';
import { readAttestation } from '../attestation.js';
import type { Attested } from '../attestation.js';

const packageDir = new URL('../../', import.meta.url);
const readJson = (url: URL): unknown => JSON.parse(readFileSync(url, 'utf8'));
const jsonFiles = (dir: URL): URL[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => new URL(f, dir));

/** Every schema: OpenLineage.json, the official facets, and ours (spec/facets/1-0-0). */
export function schemaFiles(): URL[] {
  const official = new URL('test-data/openlineage-2-0-2/', packageDir);
  return [
    new URL('OpenLineage.json', official),
    ...jsonFiles(new URL('facets/', official)),
    ...jsonFiles(new URL('spec/facets/1-0-0/', packageDir)),
  ];
}

/** Validators by schema URI (`$id#/$defs/X`), as a `schemaURL` or `_schemaURL` names them. */
export interface Conformance {
  /** The validator a (facet) schema URL points to; throws when no loaded schema defines it. */
  validator(schemaUrl: string): ValidateFunction;
  /** The OpenLineage.json document itself (a RunEvent must match exactly one of its events). */
  event: ValidateFunction;
}

/** Loads every schema into one draft 2020-12 ajv instance with formats (uri, uuid, date-time). */
export function conformance(): Conformance {
  const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
  addFormats.default(ajv);
  // The spec annotates properties with `example`, which is no JSON Schema keyword.
  ajv.addKeyword({ keyword: 'example', schemaType: ['string', 'number', 'object', 'array'] });
  for (const file of schemaFiles()) ajv.addSchema(readJson(file) as object);
  return {
    validator(schemaUrl) {
      const found = ajv.getSchema(schemaUrl);
      if (found === undefined) throw new Error(`no schema loaded for ${schemaUrl}`);
      return found;
    },
    event: ajv.getSchema('https://openlineage.io/spec/2-0-2/OpenLineage.json')!,
  };
}

interface RecordedLedger {
  topic: string;
  trust: TrustStoreDocument;
  records: { partition: number; offset: string; envelope: DsseEnvelope }[];
}

/**
 * The ledger of one `pnpm demo` run (test-data/demo-ledger.json): its attestations topic and every
 * attestation in partition and offset order, each checked against the run's trust store first, so
 * the tests map real governance-signed attestations.
 */
export function demoLedger(): { topic: string; attestations: Attested[] } {
  const ledger = readJson(new URL('test-data/demo-ledger.json', packageDir)) as RecordedLedger;
  const ctx = { trust: loadTrustStore(ledger.trust), ed25519: nobleEd25519 };
  for (const r of ledger.records) verifyAttestation(fromDsse(r.envelope), ctx);
  return {
    topic: ledger.topic,
    attestations: ledger.records.map((r) => readAttestation(r.envelope)),
  };
}
