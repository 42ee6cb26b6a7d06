import { startCheckpointer } from '@lineage/checkpointer';
import type { CheckpointerService } from '@lineage/checkpointer';
import { runtimeHash, startGovernance } from '@lineage/governance';
import type { GovernanceService } from '@lineage/governance';
import type { JsonValue } from '@lineage/protocol';
import { nodeEd25519 } from '@lineage/keys';
import { startProjector } from '@lineage/projector';
import type { Projector } from '@lineage/projector';
import { connectAgent } from '@lineage/sdk';
import { Witness, ledgerLogKeys, serveWitness } from '@lineage/witness';
import type { WitnessServer } from '@lineage/witness';
import type { LineageAgent } from '@lineage/sdk';
import {
  AGENTS,
  CHECKPOINT_EVERY,
  CHECKPOINT_INTERVAL_MS,
  OUT,
  PARTITIONS,
  RUNTIME,
} from './scenario.js';
import type { AgentName } from './scenario.js';
import type { DemoWorld } from './world.js';
import { WITNESS_NAME } from './world.js';

/** The running system: governance, the checkpointer, a projector, and one SDK client per agent. */
export interface DemoSystem {
  governance: GovernanceService;
  checkpointer: CheckpointerService;
  /** One local witness (c2sp.org/tlog-witness) the checkpointer asks to cosign. */
  witness: WitnessServer;
  projector: Projector;
  agents: Record<AgentName, LineageAgent>;
}

/** Starts every service of the demo on its world's topics and schema, then connects the agents. */
export async function startSystem(world: DemoWorld): Promise<DemoSystem> {
  const { kafka, topics, run, keys } = world;
  const governance = await startGovernance({
    kafka,
    topics,
    groupId: `demo.${run}.governance`,
    key: keys.governance,
    trust: world.trust,
    policy: world.policy,
    ed25519: nodeEd25519(),
    runtimeHash: runtimeHash(world.manifest),
    partitions: PARTITIONS,
  });
  const witness = await startWitness(world);
  // The checkpointer signs with governance's key: checkpoints need a trusted `governance` key.
  const checkpointer = await startCheckpointer({
    kafka,
    topics,
    key: keys.governance,
    ed25519: nodeEd25519(),
    every: CHECKPOINT_EVERY,
    intervalMs: CHECKPOINT_INTERVAL_MS,
    partitions: PARTITIONS,
    witnesses: [witness.url],
  });
  const projector = await startProjector({
    kafka,
    pool: world.pool,
    schema: world.schema,
    topics,
    groupId: `demo.${run}.projector`,
  });
  const agents = await connectAgents(world);
  return { governance, checkpointer, witness, projector, agents };
}

/** The local witness, as `lineage witness serve` runs it, on a loopback port. */
async function startWitness(world: DemoWorld): Promise<WitnessServer> {
  const witness = new Witness({
    name: WITNESS_NAME,
    key: world.keys.witness,
    logKeys: ledgerLogKeys(world.trust, [world.topics.attestations]),
    ed25519: nodeEd25519(),
    stateDir: `${OUT}/witness`,
  });
  await witness.open();
  return serveWitness(witness);
}

async function connectAgents(world: DemoWorld): Promise<Record<AgentName, LineageAgent>> {
  const agents = {} as Record<AgentName, LineageAgent>;
  for (const name of AGENTS) {
    agents[name] = await connectAgent({
      kafka: world.kafka,
      topics: world.topics,
      signer: world.keys.agents[name].signer,
      verify: { trust: world.trust, ed25519: nodeEd25519() },
      runtime: RUNTIME,
      // Only the planner starts executions: it carries alice's grant on its root intents.
      ...(name === 'planner' ? { grant: world.grant as unknown as JsonValue } : {}),
    });
  }
  return agents;
}

/** Closes the agents, stops the services and ends the pool (the broker is the caller's). */
export async function stopSystem(system: DemoSystem, world: DemoWorld): Promise<void> {
  await Promise.all(Object.values(system.agents).map((a) => a.close()));
  await system.projector.stop();
  await system.checkpointer.stop();
  await system.witness.close();
  await system.governance.stop();
  await world.pool.end();
  await world.db.stop();
}
