import cytoscape from 'cytoscape';
import type { Core, NodeSingular } from 'cytoscape';
import dagre from 'cytoscape-dagre';
import { DAGRE_LIMIT, layeredPositions } from './layout.js';
import type { LineageGraph } from './model.js';

cytoscape.use(dagre);

/** What a drawn graph lets the page do. */
export interface DrawnGraph {
  cy: Core;
  /** Selects an execution, and centres on it unless `centre` is false. */
  select(id: string, centre?: boolean): void;
  destroy(): void;
}

const COLOURS = {
  allow: '#2e7d32',
  deny: '#c62828',
  pending: '#f9a825',
  override: '#6a1b9a',
  replay: '#ef6c00',
  path: '#1565c0',
  edge: '#9aa0a6',
};

// Canvas rendering; while panning or zooming the viewport is a cached texture, so thousands of
// nodes move smoothly; labels are skipped when they would be too small to read.
const STYLE: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: {
      'background-color': COLOURS.allow,
      label: 'data(label)',
      'font-size': 10,
      'text-wrap': 'wrap',
      'text-max-width': '90px',
      'min-zoomed-font-size': 7,
      'text-valign': 'bottom',
      'text-margin-y': 3,
      width: 22,
      height: 22,
    },
  },
  { selector: 'node.deny', style: { 'background-color': COLOURS.deny } },
  { selector: 'node.pending', style: { 'background-color': COLOURS.pending } },
  { selector: 'node.override', style: { 'background-color': COLOURS.override } },
  {
    selector: 'node.replayed',
    style: { 'border-width': 4, 'border-style': 'dashed', 'border-color': COLOURS.replay },
  },
  { selector: 'node.root', style: { shape: 'diamond', width: 30, height: 30 } },
  { selector: 'node.start', style: { 'border-width': 3, 'border-color': '#000' } },
  {
    selector: 'node:selected',
    style: { 'overlay-color': COLOURS.path, 'overlay-opacity': 0.25, 'overlay-padding': 6 },
  },
  {
    selector: 'edge',
    style: {
      width: 1.5,
      'line-color': COLOURS.edge,
      'target-arrow-color': COLOURS.edge,
      'target-arrow-shape': 'triangle',
      'curve-style': 'straight',
    },
  },
  // Large lineages: the cheapest edges cytoscape draws (no arrowheads; parents are always above).
  { selector: 'edge.large', style: { 'curve-style': 'haystack', 'haystack-radius': 0 } },
  {
    selector: 'edge.path',
    style: { width: 4, 'line-color': COLOURS.path, 'target-arrow-color': COLOURS.path },
  },
];

/** A node's label: its action and the end of its id (ids of one run share their time prefix). */
function labelOf(id: string, action: string | null): string {
  return `${action ?? '?'}\n…${id.slice(-4)}`;
}

/**
 * dagre (fewest crossings) for lineages up to {@link DAGRE_LIMIT} executions; above, its crossing
 * minimisation takes seconds, so larger ones get the linear layered layout.
 */
function layoutFor(graph: LineageGraph): cytoscape.LayoutOptions {
  if (graph.nodes.size <= DAGRE_LIMIT)
    return { name: 'dagre', rankDir: 'TB', nodeSep: 90, rankSep: 50 } as cytoscape.LayoutOptions;
  const positions = layeredPositions(graph);
  return { name: 'preset', positions: Object.fromEntries(positions) };
}

/**
 * Draws a lineage as a layered DAG (dagre, roots on top, each edge from parent to child) on a canvas.
 * `onSelect` hears every selection (click or keyboard); `onOpen` a click, or Enter on the selection.
 */
export function drawGraph(
  container: HTMLElement,
  graph: LineageGraph,
  handlers: { onSelect?: (id: string) => void; onOpen?: (id: string) => void } = {},
): DrawnGraph {
  const elements: cytoscape.ElementDefinition[] = [];
  for (const n of graph.nodes.values()) {
    const classes = [
      n.outcome,
      n.replayed && 'replayed',
      n.root && 'root',
      n.id === graph.start && 'start',
    ];
    elements.push({
      data: { id: n.id, label: labelOf(n.id, n.action) },
      classes: classes.filter(Boolean).join(' '),
    });
  }
  for (const [key, e] of graph.edges)
    if (graph.nodes.has(e.parent) && graph.nodes.has(e.child))
      elements.push({
        data: { id: key, source: e.parent, target: e.child },
        classes: [e.onPath && 'path', graph.nodes.size > DAGRE_LIMIT && 'large']
          .filter(Boolean)
          .join(' '),
      });
  const cy = cytoscape({
    container,
    elements,
    style: STYLE,
    layout: layoutFor(graph),
    textureOnViewport: true,
    pixelRatio: 1,
    motionBlur: false,
    selectionType: 'single',
    boxSelectionEnabled: false,
    wheelSensitivity: 0.4,
  });
  const select = (id: string, centre = true) => {
    const node = cy.getElementById(id);
    if (node.empty()) return;
    cy.$(':selected').unselect();
    node.select();
    if (centre) cy.center(node);
  };
  cy.on('select', 'node', (e) => handlers.onSelect?.((e.target as NodeSingular).id()));
  cy.on('tap', 'node', (e) => handlers.onOpen?.((e.target as NodeSingular).id()));
  container.dataset.nodes = String(cy.nodes().length);
  container.dataset.edges = String(cy.edges().length);
  // What the canvas shows, counted, for tests and assistive summaries.
  const count = (selector: string) => String(cy.nodes(selector).length);
  for (const outcome of ['allow', 'deny', 'pending', 'override', 'replayed', 'root'])
    container.dataset[outcome] = count(`.${outcome}`);
  container.dataset.pathEdges = String(cy.edges('.path').length);
  keyboard(container, cy, select, handlers.onOpen);
  return { cy, select, destroy: () => cy.destroy() };
}

/**
 * Arrow keys move the selection: up to a parent, down to a child, left and right along its layer;
 * Enter opens the selection (as a click does).
 */
function keyboard(
  container: HTMLElement,
  cy: Core,
  select: (id: string) => void,
  onOpen?: (id: string) => void,
): void {
  container.addEventListener('keydown', (event) => {
    const current = cy.nodes(':selected').first();
    if (current.empty()) {
      if (event.key.startsWith('Arrow')) {
        select(cy.nodes().first().id());
        event.preventDefault();
      }
      return;
    }
    const y = current.position('y');
    const byX = (a: NodeSingular, b: NodeSingular) => a.position('x') - b.position('x');
    let next: NodeSingular | undefined;
    if (event.key === 'ArrowUp') next = current.incomers().nodes().first();
    else if (event.key === 'ArrowDown') next = current.outgoers().nodes().first();
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      const layer = cy
        .nodes()
        .filter((n) => Math.abs(n.position('y') - y) < 1)
        .toArray()
        .map((n) => n as NodeSingular)
        .sort(byX);
      const at = layer.findIndex((n) => n.id() === current.id());
      next = layer[at + (event.key === 'ArrowLeft' ? -1 : 1)] as NodeSingular | undefined;
    } else if (event.key === 'Enter') {
      onOpen?.(current.id());
      event.preventDefault();
      return;
    } else return;
    event.preventDefault();
    if (next !== undefined && !next.empty()) select(next.id());
  });
}
