import type { Command } from 'commander';
import { Type } from '@sinclair/typebox';
import type { Kafka } from 'kafkajs';
import { attestationDigest, fromDsse } from '@lineage/protocol';
import type { RawEnvelope, Signer, TrustStore } from '@lineage/protocol';
import type { TopicNames } from '@lineage/kafka';
import { nodeEd25519 } from '@lineage/keys';
import { QueryError, openQueries } from '@lineage/query';
import { LineageSdkError, connectApprover } from '@lineage/sdk';
import type { ReceivedAttestation } from '@lineage/sdk';
import { PositiveIntegerFlag } from '@lineage/runtime';
import { createPool } from '@lineage/store';

type Pool = ReturnType<typeof createPool>;
import { CliExit } from '../errors.js';
import {
  brokerOptions,
  checkFlags,
  checkSchema,
  connection,
  loadKey,
  loadTrust,
  projectionOptions,
} from './options.js';
import type { BrokerFlags, ProjectionFlags } from './options.js';

/** One approver's resolution of a held execution. */
export interface OverrideRequest {
  kafka: Kafka;
  topics: TopicNames;
  pool: Pool;
  schema: string;
  trust: TrustStore;
  approver: Signer;
  executionId: string;
  resolution: 'approve' | 'reject';
  reason: string;
  timeoutMs?: number;
}

/**
 * The `pending_override` attestation of an execution, from the projection (the source `lineage
 * show` reads).
 * @throws CliExit 1 OVERRIDE_NOT_PENDING when the execution's decision is not pending; 1 NOT_FOUND
 *   when it has none; 2 on bad input.
 */
export async function findPending(
  pool: Pool,
  schema: string,
  executionId: string,
): Promise<RawEnvelope> {
  const queries = openQueries(pool, schema);
  try {
    const { decision } = await queries.show(executionId);
    if (!decision || decision.decision !== 'pending_override')
      throw new CliExit(
        'INVALID',
        `OVERRIDE_NOT_PENDING: ${executionId} was decided ${decision?.decision ?? 'nothing'}, not held for an override`,
      );
    const bundle = await queries.bundle(executionId, { keys: [], policies: [] });
    const envelope = bundle.attestations
      .map((a) => fromDsse(a))
      .find((e) => attestationDigest(e) === decision.attestation_digest);
    if (!envelope)
      throw new CliExit(
        'INVALID',
        `OVERRIDE_NOT_PENDING: the pending attestation of ${executionId} is missing`,
      );
    return envelope;
  } catch (e) {
    if (e instanceof QueryError)
      throw new CliExit(e.code === 'NOT_FOUND' ? 'INVALID' : 'USAGE', `${e.code}: ${e.message}`);
    throw e;
  }
}

/**
 * What `lineage override approve|reject` does: finds the pending attestation in the projection,
 * publishes the approver's signed resolution through the SDK, and waits for governance's answer.
 * @returns the verified `override` attestation.
 * @throws CliExit 1 with the reason code when the execution is not pending or governance refuses
 *   the resolution (a signed `override_rejection`); 2 on a timeout or transport failure.
 */
export async function resolveExecution(request: OverrideRequest): Promise<ReceivedAttestation> {
  const pending = await findPending(request.pool, request.schema, request.executionId);
  try {
    return await publishResolution(request, pending);
  } catch (e) {
    if (e instanceof LineageSdkError && e.code === 'OVERRIDE_REFUSED')
      throw new CliExit(
        'INVALID',
        `${e.reason ?? e.code}: governance refused the resolution (${e.message})`,
      );
    if (e instanceof LineageSdkError)
      throw new CliExit(
        e.code === 'OVERRIDE_NOT_PENDING' ? 'INVALID' : 'USAGE',
        `${e.code}: ${e.message}`,
      );
    throw e;
  }
}

/**
 * Publishes the approver's signed resolution of `pending` through the SDK and waits for
 * governance's answer.
 * @returns the verified `override` attestation.
 * @throws LineageSdkError `OVERRIDE_REFUSED` (with governance's `reason`) when governance refuses
 *   it, other codes on a timeout or transport failure; CliExit 2 when the broker cannot be reached.
 */
export async function publishResolution(
  request: Omit<OverrideRequest, 'pool' | 'schema' | 'executionId'>,
  pending: RawEnvelope,
): Promise<ReceivedAttestation> {
  const approver = await connectApprover({
    kafka: request.kafka,
    topics: request.topics,
    signer: request.approver,
    verify: { trust: request.trust, ed25519: nodeEd25519() },
    timeoutMs: request.timeoutMs ?? 60_000,
  }).catch((e: unknown) => {
    throw new CliExit('USAGE', `cannot connect: ${(e as Error).message}`);
  });
  try {
    return await approver.publishResolution({
      pending,
      resolution: request.resolution,
      reason: request.reason,
    });
  } finally {
    await approver.close();
  }
}

/** One line saying what an override attestation settled. */
export function describeOverride(received: ReceivedAttestation): string {
  const p = received.verified.predicate;
  return `${p.kind} ${p.decision} ${p.reasons.join(' ')}: execution ${p.execution_id}, attestation sha256:${received.verified.digest}, pending sha256:${p.override?.pending ?? '?'}`;
}

/** `--timeout`: how long to wait for governance, in ms. */
const TimeoutFlag = Type.Object({ timeout: PositiveIntegerFlag('ms') });

/** `lineage override approve|reject <execution_id>`. */
export function registerOverride(program: Command): void {
  const override = program
    .command('override')
    .description('resolve an execution held for a human (pending_override)');
  for (const resolution of ['approve', 'reject'] as const) {
    projectionOptions(
      brokerOptions(
        override
          .command(`${resolution} <execution_id>`)
          .description(`${resolution} a held execution as an approver`)
          .requiredOption('--key <file>', "the approver's private key file")
          .option('--reason <text>', 'why', '')
          .option('--trust <truststore>', 'trust store', '.lineage/truststore.json')
          .option('--timeout <ms>', 'how long to wait for governance', '60000'),
      ),
    ).action(
      async (
        id: string,
        o: BrokerFlags &
          ProjectionFlags & { key: string; reason: string; trust: string; timeout: string },
      ) => {
        checkSchema(o.schema);
        const [trust, key] = await Promise.all([loadTrust(o.trust), loadKey(o.key)]);
        const { kafka, topics } = connection(o, 'lineage-cli-override');
        const pool = createPool(o.databaseUrl);
        try {
          const received = await resolveExecution({
            kafka,
            topics,
            pool,
            schema: o.schema,
            trust,
            approver: key.signer,
            executionId: id,
            resolution,
            reason: o.reason,
            timeoutMs: checkFlags(TimeoutFlag, o).timeout,
          });
          console.log(describeOverride(received));
          // The attestation itself, for the record.
          console.log(JSON.stringify(received.verified.statement.predicate, null, 2));
        } finally {
          await pool.end();
        }
      },
    );
  }
}
