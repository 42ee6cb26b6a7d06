import type { RunEvent } from '@lineage/openlineage';

/** What a transport did with one event. */
export type SendOutcome = { type: 'sent' } | { type: 'dead-letter'; reason: string };

/**
 * Where events go (the OpenLineage client transports: HTTP, Kafka, console). `body` is the event's
 * canonical JSON ({@link encodeEvent}), so every transport sends the same bytes for the same event.
 */
export interface Transport {
  readonly name: string;
  /** Sends one event; resolves once the receiver has it, or it was given up as a dead letter. */
  send(event: RunEvent, body: string): Promise<SendOutcome>;
  close(): Promise<void>;
}
