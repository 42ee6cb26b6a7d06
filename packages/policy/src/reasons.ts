import type { DenyReason } from '@lineage/protocol';

/** A `rule:<id>` entry: the policy rule that denied, held or allowed an intent. */
export type RuleReason = `rule:${string}`;

/**
 * What a decision's `reasons` may hold: codes from the protocol's closed list (`DENY_REASONS` and
 * `OVERRIDE_REASONS`), and `rule:<id>` entries naming the policy rules that applied.
 */
export type DecisionReason = DenyReason | RuleReason;
