import { serviceLogger, settingsFromArgs, startTracing, stopOnSignals } from '@lineage/runtime';
import { GOVERNANCE_FLAGS, serveGovernance } from './serve.js';

// Entry point: `node services/governance/dist/main.js [--config lineage.json] [--key <pem>] [--trust <json>]
// [--policy <json>] [--port 9464] ...` (flags override the file and the environment; README, "Operating Lineage").
const settings = settingsFromArgs(GOVERNANCE_FLAGS);
const logger = serviceLogger('governance');
const tracing = startTracing('lineage-governance');
const service = await serveGovernance(settings, logger);
stopOnSignals(async () => {
  await service.stop();
  await tracing?.shutdown();
}, logger);
