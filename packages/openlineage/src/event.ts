import { canonicalize } from '@lineage/protocol';
import type { Predicate } from '@lineage/protocol';
import type { Attested } from './attestation.js';
import { OpenLineageError } from './errors.js';
import { attestationFacet, jobTypeFacet, parentFacet, parentsFacet } from './facets.js';
import { RunGraph } from './graph.js';
import { datasetOf, jobOf, runIdOf } from './names.js';
import { DEFAULT_NAMESPACE, DEFAULT_PRODUCER, RUN_EVENT_SCHEMA_URL } from './spec.js';
import type { EventType, RunEvent, RunRef } from './types.js';

/** How events are named. Emitters that must agree on events must agree on these. */
export interface MappingOptions {
  /** Base of every namespace (default `lineage`). */
  namespace?: string;
  /** `producer` and facet `_producer` URI (default {@link DEFAULT_PRODUCER}). */
  producer?: string;
  /** The attestations topic: names the Merkle log in the checkpoint reference (default `lineage.attestations.v1`). */
  ledger?: string;
}

const ABSOLUTE_URI = /^[a-z][a-z0-9+.-]*:[^\s]+$/i;
const NAMESPACE = /^[A-Za-z0-9_.:/@+-]{1,200}$/;

/**
 * The eventType of an attestation. An allow (a decision, or an override approving a held one) is the
 * run's START: it is authorised from that instant, and Lineage never sees it end — the agent, which
 * chose the runId, may send COMPLETE or FAIL itself. A deny is ABORT: the run was stopped before it
 * began (FAIL would say it ran and broke). A `pending_override` is OTHER: the run exists but holds
 * no state yet. A `replay_rejection` and an `override_rejection` are OTHER too: they add evidence to
 * the run of the id they name but change no outcome, so they must not move its state.
 */
export function eventTypeOf(p: Pick<Predicate, 'kind' | 'decision'>): EventType {
  if (p.kind === 'replay_rejection' || p.kind === 'override_rejection') return 'OTHER';
  if (p.decision === 'allow') return 'START';
  return p.decision === 'deny' ? 'ABORT' : 'OTHER';
}

/**
 * Maps attestations to OpenLineage 2-0-2 RunEvents. A pure function of the attestation and of the
 * decisions it refers to (its parents', its own for later attestations of an id): the same
 * attestation always maps to the same event, whose eventTime is the attestation's `issued_at`.
 */
export class EventMapper {
  readonly graph: RunGraph;
  private readonly namespace: string;
  private readonly producer: string;
  private readonly ledger: string;

  /** @throws OpenLineageError INVALID_OPTIONS. */
  constructor(options: MappingOptions = {}) {
    this.namespace = options.namespace ?? DEFAULT_NAMESPACE;
    this.producer = options.producer ?? DEFAULT_PRODUCER;
    this.ledger = options.ledger ?? 'lineage.attestations.v1';
    if (!NAMESPACE.test(this.namespace))
      throw new OpenLineageError('INVALID_OPTIONS', 'namespace must match ' + String(NAMESPACE));
    if (!ABSOLUTE_URI.test(this.producer))
      throw new OpenLineageError('INVALID_OPTIONS', 'producer must be an absolute URI');
    if (this.ledger === '') throw new OpenLineageError('INVALID_OPTIONS', 'ledger is empty');
    this.graph = new RunGraph(this.namespace);
  }

  /** Feeds one attestation of the ledger to the graph (every attestation, in partition order). */
  learn(attested: Attested): void {
    this.graph.add(attested);
  }

  /** The first execution the event of `attested` still needs, or null when {@link map} can run. */
  missing(attested: Attested): string | null {
    return this.graph.missing(attested);
  }

  /**
   * The RunEvent of an attestation (learning it first, so a decision maps on its own).
   * @throws OpenLineageError RUN_UNKNOWN when {@link missing} is not null.
   */
  map(attested: Attested): RunEvent {
    this.learn(attested);
    const p = attested.statement.predicate;
    const run = this.runOf(attested);
    const eventType = eventTypeOf(p);
    const parent = parentFacet(attested, this.graph, this.producer);
    const parents = parentsFacet(attested, this.graph, this.producer);
    const dataset = eventType === 'START' ? datasetOf(this.namespace, p.resource) : null;
    return {
      eventTime: p.issued_at,
      producer: this.producer,
      schemaURL: RUN_EVENT_SCHEMA_URL,
      eventType,
      run: {
        runId: run.runId,
        facets: {
          ...(parent === null ? {} : { parent }),
          ...(parents === null ? {} : { lineage_parents: parents }),
          lineage_attestation: attestationFacet(attested, this.producer, this.ledger),
        },
      },
      job: { ...run.job, facets: { jobType: jobTypeFacet(this.producer) } },
      // The resource an allowed run was authorised to use; a refused run touched nothing.
      inputs: dataset === null ? [] : [dataset],
      outputs: [],
    };
  }

  // A decision starts its own run; every later attestation of an id is an event of that run.
  private runOf({ statement, digest }: Attested): RunRef {
    const p = statement.predicate;
    if (p.kind !== 'decision') return this.graph.run(p.execution_id);
    return {
      runId: runIdOf(p.execution_id, digest),
      job: jobOf(this.namespace, p.agent, p.action),
    };
  }
}

/**
 * The bytes of an event on every transport: canonical JSON (RFC 8785), so the same event is always
 * the same bytes and a receiver sees a redelivery as an identical duplicate.
 */
export function encodeEvent(event: RunEvent): string {
  return canonicalize(event);
}
