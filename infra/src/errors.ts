import { LineageError } from '@lineage/protocol';

/** Why an infrastructure step failed; tests assert these, never the message text. */
export type InfraErrorCode =
  /** No `java` on PATH (or JAVA_HOME): the local broker needs a JDK. */
  | 'JAVA_MISSING'
  /** `java` is older than the broker supports. */
  | 'JAVA_TOO_OLD'
  /** infra/kafka/broker-jars.txt has a line that is not `<sha256>  group:artifact:version`. */
  /** No MAVEN_REPOSITORY and no `mvn` to resolve the broker jars with. */
  | 'JARS_REPOSITORY_UNSET'
  | 'JARS_LIST_INVALID'
  /** A pinned broker jar could not be downloaded from the Maven repository. */
  | 'JARS_FETCH_FAILED'
  /** A downloaded broker jar's SHA-256 is not the pinned one: it is refused. */
  | 'JARS_DIGEST_MISMATCH'
  /** A port the broker needs is used by another process. */
  | 'PORT_TAKEN'
  /** KAFKA_PORT / KAFKA_CONTROLLER_PORT (or an option) is not a TCP port number. */
  | 'INVALID_PORT'
  /** Our broker already runs, but on another port than the one asked for. */
  | 'KAFKA_RUNNING_ELSEWHERE'
  /** `kafka.tools.StorageTool format` failed. */
  | 'KAFKA_FORMAT_FAILED'
  /** The broker process exited while starting. */
  | 'KAFKA_START_FAILED'
  /** The broker did not answer metadata requests in time. */
  | 'KAFKA_START_TIMEOUT'
  /** A cluster's partitions did not all regain their full set of in-sync replicas in time. */
  | 'KAFKA_NOT_IN_SYNC'
  /** KAFKA_BROKERS is set but those brokers do not answer. */
  | 'KAFKA_UNREACHABLE'
  /** The Postgres server does not accept connections. */
  | 'POSTGRES_UNREACHABLE'
  /** Postgres answered but refused (authentication, permissions, ...). */
  | 'POSTGRES_FAILED'
  /** No PostgreSQL server binaries (`initdb`, `pg_ctl`): set PG_BIN or install PostgreSQL. */
  | 'POSTGRES_BIN_MISSING'
  /** `initdb` of a private server's data directory failed. */
  | 'POSTGRES_INIT_FAILED'
  /** A private server did not start, or did not accept connections in time. */
  | 'POSTGRES_START_FAILED'
  /** A private server did not stop. */
  | 'POSTGRES_STOP_FAILED'
  /** The embedded Postgres (PGlite) could not open its data directory or listen. */
  | 'POSTGRES_EMBEDDED_FAILED'
  /** Another live process serves the embedded Postgres from the same data directory. */
  | 'POSTGRES_EMBEDDED_BUSY'
  /** The CLI was called with arguments it does not understand. */
  | 'USAGE';

/** Base error of `@lineage/infra`. Its message is always one line, fit to print as is. */
export class InfraError extends LineageError<InfraErrorCode> {}
