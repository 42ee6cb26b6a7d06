import type { BenchConfig } from './config.js';
import type { Floor } from './floor.js';
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

/** The six figures bench:e2e ends with, and what they are computed from. */
export interface Figures {
  governance: PipelineResult;
  bare: PipelineResult;
  eos: PipelineResult;
  floor: Floor;
  /** Governance's main-thread busy time per decided intent while it drained, µs. */
  cpuUsPerIntent: number;
  /** Governance's whole-process CPU per decided intent while it drained, µs. */
  processUsPerIntent: number;
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

/** Renders the workload and one row per pipeline (drain rate, latency phase p50/p99). */
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
    `load        publisher and observer in a child process, outside the process under test`,
    `drain       ${c.warmup} warm-up + N=${c.n} records preloaded, then the pipeline starts; rate from first to last output`,
    `latency     ${c.latencyN} records paced at ${c.rate}/s, output seen − sent per record`,
  ];
  const rows = [
    ['pipeline', 'drain rate', 'p50', 'p99', 'max', 'drain time', 'paced at'],
    ...results.map(({ unit, result: r }) => [
      r.name,
      `${r.perSecond.toFixed(0)} ${unit}/s`,
      ms(r.latency.p50),
      ms(r.latency.p99),
      ms(r.latency.max),
      `${(r.drainMs / 1000).toFixed(2)} s`,
      `${r.pacedRate.toFixed(0)}/s`,
    ]),
  ];
  return `${header.join('\n')}\n\n${table(rows)}`;
}

/** The closing lines: the floor, then one `name value` line per figure. */
export function formatFigures(f: Figures): string {
  const { governance: g, bare, eos, floor } = f;
  return [
    `Ed25519 floor (node:crypto, one thread): verify ${floor.verifyUs.toFixed(1)} µs + sign ${floor.signUs.toFixed(1)} µs = ${floor.perSecond.toFixed(0)} intents/s (${floor.cpuUs.toFixed(0)} µs CPU)`,
    `governance process CPU ${f.processUsPerIntent.toFixed(0)} µs per intent (all threads)`,
    '',
    `ratio ${(g.perSecond / bare.perSecond).toFixed(3)}`,
    `ratio_eos ${(g.perSecond / eos.perSecond).toFixed(3)}`,
    `ratio_floor ${(g.perSecond / floor.perSecond).toFixed(3)}`,
    `p99_ratio_eos ${(g.latency.p99 / eos.latency.p99).toFixed(3)}`,
    `eos_p99_ratio ${(eos.latency.p99 / bare.latency.p99).toFixed(3)}`,
    `cpu_us_per_intent ${f.cpuUsPerIntent.toFixed(0)}`,
  ].join('\n');
}
