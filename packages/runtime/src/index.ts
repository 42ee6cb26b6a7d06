export { defaultBrokers } from './defaults.js';
export {
  BrokersFlag,
  DatabaseUrlFlag,
  PositiveIntegerFlag,
  SchemaFlag,
  TextFlag,
} from './flags.js';
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
