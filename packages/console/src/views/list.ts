import type { ExecutionSummary, Page } from '@lineage/contract';
import { call } from '../api.js';
import { h, show } from '../dom.js';
import { link } from './links.js';

/** A paged list of attestations: agent, principal, policy version, runtime, fingerprint. */
export type ListKind = 'agent' | 'principal' | 'policy' | 'runtime' | 'fingerprint';

async function fetchPage(
  kind: ListKind,
  key: string[],
  cursor: string | null,
): Promise<Page<ExecutionSummary>> {
  const page = { limit: 50, cursor };
  switch (kind) {
    case 'agent':
      return call('agentExecutions', { keyid: key[0]! }, page);
    case 'principal':
      return call('principalExecutions', { keyid: key[0]! }, page);
    case 'policy':
      return call('policyExecutions', { id: key[0]!, version: key[1]! }, page);
    case 'runtime':
      return call('runtimeExecutions', { hash: key[0]! }, page);
    case 'fingerprint': {
      const found = await call('byFingerprint', { fp: key[0]! });
      return { items: found.attestations, next: null };
    }
  }
}

function table(items: readonly ExecutionSummary[]): HTMLTableElement {
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Execution', 'Kind', 'Decision', 'Action', 'Resource', 'Issued'].map((t) =>
          h('th', { scope: 'col' }, t),
        ),
      ),
    ),
    h(
      'tbody',
      {},
      items.map((a) =>
        h(
          'tr',
          {},
          h('td', {}, link(`#/execution/${a.execution_id}`, a.execution_id)),
          h('td', {}, a.kind),
          h('td', {}, a.decision),
          h('td', {}, a.action),
          h('td', {}, a.resource),
          h('td', {}, a.issued_at),
        ),
      ),
    ),
  );
}

/** One page of a list, with Next and Previous (the cursors seen so far are kept). */
export async function listView(main: HTMLElement, kind: ListKind, key: string[]): Promise<void> {
  const cursors: (string | null)[] = [null];
  const body = h('div', { 'aria-live': 'polite' });
  const previous = h('button', { type: 'button' }, 'Previous page');
  const next = h('button', { type: 'button' }, 'Next page');
  let at = 0;
  const load = async () => {
    const page = await fetchPage(kind, key, cursors[at]!);
    cursors[at + 1] = page.next;
    show(body, page.items.length === 0 ? h('p', {}, 'No executions.') : table(page.items));
    previous.disabled = at === 0;
    next.disabled = page.next === null;
  };
  previous.addEventListener('click', () => void ((at -= 1), load()));
  next.addEventListener('click', () => void ((at += 1), load()));
  show(
    main,
    h('h1', {}, `Executions of ${kind} `, h('code', {}, key.join(' v'))),
    body,
    h('p', { class: 'controls' }, previous, next),
  );
  await load();
}
