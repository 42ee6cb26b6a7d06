import { afterAll, describe, expect, it } from 'vitest';
import { SHORT_RUN, runFaultSuite } from './faults/harness.js';
import { killAllServices } from './kit/process.js';
import { formatFigures } from './faults/table.js';

/**
 * The fault suite's CI-sized run (`pnpm test:faults --short`): ~3,000 intents through governance,
 * projector and checkpointer child processes on a private 3-broker cluster and Postgres server, with
 * scaling 1 → 3 → 1, governance SIGKILLs, a paused zombie instance, a broker kill, a projector SIGKILL
 * and a Postgres restart mid-stream. Every input must have exactly one outcome as expected, every
 * partition a whole hash chain, every attestation a valid signature; the projection must equal a
 * rebuild from offset 0, and `lineage log verify` and `lineage replay-verify` must pass.
 */
describe('fault suite (short run)', () => {
  // The suite stops its services and infrastructure itself; this only covers a run cut short.
  afterAll(() => killAllServices());

  // About 4 minutes when healthy; the limit leaves the suite time to finish and tear down when not.
  it('loses, duplicates and forks nothing under every fault', { timeout: 480_000 }, async () => {
    const figures = await runFaultSuite({ ...SHORT_RUN, log: (line) => console.log(line) });
    console.log(formatFigures(figures));
    const report = [...figures.problems, `service logs: ${figures.logDir}`].join('\n');

    // Each fault happened as configured, mid-stream.
    expect(
      {
        governanceKills: figures.governanceKills,
        scaleSteps: figures.scaleSteps,
        zombiePauses: figures.zombiePauses,
        brokerKills: figures.brokerKills,
        postgresRestarts: figures.postgresRestarts,
        projectorKills: figures.projectorKills,
      },
      report,
    ).toEqual({
      governanceKills: SHORT_RUN.kills,
      scaleSteps: 2,
      zombiePauses: 1,
      brokerKills: SHORT_RUN.brokerKill ? 1 : 0,
      postgresRestarts: SHORT_RUN.postgresRestart ? 1 : 0,
      projectorKills: 1,
    });
    expect(figures.rebalances, report).toBeGreaterThanOrEqual(2);

    // Exactly one outcome per input: intents in = attestations + dead letters + redeliveries.
    expect(figures.attestations + figures.deadLetters + figures.redeliveries, report).toBe(
      figures.intents,
    );
    // Nothing duplicated, no chain broken, nothing lost or decided otherwise, every signature valid.
    expect(
      {
        duplicates: figures.duplicates,
        gaps: figures.gaps,
        lost: figures.lost,
        wrong: figures.wrong,
        invalid: figures.invalid,
      },
      report,
    ).toEqual({ duplicates: 0, gaps: 0, lost: 0, wrong: 0, invalid: 0 });
    expect(figures.partitions, report).toBe(SHORT_RUN.partitions);

    // The projection equals its rebuild; the log audit and the replay audit pass.
    expect(figures.checksumEqual, report).toBe(true);
    expect(figures.logVerify, report).toBe('ok');
    expect(figures.replayVerify, report).toMatch(/^ok/);
    // Nothing crashed, and every service still running at the end left cleanly.
    expect(figures.crashes, report).toBe(0);
    expect(figures.cleanShutdowns, report).toBe(true);
    expect(figures.passed, report).toBe(true);
  });
});
