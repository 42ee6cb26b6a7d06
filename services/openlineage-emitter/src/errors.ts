import { LineageError } from '@lineage/protocol';

/**
 * Why the emitter refused to start or to go on. Tests assert these, never the message text.
 *
 * - `INVALID_OPTIONS`: a transport or service setting it cannot run with.
 * - `GRAPH_TIMEOUT`: a parent's (or its own) decision did not reach the emitter's run graph in time;
 *   the batch fails and is redelivered, so the event is sent later, not changed.
 * - `SEND_REJECTED`: a receiver refused an event for good (a 4xx other than 408/429), or retries ran
 *   out; the HTTP transport counts it as a dead letter.
 */
export type EmitterErrorCode = 'INVALID_OPTIONS' | 'GRAPH_TIMEOUT' | 'SEND_REJECTED';

/** Base error of the OpenLineage emitter. */
export class EmitterError extends LineageError<EmitterErrorCode> {}
