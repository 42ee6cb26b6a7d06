export { defaultBrokers } from './defaults.js';
// The settings' own flag types stay inside; commands that take a positive integer reuse this one.
export { PositiveIntegerFlag } from './flags.js';
export { checkConfig, parseConfig } from './config.js';
export type { FlagOptions } from './config.js';
export {
  DEFAULT_POSTGRES,
  databaseName,
  databaseUrl,
  ensureDatabase,
  maintenanceUrl,
  redactUrl,
} from './postgres.js';
export { pollUntil, waitUntil } from './poll.js';
export type { PollOptions } from './poll.js';
export { RuntimeError } from './errors.js';
export type { RuntimeErrorCode } from './errors.js';
export { stopOnSignals } from './signals.js';
export type { ShutdownLogger } from './signals.js';
export { SETTINGS } from './settings.js';
export type { Setting, SettingPath, Settings } from './settings.js';
export { KAFKA_FLAGS, loadSettings, settingsFromArgs } from './load-settings.js';
export type { FlagMap, LoadOptions } from './load-settings.js';
export { readiness, startOpsServer } from './ops/server.js';
export type { OpsServer, OpsServerOptions, Readiness, ReadinessCheck } from './ops/server.js';
export {
  brokerCheck,
  consumerLagGauge,
  createRegistry,
  kafkaLogSink,
  lazyAdmin,
} from './ops/metrics.js';
export type { LagSource, LazyAdmin, Positions } from './ops/metrics.js';
export { openServiceEdge } from './ops/edge.js';
export type { ServiceEdge } from './ops/edge.js';
export { contextOf, startTracing, traceLogFields, traceparentOf } from './ops/tracing.js';
export type { Tracing } from './ops/tracing.js';
export { flagCheck, kafkaLog, runServiceMain, serviceLogger } from './ops/logger.js';
export type { RunningService, ServeRole } from './ops/logger.js';
