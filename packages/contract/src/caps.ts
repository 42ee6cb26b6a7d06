// The caps that bound the work of one request: stated here once, so the OpenAPI document (through
// the schemas' descriptions and `maximum`s) and the query package that enforces them agree.

/** Largest `depth` a walk takes (parent/child links). */
export const MAX_DEPTH = 1_000;
/** Largest `limit` (items per page). */
export const MAX_LIMIT = 1_000;
/**
 * Nodes a walk page may hold in the whole levels it passes through to reach its items (a page
 * reads at most `limit` + 1 nodes of the level it ends in, whatever that level's width). A page
 * that would pass a wider level stops there with `truncated: true` and no `next`.
 */
export const MAX_WALK_WIDTH = 20_000;
/** Nodes an authorization path answers with at most; beyond, it stops a level earlier, `truncated`. */
export const MAX_PATH_NODES = 1_000;
/** Edges an authorization path answers with at most; beyond, it stops a level earlier, `truncated`. */
export const MAX_PATH_EDGES = 5_000;
/**
 * Attestations an evidence bundle holds at most; a larger one is refused `RESPONSE_TOO_LARGE`.
 * Its inclusion proofs read O(log n) stored tree hashes per checkpoint tried, whatever the
 * partition's length.
 */
export const MAX_BUNDLE_ATTESTATIONS = 10_000;
