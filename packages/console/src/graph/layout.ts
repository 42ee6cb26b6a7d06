import type { LineageGraph } from './model.js';

/** Above this many executions the console lays out with {@link layeredPositions}, not dagre. */
export const DAGRE_LIMIT = 300;

const NODE_SEP = 40;
const RANK_SEP = 70;

/**
 * Positions for a layered drawing in linear time per sweep, for lineages too large for dagre's
 * crossing minimisation to stay interactive: each execution's layer is one below its lowest-drawn
 * parent (roots on top), and each layer is ordered by the mean position of its parents, then of its
 * children (one barycentre sweep each way), so joins sit between the branches they join.
 */
export function layeredPositions(graph: LineageGraph): Map<string, { x: number; y: number }> {
  const parents = new Map<string, string[]>();
  const children = new Map<string, string[]>();
  for (const id of graph.nodes.keys()) {
    parents.set(id, []);
    children.set(id, []);
  }
  for (const e of graph.edges.values())
    if (graph.nodes.has(e.parent) && graph.nodes.has(e.child)) {
      parents.get(e.child)!.push(e.parent);
      children.get(e.parent)!.push(e.child);
    }
  const layers = layersOf(graph, parents, children);
  const index = new Map<string, number>();
  const place = (layer: string[]) => layer.forEach((id, i) => index.set(id, i));
  layers.forEach(place);
  const sweep = (order: string[][], by: Map<string, string[]>) => {
    for (const layer of order) {
      const weight = (id: string) => {
        const near = by.get(id)!.map((p) => index.get(p)!);
        return near.length === 0 ? index.get(id)! : near.reduce((a, b) => a + b, 0) / near.length;
      };
      const weights = new Map(layer.map((id) => [id, weight(id)]));
      layer.sort((a, b) => weights.get(a)! - weights.get(b)!);
      place(layer);
    }
  };
  sweep(layers.slice(1), parents);
  sweep(layers.slice(0, -1).reverse(), children);
  const positions = new Map<string, { x: number; y: number }>();
  layers.forEach((layer, rank) =>
    layer.forEach((id, i) =>
      positions.set(id, { x: (i - (layer.length - 1) / 2) * NODE_SEP, y: rank * RANK_SEP }),
    ),
  );
  return positions;
}

// Longest path from the roots (Kahn's order); executions on a cycle, which a lineage cannot have,
// would be left out, so they go in the last layer rather than vanish.
function layersOf(
  graph: LineageGraph,
  parents: Map<string, string[]>,
  children: Map<string, string[]>,
): string[][] {
  const rank = new Map<string, number>();
  const waiting = new Map([...parents].map(([id, ps]) => [id, ps.length]));
  const ready = [...waiting].filter(([, n]) => n === 0).map(([id]) => id);
  for (const id of ready) rank.set(id, 0);
  while (ready.length > 0) {
    const id = ready.pop()!;
    for (const child of children.get(id)!) {
      rank.set(child, Math.max(rank.get(child) ?? 0, rank.get(id)! + 1));
      const left = waiting.get(child)! - 1;
      waiting.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  const deepest = Math.max(0, ...rank.values());
  const layers: string[][] = Array.from({ length: deepest + 1 }, () => []);
  for (const id of [...graph.nodes.keys()].sort()) layers[rank.get(id) ?? deepest]!.push(id);
  return layers;
}
