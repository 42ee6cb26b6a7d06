import type { BenchConfig } from './config.js';
import type { PipelineResult } from './measure.js';

/** What the table says about the workload. */
export interface WorkloadFacts {
  config: BenchConfig;
  /** Encoded intent sizes, bytes. */
  recordBytes: { min: number; mean: number; max: number };
  keyBytes: number;
  brokers: readonly string[];
  brokerOwned: boolean;
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Rows as aligned columns: the first left-aligned, the others right-aligned (figures). */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join('   '),
    )
    .join('\n');
}

/** Renders the workload and one row per pipeline (throughput phase rate, latency phase p50/p99). */
export function formatReport(
  facts: WorkloadFacts,
  results: readonly { unit: string; result: PipelineResult }[],
): string {
  const { config: c, recordBytes: b } = facts;
  const header = [
    'Lineage end-to-end benchmark',
    `broker      ${facts.brokers.join(',')} (${facts.brokerOwned ? 'started for this run' : 'reused'})`,
    `partitions  ${c.partitions} per topic, fresh topics per run`,
    `records     encoded intents, ${b.mean.toFixed(0)} B value (min ${b.min}, max ${b.max}) + ${facts.keyBytes} B key`,
    `throughput  N=${c.n}, sent in batches of ${c.batchSize}, timed from first send to N-th output seen`,
    `latency     ${c.latencyN} records paced at ${c.rate}/s, output seen − sent per record`,
    `warm-up     ${c.warmup} records per pipeline, not measured`,
  ];
  const rows = [
    ['pipeline', 'throughput', 'p50', 'p99', 'max', 'burst time', 'paced at'],
    ...results.map(({ unit, result: r }) => [
      r.name,
      `${r.perSecond.toFixed(0)} ${unit}/s`,
      ms(r.latency.p50),
      ms(r.latency.p99),
      ms(r.latency.max),
      `${(r.throughputMs / 1000).toFixed(2)} s`,
      `${r.pacedRate.toFixed(0)}/s`,
    ]),
  ];
  return `${header.join('\n')}\n\n${table(rows)}`;
}
