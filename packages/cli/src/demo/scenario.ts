import type { JsonValue } from '@lineage/protocol';

/** The scenario the demo plays, as data: who does what, under which policy and grant. */

/** Where the demo leaves its evidence (git-ignored). */
export const OUT = '.lineage/demo';
/** Small on purpose: the demo's ledger is short, and it should see a few checkpoints per partition. */
export const CHECKPOINT_EVERY = 3;
export const CHECKPOINT_INTERVAL_MS = 500;
/** Partitions of the demo's topics. */
export const PARTITIONS = 3;
/** The environment every agent of the demo reports. */
export const RUNTIME = { name: 'demo-agent', version: '1.0.0', digest: 'sha256:' + 'd'.repeat(64) };

export type AgentName = 'planner' | 'researcher' | 'executor';
export const AGENTS: readonly AgentName[] = ['planner', 'researcher', 'executor'];

/** One execution an agent asks for: its label in the printout, and its parents by label. */
export interface Step {
  label: string;
  agent: AgentName;
  action: string;
  resource: string;
  parents: string[];
}

const step = (
  label: string,
  agent: AgentName,
  action: string,
  resource: string,
  parents: string[] = [],
): Step => ({ label, agent, action, resource, parents });

/**
 * Eight executions under one grant: a multi-parent join, a policy denial and a denial inherited
 * from a parent. E1, the root, carries the grant.
 */
export const TREE: readonly Step[] = [
  step('E1', 'planner', 'plan.quarterly-report', 'reports/q3'),
  step('E2', 'researcher', 'read.sales', 'warehouse/sales', ['E1']),
  step('E3', 'researcher', 'read.inventory', 'warehouse/inventory', ['E1']),
  step('E4', 'executor', 'summarize', 'reports/q3/draft', ['E2', 'E3']),
  step('E5', 'executor', 'delete.records', 'prod/customers', ['E4']),
  step('E6', 'planner', 'plan.review', 'reports/q3/review', ['E4']),
  step('E7', 'executor', 'summarize', 'reports/q3/final', ['E6']),
  step('E8', 'researcher', 'read.archive', 'warehouse/archive', ['E5']),
];

/** An agent retries this execution byte for byte: governance answers with what it already issued. */
export const REDELIVERED = { label: 'E2', agent: 'researcher' } as const;

/** A different intent that reuses `reuses`' consumed execution id: a replay. */
export const REPLAYED = {
  reuses: 'E7',
  agent: 'executor',
  action: 'delete.records',
  resource: 'reports/q3/final',
  parents: ['E6'],
} as const;

/** A publication held for a human, and its child, denied while it waits. */
export const HELD = step('E9', 'executor', 'publish.report', 'reports/q3/final', ['E7']);
export const HELD_CHILD = step('E10', 'researcher', 'read.published', 'reports/q3/final', ['E9']);

/** bob's approval of the held execution, then a second resolution of it (refused). */
export const APPROVAL = {
  resolution: 'approve',
  reason: 'reviewed the Q3 report; fine to publish',
} as const;
export const SECOND_RESOLUTION = { resolution: 'reject', reason: 'second thoughts' } as const;

/** A child of the approved execution: it inherits authority through the override attestation. */
export const APPROVED_CHILD = step('E11', 'researcher', 'read.published', 'reports/q3/final', [
  'E9',
]);

/** What the principal authorizes the planner (and so, by inheritance, everything below it) to do. */
export const GRANTED = {
  actions: ['plan.*', 'read.*', 'summarize', 'delete.*', 'publish.*'],
  resources: ['reports/', 'warehouse/', 'prod/'],
  validForMs: 86_400_000,
};

/**
 * The demo's policy: what the default policy allows, and publishing held for the approver named.
 * Built per run, because it names the run's approver key.
 */
export function demoPolicy(approver: string): JsonValue {
  return {
    id: 'demo',
    version: 1,
    max_clock_skew_seconds: 300,
    allow: [
      {
        id: 'any-agent-read',
        agents: ['*'],
        actions: ['read.*', 'plan.*', 'summarize', 'publish.*'],
      },
    ],
    deny: [{ id: 'no-prod-delete', actions: ['delete.*'], resource_prefix: 'prod/' }],
    require_override: [
      { id: 'publish-needs-a-human', actions: ['publish.*'], approvers: [approver] },
    ],
  };
}
