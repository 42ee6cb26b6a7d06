// The shape of the synthetic lineage graph of the query benchmark: which earlier executions each
// execution descends from. Deterministic for a seed.

/** How the graph is drawn. */
export interface GraphShape {
  /** Share of executions that start a new workflow (no parents). */
  rootShare: number;
  /** Share of the other executions that join 2 or 3 parents. */
  joinShare: number;
  /** Parents are drawn from this many most recent executions (agents build on recent work). */
  window: number;
  /** No chain grows longer than this many parent links. */
  maxDepth: number;
}

export const DEFAULT_SHAPE: GraphShape = {
  rootShare: 0.08,
  joinShare: 0.2,
  window: 2000,
  maxDepth: 50,
};

/** What the drawn graph looks like, for the report. */
export interface GraphStats {
  executions: number;
  roots: number;
  singleParent: number;
  joins: number;
  edges: number;
  maxDepth: number;
  /** Executions at depth ≥ 40 (the long chains). */
  deep: number;
  meanDepth: number;
}

/**
 * Draws parents for executions 0, 1, 2, … in order: a share start workflows; the rest take one parent,
 * or 2–3 (a join), uniformly from the recent window, never one whose chain is already at `maxDepth`.
 */
export class GraphDrawer {
  private readonly depth: Uint8Array;
  private next = 0;
  private readonly counts = {
    roots: 0,
    single: 0,
    joins: 0,
    edges: 0,
    deep: 0,
    depthSum: 0,
    max: 0,
  };

  constructor(
    count: number,
    private readonly random: () => number,
    private readonly shape: GraphShape = DEFAULT_SHAPE,
  ) {
    this.depth = new Uint8Array(count);
  }

  /** The parents (indexes of earlier executions) of the next execution. */
  draw(): number[] {
    const i = this.next++;
    const parents: number[] = [];
    if (i > 0 && this.random() >= this.shape.rootShare) {
      const wanted = this.random() < this.shape.joinShare ? (this.random() < 0.7 ? 2 : 3) : 1;
      const span = Math.min(this.shape.window, i);
      for (let tries = 0; parents.length < wanted && tries < 4 * wanted; tries++) {
        const j = i - 1 - Math.floor(this.random() * span);
        if (this.depth[j]! < this.shape.maxDepth && !parents.includes(j)) parents.push(j);
      }
    }
    let d = 0;
    for (const p of parents) d = Math.max(d, this.depth[p]! + 1);
    this.depth[i] = d;
    const c = this.counts;
    if (parents.length === 0) c.roots++;
    else if (parents.length === 1) c.single++;
    else c.joins++;
    c.edges += parents.length;
    c.depthSum += d;
    c.max = Math.max(c.max, d);
    if (d >= 40) c.deep++;
    return parents;
  }

  stats(): GraphStats {
    const c = this.counts;
    return {
      executions: this.next,
      roots: c.roots,
      singleParent: c.single,
      joins: c.joins,
      edges: c.edges,
      maxDepth: c.max,
      deep: c.deep,
      meanDepth: this.next === 0 ? 0 : c.depthSum / this.next,
    };
  }
}
