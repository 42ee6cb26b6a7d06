import type { ExecutionSummary, ExecutionView, ResolutionView } from '@lineage/contract';
import { fromBase64, fromUtf8 } from '@lineage/protocol';
import type { EvidenceBundle } from '@lineage/protocol';
import { ApiError, call } from '../api.js';
import { facts, h, json, show } from '../dom.js';
import { verifyInPage } from '../verify/checks.js';
import { verificationPanel } from '../verify/panel.js';
import { reasonInWords } from '../words.js';
import { link } from './links.js';

/** A DSSE payload decoded to JSON; null when it is not JSON (shown raw only). */
function decoded(envelope: { payload: string }): unknown {
  try {
    return JSON.parse(fromUtf8(fromBase64(envelope.payload))) as unknown;
  } catch {
    return null;
  }
}

function reasons(codes: readonly string[]): HTMLElement {
  if (codes.length === 0) return h('span', {}, 'none');
  return h(
    'ul',
    { class: 'reasons' },
    codes.map((c) => h('li', { 'data-code': c }, h('code', {}, c), ` — ${reasonInWords(c)}`)),
  );
}

function outcome(view: ExecutionView): HTMLElement {
  const o = view.outcome;
  return h(
    'section',
    { 'aria-labelledby': 'h-outcome' },
    h('h2', { id: 'h-outcome' }, 'Effective outcome'),
    o === null
      ? h('p', {}, 'not decided')
      : h(
          'p',
          { id: 'outcome', 'data-decision': o.decision, 'data-kind': o.kind },
          h('strong', {}, o.decision),
          o.kind === 'override' ? ' (an override answering its decision)' : ' (its decision)',
        ),
    view.decision && facts([['Decision reasons', reasons(view.decision.reasons)]]),
    view.override && resolution('Override', view.override),
    view.refused.map((r) => resolution('Refused resolution', r)),
  );
}

function resolution(title: string, r: ResolutionView): HTMLElement {
  return h(
    'div',
    {},
    h('h3', {}, title),
    facts([
      ['Decision', r.decision],
      ['Reasons', reasons(r.reasons)],
      ['Approver', r.approver ? link(`#/principal/${r.approver}`, r.approver) : null],
      ['Resolution', r.resolution],
      ['Reason given', r.reason],
      ['Issued', r.issued_at],
    ]),
    h('details', {}, h('summary', {}, 'Signed resolution (decoded)'), json(decoded(r.envelope))),
    h('details', {}, h('summary', {}, 'Signed resolution (raw envelope)'), json(r.envelope)),
  );
}

function authority(view: ExecutionView): HTMLElement {
  const a = view.authorization;
  return h(
    'section',
    { 'aria-labelledby': 'h-authority' },
    h('h2', { id: 'h-authority' }, 'Authority'),
    a === null
      ? h('p', {}, 'none recorded')
      : facts([
          ['Grant', a.grant ?? 'inherited'],
          ['Principals', a.principals.map((p) => h('div', {}, link(`#/principal/${p}`, p)))],
          [
            'Scope',
            a.scope
              ? `actions ${a.scope.actions.join(', ')}; resources ${a.scope.resources.join(', ')}`
              : null,
          ],
          ['Depth', String(a.depth)],
          ['Inherited from', a.inherited_from.map((d) => h('div', { class: 'mono' }, d))],
        ]),
  );
}

async function policy(decision: ExecutionSummary): Promise<HTMLElement> {
  const p = decision.policy;
  const section = h(
    'section',
    { 'aria-labelledby': 'h-policy' },
    h('h2', { id: 'h-policy' }, 'Policy'),
    facts([
      [
        'Policy',
        link(`#/policy/${encodeURIComponent(p.id)}/${p.version}`, `${p.id} v${p.version}`),
      ],
      ['Hash', h('code', {}, p.hash)],
    ]),
  );
  try {
    const stored = await call('policy', { hash: p.hash });
    section.append(
      h('h3', {}, 'The exact document that decided'),
      json(stored.document, 'policy document'),
    );
  } catch (e) {
    section.append(h('p', {}, `document not available (${(e as ApiError).code})`));
  }
  return section;
}

function attestations(view: ExecutionView, bundle: EvidenceBundle | null): HTMLElement {
  const envelopes = new Map<string, unknown>();
  for (const envelope of bundle?.attestations ?? []) {
    const statement = decoded(envelope) as { subject?: { name?: string }[] } | null;
    if (statement?.subject?.[0]?.name === view.execution_id)
      envelopes.set(envelope.payload, envelope);
  }
  const raw = [...envelopes.values()];
  return h(
    'section',
    { 'aria-labelledby': 'h-attestations' },
    h('h2', { id: 'h-attestations' }, `Attestations (${view.attestations.length})`),
    view.attestations.map((a) =>
      h(
        'article',
        { 'data-kind': a.kind },
        h('h3', {}, `${a.kind}: ${a.decision}`),
        facts([
          ['Digest', h('code', {}, a.attestation_digest)],
          ['Reasons', reasons(a.reasons)],
          ['Issued', `${a.issued_at} by ${a.issuer}`],
          ['Ledger', `partition ${a.partition}, offset ${a.offset}, sequence ${a.sequence}`],
        ]),
      ),
    ),
    bundle === null
      ? h('p', {}, 'Signed envelopes need a token with the export scope.')
      : raw.map((envelope, i) =>
          h(
            'div',
            {},
            h(
              'details',
              {},
              h('summary', {}, `Envelope ${i + 1}: decoded statement`),
              json(decoded(envelope as { payload: string })),
            ),
            h('details', {}, h('summary', {}, `Envelope ${i + 1}: raw DSSE`), json(envelope)),
          ),
        ),
  );
}

/** The execution page: outcome, reasons in words, authority, policy, runtime, attestations, Verify here. */
export async function executionView(main: HTMLElement, id: string): Promise<void> {
  const view = await call('showExecution', { id });
  const bundle = await call('bundle', { id }).catch((e: unknown) => {
    if (e instanceof ApiError && (e.code === 'FORBIDDEN' || e.status === 403)) return null;
    throw e;
  });
  const d = view.decision;
  const runtime = h(
    'dd',
    { id: 'runtime-release' },
    'press Verify here to check its signed release',
  );
  const panel = h('div', { id: 'verify-panel', 'aria-live': 'polite' });
  const verify = () => {
    const v = verifyInPage(bundle);
    show(panel, verificationPanel(v));
    runtime.textContent = v.valid
      ? `runtime_verified: ${v.result!.runtimeVerified}`
      : 'not verified';
  };
  show(
    main,
    h('h1', {}, 'Execution ', h('code', {}, id)),
    h(
      'p',
      { class: 'controls' },
      link(`#/graph/${id}?mode=lineage`, 'Lineage graph'),
      link(`#/graph/${id}?mode=blast`, 'Blast radius'),
      bundle !== null &&
        h('button', { type: 'button', id: 'verify-here', onclick: verify }, 'Verify here'),
    ),
    panel,
    d &&
      facts([
        ['Action', `${d.action} on ${d.resource}`],
        ['Agent', link(`#/agent/${d.agent}`, d.agent)],
        ['Fingerprint', link(`#/fingerprint/${d.fingerprint}`, d.fingerprint)],
      ]),
    outcome(view),
    authority(view),
    d && (await policy(d)),
    d &&
      h(
        'section',
        { 'aria-labelledby': 'h-runtime' },
        h('h2', { id: 'h-runtime' }, 'Governance runtime'),
        h(
          'dl',
          {},
          h('dt', {}, 'Hash'),
          h('dd', {}, link(`#/runtime/${d.runtime_hash}`, d.runtime_hash)),
          h('dt', {}, 'Signed release'),
          runtime,
        ),
      ),
    attestations(view, bundle),
  );
}
