import type { FaultFigures } from './harness.js';

/** The figures as an aligned two-column table, one figure a line. */
export function formatFigures(f: FaultFigures): string {
  const yes = (b: boolean) => (b ? 'yes' : 'NO');
  const rows: [string, string][] = [
    ['infrastructure', f.infrastructure],
    ['intents', String(f.intents)],
    ['governance kills (SIGKILL)', String(f.governanceKills)],
    ['rebalances (stable member sets)', String(f.rebalances)],
    ['scale steps', `${f.scaleSteps} (${f.scalePath})`],
    ['zombie pauses', `${f.zombiePauses}${f.zombieOutcome ? ` (${f.zombieOutcome})` : ''}`],
    ['broker kills', String(f.brokerKills)],
    ['Postgres restarts', String(f.postgresRestarts)],
    ['projector kills (SIGKILL)', String(f.projectorKills)],
    ['service crashes (restarted)', String(f.crashes)],
    ['attestations', String(f.attestations)],
    ['dead letters', String(f.deadLetters)],
    ['redeliveries', String(f.redeliveries)],
    ['duplicates', String(f.duplicates)],
    ['gaps', String(f.gaps)],
    ['lost', String(f.lost)],
    ['wrong outcomes', String(f.wrong)],
    ['invalid signatures', String(f.invalid)],
    ['projection checksum equal', yes(f.checksumEqual)],
    ['lineage log verify', f.logVerify],
    ['replay-verify', f.replayVerify],
    ['clean shutdowns (SIGTERM → 0)', yes(f.cleanShutdowns)],
    ['elapsed', `${f.elapsedSeconds.toFixed(1)} s`],
    ['verdict', f.passed ? 'PASS' : 'FAIL'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const line = '-'.repeat(width + 2 + Math.max(...rows.map(([, v]) => v.length)));
  return [line, ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`), line].join('\n');
}
