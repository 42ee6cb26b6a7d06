import { runServiceMain } from '@lineage/runtime';
import { CHECKPOINTER_FLAGS, serveCheckpointer } from './serve.js';

// Entry point: `node services/checkpointer/dist/main.js [--config lineage.json] [--key <pem>]
// [--every 1000] [--interval 10] [--port 9466] ...` (flags override the file and the environment;
// README, "Operating Lineage").
await runServiceMain('checkpointer', CHECKPOINTER_FLAGS, serveCheckpointer);
