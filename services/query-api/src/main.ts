import { runServiceMain } from '@lineage/runtime';
import { QUERY_API_FLAGS, serveQueryApi } from './serve.js';

// Entry point: `node services/query-api/dist/main.js [--config lineage.json] [--database-url url]
//   [--schema lineage] [--port 8080] [--host 127.0.0.1] [--trust .lineage/truststore.json]
//   [--policies infra/policy] [--release release.json ...] [--token-pepper-file f]
//   [--tls-cert f --tls-key f] [--cors-origin https://a.example ...]` (flags override the file and
//   the environment; README, "Operating Lineage"). Bundles take policy documents from the projected
//   policies topic, falling back to --policies, and embed every --release (signed release
//   manifests). Limits and timeouts: LINEAGE_API_* variables (README, "Security").
await runServiceMain('query-api', QUERY_API_FLAGS, serveQueryApi);
