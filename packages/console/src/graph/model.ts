import type { LineageNode } from '@lineage/contract';

/** What colours a node: its effective outcome. */
export type Outcome = 'allow' | 'deny' | 'pending' | 'override';

/** An execution in the graph. */
export interface GraphNode {
  id: string;
  decision: string | null;
  action: string | null;
  agent: string | null;
  /** Shortest distance from the walk's start as the API reported it first. */
  depth: number;
  outcome: Outcome;
  /** A different intent reused its id: governance signed a replay rejection for it. */
  replayed: boolean;
  /** A root: authority entered here (a principal's grant). */
  root: boolean;
  /** On the authorization path from the start up to its roots. */
  onPath: boolean;
}

/** A parent link (an execution relied on its parent's attestation). */
export interface GraphEdge {
  child: string;
  parent: string;
  onPath: boolean;
}

/** A lineage as the console draws it: executions and parent links, keyed for de-duplication. */
export interface LineageGraph {
  start: string;
  nodes: Map<string, GraphNode>;
  edges: Map<string, GraphEdge>;
  /** A walk or path stopped at a cap or at the depth asked for. */
  truncated: boolean;
  /** Cursor of the blast radius's next page, null when it is complete. */
  next: string | null;
  /** The execution whose blast radius `next` continues. */
  nextFrom: string | null;
}

export function emptyGraph(start: string): LineageGraph {
  return {
    start,
    nodes: new Map(),
    edges: new Map(),
    truncated: false,
    next: null,
    nextFrom: null,
  };
}

/** The outcome a walk's node shows before its attestations are read (an override reads as its answer). */
export function outcomeOf(decision: string | null): Outcome {
  if (decision === 'deny') return 'deny';
  if (decision === 'pending_override') return 'pending';
  return 'allow';
}

/** Adds (or keeps) a node from a walk. */
export function addNode(graph: LineageGraph, node: LineageNode): GraphNode {
  const known = graph.nodes.get(node.execution_id);
  if (known !== undefined) return known;
  const added: GraphNode = {
    id: node.execution_id,
    decision: node.decision,
    action: node.action,
    agent: node.agent,
    depth: node.depth,
    outcome: outcomeOf(node.decision),
    replayed: false,
    root: false,
    onPath: false,
  };
  graph.nodes.set(added.id, added);
  return added;
}

/** Adds (or marks) a parent link. */
export function addEdge(graph: LineageGraph, child: string, parent: string, onPath: boolean): void {
  const key = `${child}>${parent}`;
  const known = graph.edges.get(key);
  if (known !== undefined) known.onPath ||= onPath;
  else graph.edges.set(key, { child, parent, onPath });
}

/**
 * The graph as text: one line per execution, nearest first, in the format `lineage ancestors` and
 * `lineage descendants` print (depth, id, decision, action, agent).
 */
export function textLines(graph: LineageGraph): { id: string; line: string }[] {
  return [...graph.nodes.values()]
    .sort((a, b) => a.depth - b.depth || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((n) => ({
      id: n.id,
      line: `${String(n.depth).padStart(3)}  ${n.id}  ${(n.decision ?? '?').padEnd(16)} ${(n.action ?? '?').padEnd(28)} ${n.agent ?? '?'}`,
    }));
}
