import { h } from '../dom.js';
import { failureInWords } from '../words.js';
import type { Verification } from './checks.js';

/** The verdict and every check, as a list a screen reader reads in order. */
export function verificationPanel(v: Verification): HTMLElement {
  const verdict = v.valid
    ? `Valid: ${v.result!.target.predicate.execution_id} is ${v.result!.target.predicate.decision}`
    : `Invalid: ${v.code} (${failureInWords(v.code ?? '')})`;
  return h(
    'section',
    { class: 'verification', 'aria-label': 'Verification' },
    h('p', { class: 'verdict', 'data-valid': String(v.valid), 'data-code': v.code ?? '' }, verdict),
    v.execution !== null ? h('p', {}, 'Concerns execution ', h('code', {}, v.execution)) : null,
    h(
      'p',
      {},
      `Signatures checked against the ${v.keys}'s keys, with noble Ed25519, in this page.`,
    ),
    h(
      'ul',
      { class: 'checks' },
      v.checks.map((c) =>
        h(
          'li',
          { 'data-check': c.id, 'data-status': c.status },
          c.label,
          c.detail !== '' ? h('span', { class: 'mono' }, ` — ${c.detail}`) : null,
        ),
      ),
    ),
  );
}
