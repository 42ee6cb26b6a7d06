import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { isKeyId, parseScope, signGrant } from '@lineage/protocol';
import type { DsseEnvelope, KeyId, Signer } from '@lineage/protocol';
import { CliExit } from '../errors.js';
import { emitJson, list, loadKey, parseDuration } from './options.js';

/** What a principal authorizes. */
export interface GrantTerms {
  agent: string;
  actions: string[];
  resources: string[];
  policy: string;
  validForMs: number;
  now?: Date;
}

/**
 * Signs a grant as the principal: the DSSE envelope JSON a root intent carries in `grant`.
 * @throws CliExit 2 when the agent is not a key id or the scope is malformed.
 */
export function issueGrant(terms: GrantTerms, principal: Signer): DsseEnvelope {
  if (!isKeyId(terms.agent)) throw new CliExit('USAGE', `--agent ${terms.agent} is not a key id`);
  const scope = parseScope(
    { actions: terms.actions, resources: terms.resources },
    'scope',
    (what) => new CliExit('USAGE', `${what}`),
  );
  const now = terms.now ?? new Date();
  return signGrant(
    {
      grant_id: randomUUID(),
      principal: principal.keyid as KeyId,
      agent: terms.agent,
      scope,
      policy: terms.policy,
      valid_from: now.toISOString(),
      valid_until: new Date(now.getTime() + terms.validForMs).toISOString(),
      issued_at: now.toISOString(),
    },
    principal,
  );
}

/** `lineage grant issue`. */
export function registerGrant(program: Command): void {
  const grant = program.command('grant').description("issue a principal's signed grants");
  grant
    .command('issue')
    .description('sign a grant authorizing an agent for an action scope under a policy')
    .requiredOption('--key <file>', "the principal's private key file")
    .requiredOption('--agent <keyid>', 'key id of the agent it authorizes')
    .requiredOption('--actions <list>', 'action patterns, comma separated (read.*, summarize, *)')
    .requiredOption('--resources <list>', 'resource prefixes, comma separated ("" covers all)')
    .requiredOption('--policy <id>', 'the policy id it is issued under')
    .option('--valid-for <duration>', 'how long it is valid from now', '24h')
    .option('--out <file>', 'write the grant here instead of printing it')
    .action(
      async (o: {
        key: string;
        agent: string;
        actions: string;
        resources: string;
        policy: string;
        validFor: string;
        out?: string;
      }) => {
        const key = await loadKey(o.key);
        const envelope = issueGrant(
          {
            agent: o.agent,
            actions: list(o.actions),
            resources: list(o.resources),
            policy: o.policy,
            validForMs: parseDuration(o.validFor),
          },
          key.signer,
        );
        if (!(await emitJson(envelope, o.out))) return;
        console.log(`wrote grant ${o.out}: ${o.agent} may ${o.actions} on ${o.resources}`);
      },
    );
}
