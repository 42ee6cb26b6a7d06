import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { EXECUTION_ID_PATTERN } from '@lineage/protocol';
import { MAX_DEPTH, MAX_LIMIT, MAX_WALK_WIDTH } from './caps.js';

// Shapes of path parameters: anything else is a 400 before it reaches the query layer.

/** An execution id path parameter (lowercase UUIDv7). */
export const ExecutionIdParam = Type.String({
  description: 'execution id (lowercase UUIDv7)',
  pattern: EXECUTION_ID_PATTERN,
  minLength: 36,
  maxLength: 36,
});

/** A SHA-256 hex path parameter (digest, hash, key id). */
export const DigestParam = (description: string) =>
  Type.String({ description, pattern: '^[0-9a-f]{64}$', minLength: 64, maxLength: 64 });

const PolicyIdParam = Type.String({
  description: 'policy id',
  pattern: '^[A-Za-z0-9][A-Za-z0-9._:@+-]{0,255}$',
  minLength: 1,
  maxLength: 256,
});
const PolicyVersionParam = Type.Integer({
  description: 'policy version',
  minimum: 0,
  maximum: 2_147_483_647,
});

const Depth = Type.Integer({
  minimum: 1,
  maximum: MAX_DEPTH,
  description: 'parent/child links to follow at most (default 50)',
});
const Limit = Type.Integer({
  minimum: 1,
  maximum: MAX_LIMIT,
  description: `items per page (default 100); a walk page reads at most \`limit\` + 1 nodes of the level it ends in, and at most ${MAX_WALK_WIDTH} nodes of the levels it passes through`,
});
const Cursor = Type.String({
  minLength: 1,
  maxLength: 1024,
  description: 'opaque cursor: the `next` of the previous page',
});

const strict = { additionalProperties: false } as const;

/** `/v1/executions/:id…` */
export const ExecutionParams = Type.Object({ id: ExecutionIdParam }, strict);
/** `/v1/agents/:keyid…` */
export const AgentParams = Type.Object(
  { keyid: DigestParam('agent key id (SHA-256 hex of the public key)') },
  strict,
);
/** `/v1/principals/:keyid…` */
export const PrincipalParams = Type.Object(
  { keyid: DigestParam('principal key id (SHA-256 hex of the public key)') },
  strict,
);
/** `/v1/fingerprints/:fp` */
export const FingerprintParams = Type.Object(
  { fp: DigestParam('execution fingerprint (SHA-256 hex)') },
  strict,
);
/** `/v1/policies/:id/:version/executions` */
export const PolicyVersionParams = Type.Object(
  { id: PolicyIdParam, version: PolicyVersionParam },
  strict,
);
/** `/v1/policies/:hash` */
export const PolicyHashParams = Type.Object(
  { hash: DigestParam('policy hash (SHA-256 hex of the canonical document)') },
  strict,
);
/** `/v1/runtimes/:hash…` */
export const RuntimeParams = Type.Object(
  { hash: DigestParam('runtime manifest hash (SHA-256 hex)') },
  strict,
);

/** No query string. */
export const NoQuery = Type.Object({}, strict);
/** Graph walks: depth and paging. */
export const WalkQuery = Type.Object(
  { depth: Type.Optional(Depth), limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  strict,
);
export type WalkQuery = Static<typeof WalkQuery>;
/** Flat listings: paging. */
export const PageQuery = Type.Object(
  { limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) },
  strict,
);
export type PageQuery = Static<typeof PageQuery>;
/** The authorization path: depth only. */
export const DepthQuery = Type.Object({ depth: Type.Optional(Depth) }, strict);
export type DepthQuery = Static<typeof DepthQuery>;
