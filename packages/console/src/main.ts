// The audit console: hash routes over the query API of the origin that served the page.
import { ApiError, session } from './api.js';
import { h, show } from './dom.js';
import { executionView } from './views/execution.js';
import { findView } from './views/find.js';
import { graphRequest, graphView } from './views/graph.js';
import { listView } from './views/list.js';
import type { ListKind } from './views/list.js';

const main = document.getElementById('main')!;
const status = document.getElementById('status')!;
const signOut = document.getElementById('sign-out') as HTMLButtonElement;

/** The sign-in form: the token goes to `sessionStorage`, never into a URL. */
function signInView(refused: string | null): void {
  const input = h('input', {
    id: 'token',
    name: 'token',
    type: 'password',
    autocomplete: 'off',
    required: true,
    size: 60,
  });
  const form = h(
    'form',
    { 'aria-labelledby': 'h-sign-in' },
    h('h1', { id: 'h-sign-in' }, 'Sign in'),
    refused &&
      h(
        'p',
        { class: 'error', role: 'alert', 'data-code': refused },
        `The API refused the token (${refused}).`,
      ),
    h('label', {}, 'API token (lineage tokens create) ', input),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    session.signIn(input.value);
    void route();
  });
  show(main, form);
  input.focus();
}

/** Draws the page the hash names. */
async function route(): Promise<void> {
  signOut.hidden = session.token() === null;
  if (session.token() === null) return signInView(null);
  const [path, search] = location.hash.replace(/^#/, '').split('?') as [string, string | undefined];
  const [, page, ...rest] = path.split('/').map(decodeURIComponent);
  status.textContent = 'Loading…';
  try {
    if (page === 'execution' && rest[0]) await executionView(main, rest[0]);
    else if (page === 'graph' && rest[0])
      await graphView(main, graphRequest(rest[0], new URLSearchParams(search)));
    else if (
      ['agent', 'principal', 'policy', 'runtime', 'fingerprint'].includes(page ?? '') &&
      rest[0]
    )
      await listView(main, page as ListKind, rest);
    else findView(main);
    status.textContent = '';
    main.focus();
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    status.textContent = '';
    if (error.code === 'UNAUTHENTICATED') {
      session.signOut();
      return signInView(error.code);
    }
    show(
      main,
      h(
        'p',
        { class: 'error', role: 'alert', 'data-code': error.code },
        `${error.code}: ${error.message}`,
      ),
    );
  }
}

signOut.addEventListener('click', () => {
  session.signOut();
  void route();
});
window.addEventListener('hashchange', () => void route());
void route();
