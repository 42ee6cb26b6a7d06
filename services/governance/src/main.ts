import { runServiceMain } from '@lineage/runtime';
import { GOVERNANCE_FLAGS, serveGovernance } from './serve.js';

// Entry point: `node services/governance/dist/main.js [--config lineage.json] [--key <pem>] [--trust <json>]
// [--policy <json>] [--port 9464] ...` (flags override the file and the environment; README, "Operating Lineage").
await runServiceMain('governance', GOVERNANCE_FLAGS, serveGovernance);
