// The URIs an event names: the OpenLineage spec version it follows and the versioned schema of each
// facet it carries. Each is an immutable, versioned pointer (OpenLineage.md, "Custom Facets").

/** The OpenLineage spec version every event follows. */
export const OPENLINEAGE_SPEC_VERSION = '2-0-2';
/** `schemaURL` of every event: the RunEvent definition of spec 2-0-2. */
export const RUN_EVENT_SCHEMA_URL =
  'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';
/** The standard `parent` run facet (version 1-2-0, which carries `root`). */
export const PARENT_FACET_SCHEMA_URL =
  'https://openlineage.io/spec/facets/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet';
/** The standard `jobType` job facet (version 2-0-4). */
export const JOB_TYPE_FACET_SCHEMA_URL =
  'https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet';
/** Our `lineage_attestation` run facet, version 1-0-0 (`spec/facets/1-0-0/` in this package). */
export const ATTESTATION_FACET_SCHEMA_URL =
  'https://lineage.dev/spec/facets/1-0-0/LineageAttestationRunFacet.json#/$defs/LineageAttestationRunFacet';
/** Our `lineage_parents` run facet, version 1-0-0 (`spec/facets/1-0-0/` in this package). */
export const PARENTS_FACET_SCHEMA_URL =
  'https://lineage.dev/spec/facets/1-0-0/LineageParentsRunFacet.json#/$defs/LineageParentsRunFacet';

/** Custom facet keys: `{prefix}_{name}`, prefix `lineage` (OpenLineage.md, "Custom Facet Naming"). */
export const ATTESTATION_FACET = 'lineage_attestation';
export const PARENTS_FACET = 'lineage_parents';

/**
 * The default `producer` and facet `_producer`: names this mapping and its version. Bump it when the
 * mapping changes, so receivers can tell events of different mappings apart.
 */
export const DEFAULT_PRODUCER = 'https://lineage.dev/openlineage/1.0.0';
/** The default base of every namespace this mapping names. */
export const DEFAULT_NAMESPACE = 'lineage';
