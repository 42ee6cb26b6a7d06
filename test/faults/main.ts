import { parseArgs } from 'node:util';
import { killAllServices } from '../kit/process.js';
import { FULL_RUN, SHORT_RUN, runFaultSuite } from './harness.js';
import { sharedInfra } from './infra.js';
import { formatFigures } from './table.js';

// `pnpm test:faults [--short] [--intents N] [--kills N] [--partitions N] [--no-replay-verify] [--shared]`:
// the full fault run by default, the CI-sized one with --short; --shared runs on the local broker and
// Postgres (process faults only). Exit 0 when every figure holds, 1 otherwise.
const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: false },
    intents: { type: 'string' },
    kills: { type: 'string' },
    partitions: { type: 'string' },
    'no-replay-verify': { type: 'boolean', default: false },
    shared: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

const base = values.short ? SHORT_RUN : FULL_RUN;
const positive = (flag: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    console.error(`--${flag} must be a non-negative integer`);
    process.exit(2);
  }
  return n;
};

// Interrupted: the run stops at its next wait and takes its services and infrastructure down; a
// second signal kills the services (own process groups) at once.
const interrupt = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    if (!interrupt.signal.aborted) interrupt.abort();
    else void killAllServices().finally(() => process.exit(130));
  });

const figures = await runFaultSuite({
  ...base,
  intents: positive('intents', values.intents, base.intents),
  kills: positive('kills', values.kills, base.kills),
  partitions: positive('partitions', values.partitions, base.partitions),
  replayVerify: base.replayVerify && !values['no-replay-verify'],
  ...(values.shared ? { infra: sharedInfra, brokerKill: false, postgresRestart: false } : {}),
  log: values.quiet ? () => undefined : (line) => console.log(line),
  signal: interrupt.signal,
});
console.log(formatFigures(figures));
for (const p of figures.problems) console.log(`problem: ${p}`);
if (!figures.passed) console.log(`service logs kept in ${figures.logDir}`);
process.exit(figures.passed ? 0 : 1);
