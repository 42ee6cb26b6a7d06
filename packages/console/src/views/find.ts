import { h, show } from '../dom.js';

const KINDS: [string, string, string][] = [
  ['execution', 'Execution id', '#/execution/'],
  ['graph', 'Execution id (lineage graph)', '#/graph/'],
  ['agent', 'Agent key id', '#/agent/'],
  ['principal', 'Principal key id', '#/principal/'],
  ['policy', 'Policy id and version (id v3)', '#/policy/'],
  ['runtime', 'Governance runtime hash', '#/runtime/'],
  ['fingerprint', 'Execution fingerprint', '#/fingerprint/'],
];

/** The find page: one field, and what it holds. */
export function findView(main: HTMLElement): void {
  const form = h(
    'form',
    { 'aria-labelledby': 'h-find' },
    h(
      'label',
      {},
      'Find by ',
      h(
        'select',
        { name: 'kind', id: 'find-kind' },
        KINDS.map(([v, t]) => h('option', { value: v }, t)),
      ),
    ),
    h(
      'label',
      {},
      'Value ',
      h('input', {
        name: 'value',
        id: 'find-value',
        required: true,
        size: 70,
        autocomplete: 'off',
      }),
    ),
    h('button', { type: 'submit' }, 'Find'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const [, , prefix] = KINDS.find(([v]) => v === data.get('kind'))!;
    const value = String(data.get('value')).trim();
    // A policy is named by id and version: "default v3" or "default 3".
    const target =
      data.get('kind') === 'policy'
        ? value.replace(/\s+v?(\d+)$/, (_, v: string) => `/${v}`)
        : encodeURIComponent(value);
    location.hash = prefix + target;
  });
  show(main, h('h1', { id: 'h-find' }, 'Find'), form);
}
