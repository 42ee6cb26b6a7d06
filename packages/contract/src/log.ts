import { Type } from '@sinclair/typebox';
import type { TObject, TSchema } from '@sinclair/typebox';
import type { ApiScope } from './routes.js';

// The tiled transparency log (C2SP tlog-tiles) of each attestation partition, under
// `/v1/log/<partition>/`: the prefix a tlog-tiles client is given. Declared here like `ROUTES`.

/** The `<partition>` of a log path: an attestation partition. */
const Partition = Type.Integer({
  description: 'attestation partition',
  minimum: 0,
  maximum: 2_147_483_647,
});
/** `/v1/log/:partition/checkpoint` */
export const LogParams = Type.Object({ partition: Partition }, { additionalProperties: false });
/** `/v1/log/:partition/tile/*`: the rest of the path is read by `parseTilePath`. */
export const TileParams = Type.Object(
  {
    partition: Partition,
    '*': Type.String({
      description:
        'the tile path after `tile/`: `<L>/<N>[.p/<W>]` (hash tiles) or `entries/<N>[.p/<W>]` (entry bundles), `<N>` in 3-digit elements, all but the last prefixed `x`',
      maxLength: 64,
    }),
  },
  { additionalProperties: false },
);

/** One GET resource of the tiled log. */
export interface LogRouteContract {
  /** fastify path. */
  path: string;
  summary: string;
  /** The scope a token needs, or null: no token at all. */
  scope: ApiScope | null;
  params: TObject;
  mediaType: string;
  response: TSchema;
}

const Bytes = (description: string) =>
  Type.String({ description, contentMediaType: 'application/octet-stream' });

/** The tiled log's resources, by operation id. */
export const LOG_ROUTES = {
  logCheckpoint: {
    path: '/v1/log/:partition/checkpoint',
    summary:
      "The partition's newest checkpoint (C2SP signed note, with the witnesses' cosignatures) whose root the projection reproduces; no token; `Cache-Control: public, max-age=5`",
    scope: null,
    params: LogParams,
    mediaType: 'text/plain; charset=utf-8',
    response: Type.String({ description: 'a C2SP tlog-checkpoint signed note' }),
  },
  logEntries: {
    path: '/v1/log/:partition/tile/entries/*',
    summary:
      'An entry bundle: the DSSE payloads of 256 attestations (fewer in a partial bundle), each a big-endian uint16 length and the bytes; scope `read`; gzip when accepted; full bundles `immutable`',
    scope: 'read',
    params: TileParams,
    mediaType: 'application/octet-stream',
    response: Bytes('uint16-length-prefixed entries'),
  },
  logTile: {
    path: '/v1/log/:partition/tile/*',
    summary:
      'A hash tile: 256 consecutive Merkle Tree Hashes of level L (fewer in a partial tile `.p/<W>`); no token; full tiles `immutable`, partial ones `max-age=60`',
    scope: null,
    params: TileParams,
    mediaType: 'application/octet-stream',
    response: Bytes('concatenated 32-byte SHA-256 hashes'),
  },
} as const satisfies Record<string, LogRouteContract>;

/** The operation id of a tiled-log resource. */
export type LogOperationId = keyof typeof LOG_ROUTES;
