import { Type } from '@sinclair/typebox';
import type { Static, TProperties } from '@sinclair/typebox';
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

/** An object schema that refuses properties it does not name. */
const Strict = <P extends TProperties>(properties: P) =>
  Type.Object(properties, { additionalProperties: false });

/** `/v1/executions/:id…` */
export const ExecutionParams = Strict({ id: ExecutionIdParam });
/** `/v1/agents/:keyid…` */
export const AgentParams = Strict({
  keyid: DigestParam('agent key id (SHA-256 hex of the public key)'),
});
/** `/v1/principals/:keyid…` */
export const PrincipalParams = Strict({
  keyid: DigestParam('principal key id (SHA-256 hex of the public key)'),
});
/** `/v1/fingerprints/:fp` */
export const FingerprintParams = Strict({ fp: DigestParam('execution fingerprint (SHA-256 hex)') });
/** `/v1/policies/:id/:version/executions` */
export const PolicyVersionParams = Strict({ id: PolicyIdParam, version: PolicyVersionParam });
/** `/v1/policies/:hash` */
export const PolicyHashParams = Strict({
  hash: DigestParam('policy hash (SHA-256 hex of the canonical document)'),
});
/** `/v1/runtimes/:hash…` */
export const RuntimeParams = Strict({ hash: DigestParam('runtime manifest hash (SHA-256 hex)') });

/** No query string. */
export const NoQuery = Strict({});
/** Graph walks: depth and paging. */
export const WalkQuery = Strict({
  depth: Type.Optional(Depth),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
});
export type WalkQuery = Static<typeof WalkQuery>;
/** Flat listings: paging. */
export const PageQuery = Strict({ limit: Type.Optional(Limit), cursor: Type.Optional(Cursor) });
export type PageQuery = Static<typeof PageQuery>;
/** Bundles: the checkpoints the caller pinned, as `<partition>:<size>` pairs. */
export const BundleQuery = Strict({
  pin: Type.Optional(
    Type.String({
      description:
        'checkpoints the verifier pinned, `<partition>:<size>[,<partition>:<size>…]` (at most 64): the bundle carries a consistency proof between each and every bundled checkpoint of its partition',
      pattern:
        '^(0|[1-9][0-9]{0,9}):(0|[1-9][0-9]{0,15})(,(0|[1-9][0-9]{0,9}):(0|[1-9][0-9]{0,15})){0,63}$',
      maxLength: 2048,
    }),
  ),
});
export type BundleQuery = Static<typeof BundleQuery>;
/** The authorization path: depth only. */
export const DepthQuery = Strict({ depth: Type.Optional(Depth) });
export type DepthQuery = Static<typeof DepthQuery>;
