import { destination, pino } from 'pino';
import type { Logger } from 'pino';
import type { CheckpointerService } from '@lineage/checkpointer';
import type { GovernanceService } from '@lineage/governance';
import type { JsonValue } from '@lineage/protocol';
import { nodeEd25519 } from '@lineage/keys';
import { traceLogFields } from '@lineage/runtime';
import type { Settings } from '@lineage/runtime';
import { connectAgent } from '@lineage/sdk';
import { Witness, ledgerLogKeys, serveWitness } from '@lineage/witness';
import type { WitnessServer } from '@lineage/witness';
import type { LineageAgent } from '@lineage/sdk';
import { startStack, stopStack } from '../commands/serve.js';
import type { Role, Stack } from '../commands/serve.js';
import { demoSettings, writeDemoSettings } from './settings.js';
import { AGENTS, OUT, RUNTIME } from './scenario.js';
import type { AgentName } from './scenario.js';
import type { DemoWorld } from './world.js';
import { WITNESS_NAME } from './world.js';

/**
 * The running system: the stack `lineage serve` runs (projector, governance, checkpointer, query
 * API) from the demo's settings file, the local witness, and one SDK client per agent.
 */
export interface DemoSystem {
  stack: Required<Stack>;
  governance: GovernanceService;
  checkpointer: CheckpointerService;
  /** One local witness (c2sp.org/tlog-witness) the checkpointer asks to cosign. */
  witness: WitnessServer;
  /** What every role was started from (the demo's settings file, its witness added). */
  settings: Settings;
  /** The query API's base URL. */
  api: string;
  agents: Record<AgentName, LineageAgent>;
}

/**
 * Writes the demo's settings file, starts the witness, then every role exactly as `lineage serve
 * --config` does from that file, then connects the agents to the stack's topics.
 */
export async function startSystem(world: DemoWorld): Promise<DemoSystem> {
  const file = await writeDemoSettings(world);
  const witness = await startWitness(world);
  let stack: Stack = {};
  try {
    const settings = demoSettings(file, witness.url);
    stack = await startStack(settings, undefined, demoLogger);
    const started = stack as Required<Stack>;
    return {
      stack: started,
      governance: started.governance.service,
      checkpointer: started.checkpointer.service,
      witness,
      settings,
      api: `http://${settings.api.host}:${started['query-api'].port}`,
      agents: await connectAgents(world),
    };
  } catch (error) {
    // What started here stops again (startStack already stopped the roles of a failed start).
    await stopStack(stack).catch(() => undefined);
    await witness.close();
    throw error;
  }
}

/** The roles' logs: JSON lines on stderr, warnings and errors only (`LOG_LEVEL` to see more). */
function demoLogger(role: Role): Logger {
  return pino(
    { name: role, level: process.env.LOG_LEVEL ?? 'warn', mixin: traceLogFields },
    destination(2),
  );
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
  // The checkpointer publishes what is pending, cosigned: the witness closes after it.
  await stopStack(system.stack);
  await system.witness.close();
  await world.pool.end();
  await world.db.stop();
}
