import type { ReceivedAttestation, SignedIntent } from '@lineage/sdk';
import type { DemoSystem } from './system.js';
import type { DemoWorld } from './world.js';

/** One run of the scenario: its world, the running system, and what it has seen so far. */
export interface DemoRun {
  world: DemoWorld;
  system: DemoSystem;
  /** The latest verified attestation of each step, by label (E9's becomes its override). */
  results: Map<string, ReceivedAttestation>;
  /** The signed intent of each step, by label. */
  signed: Map<string, SignedIntent>;
  /** Intents published (redeliveries included) and resolutions published. */
  published: number;
  resolutions: number;
  say: (line?: string) => void;
}
