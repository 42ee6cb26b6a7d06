import { runServiceMain } from '@lineage/runtime';
import { PROJECTOR_FLAGS, serveProjector } from './serve.js';

// Entry point: `node services/projector/dist/main.js [--config lineage.json] [--brokers h:p,...]
// [--database-url url] [--schema lineage] [--port 9465] ...` (flags override the file and the
// environment; README, "Operating Lineage").
await runServiceMain('projector', PROJECTOR_FLAGS, serveProjector);
