import { serviceLogger, settingsFromArgs, startTracing, stopOnSignals } from '@lineage/runtime';
import { CHECKPOINTER_FLAGS, serveCheckpointer } from './serve.js';

// Entry point: `node services/checkpointer/dist/main.js [--config lineage.json] [--key <pem>]
// [--every 1000] [--interval 10] [--port 9466] ...` (flags override the file and the environment;
// README, "Operating Lineage").
const settings = settingsFromArgs(CHECKPOINTER_FLAGS);
const logger = serviceLogger('checkpointer');
const tracing = startTracing('lineage-checkpointer');
const service = await serveCheckpointer(settings, logger);
stopOnSignals(async () => {
  await service.stop();
  await tracing?.shutdown();
}, logger);
