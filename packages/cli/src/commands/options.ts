import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { Kafka } from 'kafkajs';
import ms from 'ms';
import type { Static, TObject } from '@sinclair/typebox';
import { pinnedCheckpoint } from '@lineage/protocol';
import type { TrustStore } from '@lineage/protocol';
import { kafkaBrokers } from '@lineage/infra';
import { createKafka, topicNames } from '@lineage/kafka';
import type { TopicNames } from '@lineage/kafka';
import { readKeyFile, readTrustStore } from '@lineage/keys';
import type { KeyPair } from '@lineage/keys';
import { RuntimeError, checkConfig, databaseUrl } from '@lineage/runtime';
import { isIdentifier } from '@lineage/store';
import { CliExit } from '../errors.js';

/** A UTF-8 file's text. @throws CliExit USAGE when it cannot be read. */
export async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new CliExit('USAGE', `cannot read ${path}`);
  }
}

/** Commander's collector of a repeatable option: every value given, in order. */
export const repeated = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * The checkpoint notes in `paths` (`--pin`), each with the partition its origin names and its size.
 * @throws CliExit USAGE when a file cannot be read or is not a checkpoint note.
 */
export async function readPins(
  paths: readonly string[],
): Promise<{ note: string; partition: number; size: number }[]> {
  return Promise.all(
    paths.map(async (path) => {
      const note = await readText(path);
      try {
        const { origin, size } = pinnedCheckpoint(note);
        // A ledger checkpoint's origin ends in its partition (`checkpointOrigin`).
        const partition = /\/(0|[1-9][0-9]{0,9})$/.exec(origin)?.[1];
        if (partition === undefined) throw new Error('its origin names no partition');
        return { note, partition: Number(partition), size };
      } catch (e) {
        throw new CliExit('USAGE', `${path} is not a checkpoint note: ${(e as Error).message}`);
      }
    }),
  );
}

/** Flags of every command that talks to the broker. */
export interface BrokerFlags {
  brokers?: string;
  topicPrefix: string;
}

/** Flags of every command that reads the projection. */
export interface ProjectionFlags {
  schema: string;
  databaseUrl: string;
}

/** Adds `--brokers` and `--topic-prefix`. */
export function brokerOptions(command: Command): Command {
  return command
    .option('--brokers <list>', 'Kafka brokers, comma separated (default: KAFKA_BROKERS or local)')
    .option('--topic-prefix <prefix>', 'topic name prefix', process.env.LINEAGE_TOPIC_PREFIX ?? '');
}

/** Adds `--schema` and `--database-url`. */
export function projectionOptions(command: Command): Command {
  return command
    .option('--schema <schema>', 'projection schema', process.env.LINEAGE_SCHEMA ?? 'lineage')
    .option('--database-url <url>', 'Postgres URL (default: DATABASE_URL)', databaseUrl());
}

/** The Kafka client and topic names the flags name. */
export function connection(
  flags: BrokerFlags,
  clientId: string,
): { kafka: Kafka; topics: TopicNames } {
  const brokers = flags.brokers !== undefined ? flags.brokers.split(',') : kafkaBrokers();
  return { kafka: createKafka({ brokers, clientId }), topics: topicNames(flags.topicPrefix) };
}

/**
 * Commander's flag values checked against `schema` (numbers converted): the typed flags.
 * @throws CliExit 2 naming the first flag the schema refuses.
 */
export function checkFlags<S extends TObject>(schema: S, flags: object): Static<S> {
  try {
    return checkConfig(schema, flags as Record<string, unknown>);
  } catch (e) {
    if (e instanceof RuntimeError) throw new CliExit('USAGE', `${e.code}: ${e.message}`);
    throw e;
  }
}

/** @throws CliExit 2 when the schema name is not a plain identifier. */
export function checkSchema(schema: string): void {
  if (!isIdentifier(schema) || schema.startsWith('pg_'))
    throw new CliExit('USAGE', `--schema must match ^[a-z_][a-z0-9_]{0,40}$ (got ${schema})`);
}

/** @throws CliExit 2 when the trust store cannot be read or is malformed. */
export async function loadTrust(path: string): Promise<TrustStore> {
  try {
    return await readTrustStore(path);
  } catch (e) {
    throw new CliExit('USAGE', `trust store ${path}: ${(e as Error).message}`);
  }
}

/** @throws CliExit 2 when the key file cannot be read or is not an Ed25519 private key. */
export async function loadKey(path: string): Promise<KeyPair> {
  try {
    return await readKeyFile(path);
  } catch (e) {
    throw new CliExit('USAGE', (e as Error).message);
  }
}

/**
 * Parses a duration like `90s`, `30m`, `24h` or `7d` (any form `ms` reads) into whole milliseconds.
 * @throws CliExit 2 unless it is a positive duration.
 */
export function parseDuration(text: string): number {
  // ms returns undefined for text it cannot read, and throws on an empty string.
  let millis: number | undefined;
  try {
    millis = ms(text as ms.StringValue) as number | undefined;
  } catch {
    millis = undefined;
  }
  if (typeof millis !== 'number' || !Number.isSafeInteger(millis) || millis <= 0)
    throw new CliExit('USAGE', `duration ${text} must look like 90s, 30m, 24h or 7d`);
  return millis;
}

/** Splits a comma-separated flag; `''` stays one empty entry (an empty resource prefix covers all). */
export const list = (text: string): string[] => text.split(',').map((s) => s.trim());

/**
 * Prints `value` as JSON, or writes it to `out` when given.
 * @returns true when it was written to a file.
 * @throws CliExit 2 when the file cannot be written.
 */
export async function emitJson(value: unknown, out: string | undefined): Promise<boolean> {
  const text = JSON.stringify(value, null, 2) + '\n';
  if (out === undefined) {
    process.stdout.write(text);
    return false;
  }
  try {
    await writeFile(out, text);
  } catch {
    throw new CliExit('USAGE', `cannot write ${out}`);
  }
  return true;
}
