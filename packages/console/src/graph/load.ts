import { call, eachLimited } from '../api.js';
import { addEdge, addNode, emptyGraph } from './model.js';
import type { LineageGraph } from './model.js';

/** Which part of the lineage to draw around an execution. */
export type GraphMode = 'lineage' | 'ancestors' | 'blast';

export interface GraphRequest {
  id: string;
  mode: GraphMode;
  /** Links to follow at most (the API's `depth`). */
  depth: number;
  /** Executions per blast-radius page (the API's `limit`). */
  limit: number;
}

// The API lets a token run two heavy requests at once.
const WIDTH = 2;
// Past this many executions the graph colours by the walk's decision only (no per-node `show`).
export const CLASSIFY_CAP = 300;

/**
 * Loads a lineage from the API: `ancestors` is the authorization path up to the roots; `blast` the
 * blast radius (descendants, paged); `lineage` both: the path, then the blast radius of its roots.
 */
export async function loadGraph(request: GraphRequest): Promise<LineageGraph> {
  const graph = emptyGraph(request.id);
  if (request.mode === 'blast') {
    await loadStart(graph, request.id);
    await loadBlastPage(graph, request.id, request, null);
    return graph;
  }
  const roots = await loadPath(graph, request.id, request.depth);
  if (request.mode === 'lineage')
    for (const root of roots) await loadBlastPage(graph, root, request, null);
  return graph;
}

/** The start of a blast radius, as its effective outcome. */
async function loadStart(graph: LineageGraph, id: string): Promise<void> {
  const view = await call('showExecution', { id });
  addNode(graph, {
    execution_id: id,
    depth: 0,
    decision: view.outcome?.decision ?? null,
    action: view.decision?.action ?? null,
    agent: view.decision?.agent ?? null,
  });
}

/** The authorization path of `id`: its ancestors, their links, the roots where authority entered. */
async function loadPath(graph: LineageGraph, id: string, depth: number): Promise<string[]> {
  const path = await call('authorizationPath', { id }, { depth });
  for (const node of path.nodes) addNode(graph, node).onPath = true;
  for (const e of path.edges) addEdge(graph, e.child, e.parent, true);
  for (const root of path.roots) {
    const node = graph.nodes.get(root);
    if (node) node.root = true;
  }
  graph.truncated ||= path.truncated === true;
  return path.roots;
}

/**
 * One page of the blast radius of `from`, and the parent links of every execution on it: each
 * execution not yet linked gets its authorization path back to `from` (deepest first, so one path
 * links a whole chain).
 */
export async function loadBlastPage(
  graph: LineageGraph,
  from: string,
  request: Pick<GraphRequest, 'depth' | 'limit'>,
  cursor: string | null,
): Promise<void> {
  const { depth, limit } = request;
  const page = await call('descendants', { id: from }, { depth, limit, cursor });
  if (page.next !== null || graph.nextFrom === from) {
    graph.next = page.next;
    graph.nextFrom = page.next === null ? null : from;
  }
  graph.truncated ||= page.truncated === true;
  const linked = new Set([...graph.edges.values()].map((e) => e.child));
  for (const node of page.items) addNode(graph, node);
  const pending = page.items.filter((n) => !linked.has(n.execution_id));
  pending.sort((a, b) => b.depth - a.depth);
  await eachLimited(pending, WIDTH, async (node) => {
    if (linked.has(node.execution_id)) return;
    const path = await call('authorizationPath', { id: node.execution_id }, { depth: node.depth });
    for (const n of path.nodes) {
      const known = graph.nodes.get(n.execution_id);
      // A parent outside the walk (a join with another lineage) is drawn too.
      if (known === undefined) addNode(graph, { ...n, depth: node.depth - n.depth });
      if (n.depth < node.depth) linked.add(n.execution_id);
    }
    for (const e of path.edges) addEdge(graph, e.child, e.parent, false);
    for (const root of path.roots) graph.nodes.get(root)!.root = true;
  });
}

/**
 * Reads each execution's attestations (up to {@link CLASSIFY_CAP}) so overrides and replay
 * rejections show: a walk reports an approved execution as `allow`.
 */
export async function classify(graph: LineageGraph): Promise<void> {
  const nodes = [...graph.nodes.values()].slice(0, CLASSIFY_CAP);
  await eachLimited(nodes, WIDTH, async (node) => {
    const view = await call('showExecution', { id: node.id });
    if (view.outcome?.kind === 'override') node.outcome = 'override';
    node.replayed = view.attestations.some((a) => a.kind === 'replay_rejection');
  });
}
