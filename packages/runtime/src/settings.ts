import { Type } from '@sinclair/typebox';
import type { Static, TSchema } from '@sinclair/typebox';
import {
  BrokersFlag,
  DatabaseUrlFlag,
  PositiveIntegerFlag,
  SchemaFlag,
  TextFlag,
} from './flags.js';
import { DEFAULT_POSTGRES } from './postgres.js';

/** A TCP port to listen on (0: any free port). */
const Port = Type.Integer({ minimum: 0, maximum: 65_535, description: 'a port number 0..65535' });
const Seconds = (what: string) =>
  Type.Number({ minimum: 0, description: `a number of seconds ${what}` });
const Text = Type.String();

/** One setting: where it lives in the file, the environment variable that overrides it, its default. */
export interface Setting {
  readonly schema: TSchema;
  readonly env?: readonly string[];
  readonly default?: unknown;
}

/**
 * Every setting of every role, by section. The file (`--config`, `LINEAGE_CONFIG`) holds any of them
 * as `{ "<section>": { "<name>": value } }`; an environment variable overrides the file; a service's
 * command-line flag overrides both.
 */
export const SETTINGS = {
  kafka: {
    brokers: { schema: BrokersFlag, env: ['KAFKA_BROKERS'], default: '127.0.0.1:9092' },
    topicPrefix: { schema: Text, env: ['LINEAGE_TOPIC_PREFIX'], default: '' },
    partitions: { schema: PositiveIntegerFlag(), env: ['LINEAGE_PARTITIONS'], default: 6 },
  },
  postgres: {
    url: {
      schema: DatabaseUrlFlag,
      env: ['DATABASE_URL'],
      default: `${DEFAULT_POSTGRES}/lineage`,
    },
    schema: { schema: SchemaFlag, env: ['LINEAGE_SCHEMA'], default: 'lineage' },
  },
  keys: {
    governanceKey: {
      schema: TextFlag('a key file path'),
      env: ['LINEAGE_GOVERNANCE_KEY'],
      default: '.lineage/keys/governance.key',
    },
    trustStore: {
      schema: TextFlag('a trust store path'),
      env: ['LINEAGE_TRUST_STORE'],
      default: '.lineage/truststore.json',
    },
  },
  governance: {
    group: {
      schema: TextFlag('a consumer group id'),
      env: ['LINEAGE_GROUP_ID'],
      default: 'lineage-governance',
    },
    policy: {
      schema: TextFlag('a policy file path'),
      env: ['LINEAGE_POLICY'],
      default: 'infra/policy/default.json',
    },
    stateDir: { schema: Text, env: ['LINEAGE_STATE_DIR'], default: '' },
    memoryState: { schema: Type.Boolean({ description: 'true or false' }), default: false },
    sessionTimeoutMs: {
      schema: PositiveIntegerFlag('ms'),
      env: ['LINEAGE_SESSION_TIMEOUT_MS'],
      default: 30_000,
    },
    statsIntervalSeconds: {
      schema: Seconds('(0: never)'),
      env: ['LINEAGE_STATS_INTERVAL'],
      default: 60,
    },
    port: { schema: Port, env: ['LINEAGE_GOVERNANCE_PORT'], default: 9464 },
  },
  projector: {
    group: {
      schema: TextFlag('a consumer group id'),
      env: ['LINEAGE_PROJECTOR_GROUP'],
      default: 'lineage-projector',
    },
    sessionTimeoutMs: {
      schema: PositiveIntegerFlag('ms'),
      env: ['LINEAGE_SESSION_TIMEOUT_MS'],
      default: 30_000,
    },
    port: { schema: Port, env: ['LINEAGE_PROJECTOR_PORT'], default: 9465 },
  },
  checkpointer: {
    every: {
      schema: PositiveIntegerFlag('attestations'),
      env: ['LINEAGE_CHECKPOINT_EVERY'],
      default: 1000,
    },
    intervalSeconds: {
      schema: Type.Number({ exclusiveMinimum: 0, description: 'a positive number (seconds)' }),
      env: ['LINEAGE_CHECKPOINT_INTERVAL'],
      default: 10,
    },
    /** Witness base URLs, comma-separated; each new checkpoint is offered to every one. */
    witnesses: {
      schema: Type.String({ description: 'comma-separated witness base URLs' }),
      env: ['LINEAGE_WITNESSES'],
      default: '',
    },
    port: { schema: Port, env: ['LINEAGE_CHECKPOINTER_PORT'], default: 9466 },
  },
  api: {
    port: { schema: Port, env: ['LINEAGE_API_PORT', 'PORT'], default: 8080 },
    host: { schema: TextFlag('a host name or address'), env: ['HOST'], default: '127.0.0.1' },
    policies: { schema: TextFlag('a directory path'), default: 'infra/policy' },
    releases: { schema: Type.Array(Type.String({ minLength: 1 })), default: [] },
    tokenPepperFile: { schema: Text, env: ['LINEAGE_TOKEN_PEPPER_FILE'], default: '' },
    tlsCert: { schema: Text, env: ['LINEAGE_TLS_CERT'], default: '' },
    tlsKey: { schema: Text, env: ['LINEAGE_TLS_KEY'], default: '' },
    corsOrigins: { schema: Type.Array(Type.String({ minLength: 1 })), default: [] },
  },
  ops: {
    /** Where the health and metrics endpoints of governance, projector and checkpointer listen. */
    host: {
      schema: TextFlag('a host name or address'),
      env: ['LINEAGE_OPS_HOST'],
      default: '0.0.0.0',
    },
  },
} as const satisfies Record<string, Record<string, Setting>>;

type Table = typeof SETTINGS;
/** The checked configuration: every setting of {@link SETTINGS}, typed by its schema. */
export type Settings = {
  -readonly [S in keyof Table]: {
    -readonly [K in keyof Table[S]]: Table[S][K] extends { schema: infer T extends TSchema }
      ? Static<T>
      : never;
  };
};
/** A setting's address, `<section>.<name>` (`governance.port`). */
export type SettingPath = {
  [S in keyof Table]: `${S & string}.${keyof Table[S] & string}`;
}[keyof Table];
