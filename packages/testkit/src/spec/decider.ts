// Given/when/then for deciders, modelled on emmett's DeciderSpecification: given the world a decision
// is made in (attestations, trust, policy), when a command (an intent) arrives, then this outcome.
import { expect } from 'vitest';

/** A pure decider: the outcome of a command in a state, and the state before anything is given. */
export interface Decider<State, Command, Outcome> {
  decide: (command: Command, state: State) => Outcome;
  initialState: () => State;
}

/** The `then` step: what the decision must be, or the code it must throw. */
export interface DeciderThen<Outcome> {
  /** Asserts the outcome has (at least) these fields; arrays such as `reasons` match exactly. */
  then(expected: Partial<Outcome>): Outcome;
  /** Asserts the decider throws an error carrying `code`. */
  thenThrows(code: string): void;
}

/** The `when` step of a specification given some state. */
export interface DeciderWhen<Command, Outcome> {
  when(command: Command): DeciderThen<Outcome>;
}

/**
 * A specification for `decider`: `given(state).when(command).then(outcome)`. What is given is
 * merged over the decider's initial state, so a test names only what differs.
 */
export function deciderSpecification<State extends object, Command, Outcome>(
  decider: Decider<State, Command, Outcome>,
): (given?: Partial<State>) => DeciderWhen<Command, Outcome> {
  return (given = {}) => ({
    when(command) {
      const run = () => decider.decide(command, { ...decider.initialState(), ...given });
      return {
        then(expected) {
          const outcome = run();
          expect(outcome).toMatchObject(expected as object);
          return outcome;
        },
        thenThrows(code) {
          expect(run).toThrow(expect.objectContaining({ code }));
        },
      };
    },
  });
}
