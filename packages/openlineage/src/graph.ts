import type { Predicate } from '@lineage/protocol';
import type { Attested } from './attestation.js';
import { OpenLineageError } from './errors.js';
import { jobOf, runIdOf } from './names.js';
import { DEFAULT_NAMESPACE } from './spec.js';
import type { RunRef } from './types.js';

interface Node {
  run: RunRef;
  /** The first parent in the decision's order, or null at a root. */
  primary: string | null;
}

/**
 * What the event of one attestation needs to know about other executions: the run and job of each
 * decided execution, and its first parent (the chain a `parent` facet's `root` follows). Fed with
 * every attestation of the ledger; only decisions add to it, and the first decision of an id wins
 * (an id is decided once). Every attestation names its parents only by id and digest, so this is how
 * a child's event names its parents' jobs. Pure and synchronous; the emitters decide when it is
 * complete enough (a parent is always on the ledger before its child).
 */
export class RunGraph {
  private readonly nodes = new Map<string, Node>();

  constructor(private readonly namespace: string = DEFAULT_NAMESPACE) {}

  /** Executions known. */
  get size(): number {
    return this.nodes.size;
  }

  /** Learns the run of a decision; other kinds, and a second decision of an id, change nothing. */
  add({ statement, digest }: Attested): void {
    const p = statement.predicate;
    if (p.kind !== 'decision' || this.nodes.has(p.execution_id)) return;
    this.nodes.set(p.execution_id, {
      run: {
        runId: runIdOf(p.execution_id, digest),
        job: jobOf(this.namespace, p.agent, p.action),
      },
      primary: p.parents[0]?.execution_id ?? null,
    });
  }

  /**
   * The first execution the event of `attested` needs and this graph lacks (its own decision for
   * a later attestation of an id, each established parent, and each first-parent ancestor up to the
   * root), or null when the event can be built.
   */
  missing({ statement }: Attested): string | null {
    const p = statement.predicate;
    if (p.kind !== 'decision' && !this.nodes.has(p.execution_id)) return p.execution_id;
    if (!namesEstablishedParents(p)) return null;
    for (const parent of p.parents) {
      const gap = this.gapToRoot(parent.execution_id);
      if (gap !== null) return gap;
    }
    return null;
  }

  /**
   * The run and job of a decided execution.
   * @throws OpenLineageError RUN_UNKNOWN.
   */
  run(executionId: string): RunRef {
    const node = this.nodes.get(executionId);
    if (node === undefined) throw unknown(executionId);
    return node.run;
  }

  /**
   * The root of an execution's first-parent chain (itself at a root).
   * @throws OpenLineageError RUN_UNKNOWN when a link is missing (or the chain loops).
   */
  root(executionId: string): RunRef {
    const gap = this.gapToRoot(executionId);
    if (gap !== null) throw unknown(gap);
    let id = executionId;
    for (let node = this.nodes.get(id)!; node.primary !== null; node = this.nodes.get(id)!)
      id = node.primary;
    return this.nodes.get(id)!.run;
  }

  // The first id on the first-parent chain from `executionId` that is not known (or loops), or null.
  private gapToRoot(executionId: string): string | null {
    const seen = new Set<string>();
    let id: string | null = executionId;
    while (id !== null) {
      const node = this.nodes.get(id);
      if (node === undefined || seen.has(id)) return id;
      seen.add(id);
      id = node.primary;
    }
    return null;
  }
}

/**
 * Whether an attestation's parents are on the ledger. Governance checked the parents of every
 * allowed or held decision (and an override or its refusal repeats those); a denied decision names
 * the parents its intent claimed — possibly missing or forged — and a replay rejection names none.
 * Only established parents are resolved to jobs, so an event never waits for a parent that may never
 * come, and never depends on when it was sent.
 */
export function namesEstablishedParents(p: Pick<Predicate, 'kind' | 'decision'>): boolean {
  return !(p.kind === 'decision' && p.decision === 'deny') && p.kind !== 'replay_rejection';
}

function unknown(executionId: string): OpenLineageError {
  return new OpenLineageError('RUN_UNKNOWN', `no decision of ${executionId} is known yet`);
}
