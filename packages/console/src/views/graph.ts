import { h, show } from '../dom.js';
import { classify, loadBlastPage, loadGraph } from '../graph/load.js';
import type { GraphMode, GraphRequest } from '../graph/load.js';
import { textLines } from '../graph/model.js';
import type { LineageGraph } from '../graph/model.js';
import { drawGraph } from '../graph/render.js';
import type { DrawnGraph } from '../graph/render.js';
import { link } from './links.js';

const MODES: [GraphMode, string][] = [
  ['lineage', 'Whole lineage (from the roots)'],
  ['ancestors', 'Ancestors (authorization path)'],
  ['blast', 'Blast radius (descendants)'],
];

/** The graph request a route asks for (`#/graph/<id>?mode=&depth=&limit=`), with the API's defaults. */
export function graphRequest(id: string, query: URLSearchParams): GraphRequest {
  const mode = (MODES.find(([m]) => m === query.get('mode'))?.[0] ?? 'lineage') as GraphMode;
  const int = (name: string, fallback: number) => {
    const n = Number(query.get(name));
    return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : fallback;
  };
  return { id, mode, depth: int('depth', 50), limit: int('limit', 100) };
}

const hrefOf = (r: GraphRequest) =>
  `#/graph/${r.id}?mode=${r.mode}&depth=${r.depth}&limit=${r.limit}`;

function controls(request: GraphRequest): HTMLFormElement {
  const form = h(
    'form',
    { class: 'controls', 'aria-label': 'Graph controls' },
    h(
      'label',
      {},
      'Show ',
      h(
        'select',
        { name: 'mode' },
        MODES.map(([m, text]) => h('option', { value: m, selected: m === request.mode }, text)),
      ),
    ),
    h(
      'label',
      {},
      'Depth ',
      h('input', { name: 'depth', type: 'number', min: 1, max: 1000, value: request.depth }),
    ),
    h(
      'label',
      {},
      'Page size ',
      h('input', { name: 'limit', type: 'number', min: 1, max: 1000, value: request.limit }),
    ),
    h('button', { type: 'submit' }, 'Draw'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    location.hash = hrefOf({
      id: request.id,
      mode: data.get('mode') as GraphMode,
      depth: Number(data.get('depth')),
      limit: Number(data.get('limit')),
    });
  });
  return form;
}

const LEGEND: [string, string][] = [
  ['allow', 'allowed'],
  ['deny', 'denied'],
  ['pending', 'waiting for a human'],
  ['override', 'settled by an override'],
  ['replay', 'replay rejected (dashed ring)'],
  ['path', 'authorization path'],
];

/** The graph as text: the list `lineage ancestors` / `descendants` print, each line a link. */
function textAlternative(graph: LineageGraph): HTMLElement {
  return h(
    'section',
    { class: 'alt', 'aria-labelledby': 'h-alt' },
    h('h2', { id: 'h-alt' }, 'Text alternative'),
    h('p', {}, 'depth, execution, decision, action, agent; each line opens the graph around it.'),
    h(
      'ol',
      { id: 'graph-text' },
      textLines(graph).map(({ id, line }) =>
        h('li', {}, link(hrefOf({ ...graphRequestDefaults, id }), line)),
      ),
    ),
  );
}
const graphRequestDefaults: GraphRequest = { id: '', mode: 'lineage', depth: 50, limit: 100 };

function details(graph: LineageGraph, id: string, request: GraphRequest): HTMLElement[] {
  const n = graph.nodes.get(id)!;
  return [
    h('h2', {}, 'Selected'),
    h('p', { class: 'mono' }, id),
    h(
      'p',
      {},
      `${n.action ?? '?'} by ${n.agent ?? '?'}: ${n.outcome}${n.replayed ? ', replay rejected' : ''}${n.root ? ', root (grant)' : ''}`,
    ),
    h('p', {}, link(`#/execution/${id}`, 'Open execution')),
    h('p', {}, link(hrefOf({ ...request, id }), 'Move the graph here')),
    h('p', {}, link(hrefOf({ ...request, id, mode: 'blast' }), 'Its blast radius')),
  ];
}

let drawn: DrawnGraph | undefined;

/** The lineage graph page: controls, legend, the canvas, the selection, the text alternative. */
export async function graphView(main: HTMLElement, request: GraphRequest): Promise<void> {
  drawn?.destroy();
  const graph = await loadGraph(request);
  await classify(graph);
  const canvas = h('div', {
    class: 'graph',
    id: 'graph',
    'data-start': request.id,
    'data-mode': request.mode,
    tabindex: 0,
    role: 'img',
    'aria-label': `Lineage graph of ${graph.nodes.size} executions; arrow keys move the selection, Enter moves the graph to it. The text alternative below lists the same executions.`,
  });
  const side = h(
    'aside',
    { 'aria-live': 'polite', id: 'selection' },
    h('p', {}, 'Select an execution (click, or arrow keys).'),
  );
  const more = h(
    'button',
    { type: 'button', id: 'next-page', hidden: graph.next === null },
    'Load next page',
  );
  const alt = h('div', {}, textAlternative(graph));
  show(
    main,
    h('h1', {}, 'Lineage of ', h('code', {}, request.id)),
    controls(request),
    h(
      'p',
      { class: 'legend' },
      LEGEND.map(([c, t]) => h('span', {}, h('span', { class: `swatch ${c}` }), t)),
    ),
    graph.truncated &&
      h(
        'p',
        { id: 'truncated' },
        'The walk stopped at the depth or a cap: raise the depth, or page on.',
      ),
    h('div', { class: 'split' }, canvas, side),
    more,
    alt,
  );
  const redraw = () => {
    drawn?.destroy();
    drawn = drawGraph(canvas, graph, {
      onSelect: (id) => show(side, details(graph, id, request)),
      onOpen: (id) => (location.hash = hrefOf({ ...request, id })),
    });
    drawn.select(request.id, false);
    show(alt, textAlternative(graph));
    more.hidden = graph.next === null;
  };
  more.addEventListener('click', () => {
    void loadBlastPage(graph, graph.nextFrom ?? request.id, request, graph.next)
      .then(() => classify(graph))
      .then(redraw);
  });
  redraw();
}
