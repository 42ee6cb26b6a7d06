import { serviceLogger, settingsFromArgs, startTracing, stopOnSignals } from '@lineage/runtime';
import { PROJECTOR_FLAGS, serveProjector } from './serve.js';

// Entry point: `node services/projector/dist/main.js [--config lineage.json] [--brokers h:p,...]
// [--database-url url] [--schema lineage] [--port 9465] ...` (flags override the file and the
// environment; README, "Operating Lineage").
const settings = settingsFromArgs(PROJECTOR_FLAGS);
const logger = serviceLogger('projector');
const tracing = startTracing('lineage-projector');
const service = await serveProjector(settings, logger);
stopOnSignals(async () => {
  await service.stop();
  await tracing?.shutdown();
}, logger);
