export { readAttestation, readEnvelope } from './attestation.js';
export type { Attested } from './attestation.js';
export { EventMapper, encodeEvent, eventTypeOf } from './event.js';
export type { MappingOptions } from './event.js';
export { RunGraph } from './graph.js';
export { datasetOf, jobOf, runIdOf } from './names.js';
export {
  ATTESTATION_FACET,
  ATTESTATION_FACET_SCHEMA_URL,
  DEFAULT_NAMESPACE,
  DEFAULT_PRODUCER,
  JOB_TYPE_FACET_SCHEMA_URL,
  OPENLINEAGE_SPEC_VERSION,
  PARENT_FACET_SCHEMA_URL,
  PARENTS_FACET,
  PARENTS_FACET_SCHEMA_URL,
  RUN_EVENT_SCHEMA_URL,
} from './spec.js';
export { OpenLineageError } from './errors.js';
export type { OpenLineageErrorCode } from './errors.js';
export type {
  BaseFacet,
  Dataset,
  EventType,
  JobRef,
  JobTypeJobFacet,
  LineageAttestationRunFacet,
  LineageParentsRunFacet,
  ParentRunFacet,
  RunEvent,
  RunRef,
} from './types.js';
