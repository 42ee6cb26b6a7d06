import { Type } from '@sinclair/typebox';
import type { Static, TSchema } from '@sinclair/typebox';
import { BUNDLE_MEDIA_TYPE } from '@lineage/protocol';
import type { EvidenceBundle as ProtocolBundle, JsonValue } from '@lineage/protocol';
import { MAX_BUNDLE_ATTESTATIONS, MAX_PATH_EDGES, MAX_PATH_NODES, MAX_WALK_WIDTH } from './caps.js';

// The query API's response bodies, declared once: fastify validates responses against them, the
// OpenAPI document is generated from them, and `@lineage/query` and the SDK take their types from them.

const Nullable = <T extends TSchema>(schema: T, description?: string) =>
  Type.Union([schema, Type.Null()], description === undefined ? {} : { description });
const Strings = (description?: string) =>
  Type.Array(Type.String(), description === undefined ? {} : { description });
const DateTime = (description?: string) =>
  Type.String({ format: 'date-time', ...(description === undefined ? {} : { description }) });
const closed = { additionalProperties: false } as const;

/** What kind of attestation a row is. */
export const AttestationKind = Type.Union([
  Type.Literal('decision'),
  Type.Literal('override'),
  Type.Literal('replay_rejection'),
  Type.Literal('override_rejection'),
]);
/** An attestation's decision. */
export const Decision = Type.Union([
  Type.Literal('allow'),
  Type.Literal('deny'),
  Type.Literal('pending_override'),
]);
/** An approver's verdict. */
export const Resolution = Type.Union([Type.Literal('approve'), Type.Literal('reject')]);

const dsse = (description?: string) =>
  Type.Object(
    {
      payloadType: Type.String(),
      payload: Type.String({ description: 'base64' }),
      signatures: Type.Array(Type.Object({ keyid: Type.String(), sig: Type.String() })),
    },
    description === undefined ? {} : { description },
  );
/** A DSSE JSON envelope (payload and signatures base64). */
export const Dsse = dsse();

/** One attestation of an execution as projected. */
export const ExecutionSummary = Type.Object(
  {
    execution_id: Type.String(),
    attestation_digest: Type.String(),
    kind: AttestationKind,
    decision: Decision,
    reasons: Strings(),
    agent: Type.String(),
    action: Type.String(),
    resource: Type.String(),
    policy: Type.Object(
      { id: Type.String(), version: Type.Integer(), hash: Type.String() },
      closed,
    ),
    runtime_hash: Type.String(),
    fingerprint: Type.String(),
    issued_at: DateTime(),
    issuer: Type.String(),
    partition: Type.Integer(),
    offset: Type.String({ description: 'Kafka offset, decimal (64-bit)' }),
    sequence: Type.Integer(),
    overrides: Nullable(
      Type.String(),
      'override / override_rejection: digest of the pending decision it answers',
    ),
    approver: Nullable(Type.String(), 'the approver its resolution names'),
    resolution: Nullable(Resolution, '`approve` or `reject` (overrides and refusals)'),
    grant_digest: Nullable(Type.String(), 'digest of the root grant (roots)'),
    principals: Strings('principals at the roots of its authority'),
    depth: Type.Integer({ description: 'links from the root grant (0 at a root)' }),
  },
  closed,
);
export type ExecutionSummary = Static<typeof ExecutionSummary>;

/** An approver's resolution as an override or refusal carries it. */
export const ResolutionView = Type.Object(
  {
    attestation_digest: Type.String({ description: 'the override / override_rejection' }),
    pending: Type.String({ description: 'digest of the pending_override decision answered' }),
    decision: Decision,
    reasons: Strings(),
    approver: Nullable(Type.String()),
    resolution: Nullable(Resolution),
    reason: Nullable(Type.String()),
    resolved_at: Nullable(DateTime()),
    issued_at: DateTime(),
    envelope: dsse('the approver-signed resolution (DSSE)'),
  },
  closed,
);
export type ResolutionView = Static<typeof ResolutionView>;

/** Where an execution's authority came from, as its decision records it. */
export const AuthorityView = Type.Object(
  {
    grant: Nullable(Type.String(), 'digest of the root grant (roots)'),
    inherited_from: Strings('parent attestations (a decision, or the override approving it)'),
    principals: Strings(),
    scope: Nullable(
      Type.Object({ actions: Strings(), resources: Strings() }, closed),
      'the scope of the root grant',
    ),
    depth: Type.Integer(),
  },
  closed,
);
export type AuthorityView = Static<typeof AuthorityView>;

/** An execution as `show` reports it: its effective outcome and every attestation. */
export const ExecutionView = Type.Object(
  {
    execution_id: Type.String(),
    outcome: Nullable(
      Type.Object(
        {
          decision: Decision,
          kind: Type.Union([Type.Literal('decision'), Type.Literal('override')]),
          attestation_digest: Type.String(),
        },
        closed,
      ),
      'what settles the execution: the override answering its decision, else its decision',
    ),
    decision: Nullable(
      ExecutionSummary,
      'its decision (pending_override for an overridden execution)',
    ),
    override: Nullable(ResolutionView),
    refused: Type.Array(ResolutionView, {
      description: 'resolutions governance refused; they changed nothing',
    }),
    authorization: Nullable(AuthorityView),
    attestations: Type.Array(ExecutionSummary, {
      description: 'every attestation, the decision first, then in ledger order',
    }),
  },
  closed,
);
export type ExecutionView = Static<typeof ExecutionView>;

/** An execution reached by a graph walk, with its shortest distance from the start. */
export const LineageNode = Type.Object(
  {
    execution_id: Type.String(),
    depth: Type.Integer({ description: 'shortest distance from the start' }),
    decision: Nullable(Type.String()),
    action: Nullable(Type.String()),
    agent: Nullable(Type.String()),
  },
  closed,
);
export type LineageNode = Static<typeof LineageNode>;

/** One page of results; `next` is the cursor of the following page, null on the last. */
export const Page = <T extends TSchema>(item: T) =>
  Type.Object(
    {
      items: Type.Array(item),
      next: Nullable(Type.String(), 'cursor of the next page; null on the last'),
    },
    closed,
  );
export interface Page<T> {
  items: T[];
  next: string | null;
  /** Walks only: the walk stopped at a level wider than its cap (see {@link NodePage}). */
  truncated?: boolean;
}
/**
 * One page of a graph walk, ordered by (shortest depth, execution id). `truncated` when the walk
 * stopped at a level wider than its cap: the items are right, the deeper ones are not listed.
 */
export const NodePage = Type.Object(
  {
    items: Type.Array(LineageNode),
    next: Nullable(Type.String(), 'cursor of the next page; null on the last'),
    truncated: Type.Optional(
      Type.Boolean({
        description: `true when the walk stopped at a level it could not pass: the levels it passed hold more than ${MAX_WALK_WIDTH} nodes; then \`next\` is null`,
      }),
    ),
  },
  closed,
);
export const SummaryPage = Page(ExecutionSummary);

/** The authorization path: the ancestor subgraph from an execution up to its roots. */
export const AuthorizationPath = Type.Object(
  {
    execution_id: Type.String(),
    nodes: Type.Array(LineageNode),
    edges: Type.Array(
      Type.Object(
        { child: Type.String(), parent: Type.String(), parent_attestation: Type.String() },
        closed,
      ),
    ),
    roots: Strings('ancestors (or the execution itself) with no parents: where authority entered'),
    truncated: Type.Optional(
      Type.Boolean({
        description: `true when depth, or a cap (${MAX_PATH_NODES} nodes, ${MAX_PATH_EDGES} edges: the path then stops a level earlier), cut the walk: some node has parents outside`,
      }),
    ),
  },
  closed,
);
export type AuthorizationPath = Static<typeof AuthorizationPath>;

/** A policy document as the policies topic published it. */
export const StoredPolicy = Type.Object(
  {
    hash: Type.String({ description: 'SHA-256 of the RFC 8785 form of `document`' }),
    id: Type.String(),
    version: Type.Integer(),
    document: Type.Unsafe<JsonValue>({
      type: 'object',
      description: 'the policy document as published',
    }),
    activated_at: DateTime(),
    partition: Type.Integer(),
    offset: Type.String({ description: 'offset on the policies topic, decimal (64-bit)' }),
  },
  closed,
);
export type StoredPolicy = Static<typeof StoredPolicy>;

/** The attestations carrying one execution fingerprint. */
export const FingerprintResult = Type.Object(
  { fingerprint: Type.String(), attestations: Type.Array(ExecutionSummary) },
  closed,
);
export type FingerprintResult = Static<typeof FingerprintResult>;

const InclusionProof = Type.Object({
  attestation: Type.String(),
  partition: Type.Integer(),
  index: Type.Integer(),
  checkpoint: Type.Integer(),
  hashes: Type.Array(Type.String({ contentEncoding: 'base64' })),
});
const PinnedConsistency = Type.Object({
  partition: Type.Integer(),
  checkpoint: Type.Integer(),
  size: Type.Integer(),
  hashes: Type.Array(Type.String({ contentEncoding: 'base64' })),
});

/** The evidence bundle as the API serves it; its type is the protocol's, which builds and verifies it. */
export const EvidenceBundle = Type.Unsafe<ProtocolBundle>(
  Type.Object(
    {
      mediaType: Type.Literal(BUNDLE_MEDIA_TYPE),
      execution_id: Type.String(),
      attestations: Type.Array(Dsse),
      keys: Type.Array(Type.Object({})),
      policies: Type.Array(Type.Object({})),
      releases: Type.Optional(
        Type.Array(Dsse, {
          description: 'signed release manifests vouching for governance runtimes',
        }),
      ),
      ledger: Type.Optional(
        Type.String({
          description: 'the attestations topic whose partitions the checkpoints sign',
        }),
      ),
      checkpoints: Type.Optional(Strings('signed C2SP checkpoint notes, each once')),
      proofs: Type.Optional(
        Type.Array(InclusionProof, {
          description:
            'RFC 6962 inclusion proofs: attestation `index` (its sequence) of `partition` is in the tree `checkpoints[checkpoint]` signs; attestations no checkpoint covers yet have none',
        }),
      ),
      consistency: Type.Optional(
        Type.Array(PinnedConsistency, {
          description:
            'RFC 6962 consistency proofs between the pinned tree of `size` leaves of `partition` (query `pin`) and the tree `checkpoints[checkpoint]` signs, from the smaller size to the larger',
        }),
      ),
    },
    {
      description: `${BUNDLE_MEDIA_TYPE}: the attestation envelopes of the execution (its override first when one answers its decision, then its decision) and its ancestors, the public keys, the policy documents and signed release manifests, and inclusion proofs against signed checkpoints; verify with \`lineage verify\`. At most ${MAX_BUNDLE_ATTESTATIONS} attestations: a larger bundle is refused 422 \`RESPONSE_TOO_LARGE\``,
    },
  ),
);
export type EvidenceBundle = Static<typeof EvidenceBundle>;

/**
 * Codes of the API's one error body. `RESPONSE_TOO_LARGE` (422): the answer would exceed a stated
 * cap and cannot be paged, e.g. an evidence bundle of more than
 * `MAX_BUNDLE_ATTESTATIONS` attestations.
 */
export const ApiErrorCode = Type.Union([
  Type.Literal('INVALID_ARGUMENT'),
  Type.Literal('INVALID_CURSOR'),
  Type.Literal('UNAUTHENTICATED'),
  Type.Literal('FORBIDDEN'),
  Type.Literal('NOT_FOUND'),
  Type.Literal('RESPONSE_TOO_LARGE'),
  Type.Literal('INTERNAL'),
  // Hardening of the serving path: method, size, time and load refusals.
  Type.Literal('METHOD_NOT_ALLOWED'),
  Type.Literal('REQUEST_TIMEOUT'),
  Type.Literal('PAYLOAD_TOO_LARGE'),
  Type.Literal('HEADERS_TOO_LARGE'),
  Type.Literal('RATE_LIMITED'),
  Type.Literal('UNAVAILABLE'),
]);
export type ApiErrorCode = Static<typeof ApiErrorCode>;
/** Every code of {@link ApiErrorCode}, for clients that check what they received. */
export const API_ERROR_CODES: readonly ApiErrorCode[] = ApiErrorCode.anyOf.map((c) => c.const);

/** The API's one error body, `{ "error": { "code", "message" } }`. */
export const ErrorBody = Type.Object(
  { error: Type.Object({ code: ApiErrorCode, message: Type.String() }, closed) },
  closed,
);
export type ErrorBody = Static<typeof ErrorBody>;

/** `/healthz`. */
export const Health = Type.Object({ status: Type.Literal('ok') }, closed);
