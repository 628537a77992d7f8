/**
 * `GET /`: the service map (GetServiceGraph). Laid out by map-layout.ts so no labels overlap; fitted to the
 * window by the viewBox; zoom and pan with the wheel, a drag, the +/−/Fit buttons or the keyboard (+, −, 0,
 * arrows). Nodes are buttons: Tab to them, Space (or a click) shows their details and response-time histogram,
 * Enter (or a double click) opens their traces.
 * Why one file: the map's drawing, viewport and node panel share the page's one selection and viewport state; the
 * pure parts (layout, histogram, viewport maths) are already in their own unit-tested modules.
 */
import { api, counts, type EdgeJson, type ServiceJson } from './api';
import { currentRange, setUpdated, setUpToolbar } from './chrome';
import { announce, byId, h, showError, svg } from './dom';
import { formatSeconds } from './format';
import { binHistogram, rangeFilter, subjectFilter, type HistogramEntry, type HistogramSubject } from './histogram';
import { layoutServiceMap, RING_RADIUS, type MapLayout } from './map-layout';
import { fitView, panView, viewBoxOf, zoomView, type View } from './viewport';
import { windowOf, withRange } from './time-range';

const MAX_LABEL = 40;
const PAN_STEP = 0.1;
const ZOOM_STEP = 1.25;

interface Selection {
  readonly subject: HistogramSubject;
  readonly title: string;
  readonly stats: ReturnType<typeof counts>;
  readonly histogram: readonly HistogramEntry[];
  readonly edges?: { label: string; select: () => void }[];
}

let services: ServiceJson[] = [];
let layout: MapLayout | undefined;
let fitted: View = { x: 0, y: 0, width: 1, height: 1 };
let view: View = fitted;
let selectedKey: string | undefined;

const truncate = (text: string) => (text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text);
const nodeTitle = (s: ServiceJson) => `${s.Name}${s.Type ? ` (${s.Type})` : ''}`;

function countsText(st: ReturnType<typeof counts>): string {
  let text = `${st.total} req`;
  if (st.errors) text += ` · ${st.errors} err`;
  if (st.faults) text += ` · ${st.faults} fault`;
  return text;
}

function describe(s: ServiceJson): string {
  const st = counts(s.SummaryStatistics);
  return `${nodeTitle(s)}: ${st.total} requests, ${st.errors} errors, ${st.faults} faults, average ${formatSeconds(st.average)}`;
}

function tracesUrl(filter: string): string {
  return withRange(`/traces?filter=${encodeURIComponent(filter)}`, currentRange());
}

const serviceSubject = (s: ServiceJson): HistogramSubject => ({ kind: 'service', name: s.Name, type: s.Type });

/** One canvas, for measuring labels in the map's font. */
function textMeasurer(): (text: string) => number {
  const context = document.createElement('canvas').getContext('2d');
  if (!context) return (text) => text.length * 7.6;
  context.font = '600 12px system-ui, sans-serif';
  // 2 px of slack per line for font hinting differences between the canvas and SVG text.
  return (text) => context.measureText(text).width + 2;
}

function ring(group: SVGGElement, x: number, y: number, st: ReturnType<typeof counts>): void {
  const circumference = 2 * Math.PI * RING_RADIUS;
  group.append(svg('circle', { cx: x, cy: y, r: RING_RADIUS, fill: '#fff', stroke: '#c9ccd6', 'stroke-width': 6 }));
  let offset = 0;
  for (const [value, colour] of [
    [st.ok, 'var(--ok)'],
    [st.errors, 'var(--error)'],
    [st.faults, 'var(--fault)'],
  ] as const) {
    if (!st.total || !value) continue;
    const length = (circumference * value) / st.total;
    group.append(
      svg('circle', {
        cx: x,
        cy: y,
        r: RING_RADIUS,
        fill: 'none',
        stroke: colour,
        'stroke-width': 6,
        'stroke-dasharray': `${length} ${circumference - length}`,
        'stroke-dashoffset': -offset,
        transform: `rotate(-90 ${x} ${y})`,
      }),
    );
    offset += length;
  }
  group.append(
    svg('circle', { className: 'focus-ring', cx: x, cy: y, r: RING_RADIUS + 6, fill: 'none', stroke: 'none' }),
  );
}

function applyView(): void {
  document.querySelector('#map svg')?.setAttribute('viewBox', viewBoxOf(view));
}

function zoomBy(factor: number, at?: { x: number; y: number }): void {
  const focus = at ?? { x: view.x + view.width / 2, y: view.y + view.height / 2 };
  view = zoomView(view, factor, focus.x, focus.y, fitted);
  applyView();
}

function fit(): void {
  view = fitted;
  applyView();
}

/** Drawing units per screen pixel (the viewBox is scaled to fit, keeping its aspect ratio). */
function unitsPerPixel(element: SVGSVGElement): number {
  const ctm = element.getScreenCTM();
  return ctm?.a ? 1 / ctm.a : 1;
}

function toDrawing(element: SVGSVGElement, clientX: number, clientY: number) {
  const ctm = element.getScreenCTM();
  if (!ctm) return undefined;
  const point = new DOMPoint(clientX, clientY).matrixTransform(ctm.inverse());
  return { x: point.x, y: point.y };
}

function enableZoomAndPan(element: SVGSVGElement): void {
  element.addEventListener(
    'wheel',
    (event) => {
      event.preventDefault();
      zoomBy(event.deltaY < 0 ? ZOOM_STEP : 1 / ZOOM_STEP, toDrawing(element, event.clientX, event.clientY));
    },
    { passive: false },
  );
  let drag: { x: number; y: number; moved: boolean } | undefined;
  element.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    drag = { x: event.clientX, y: event.clientY, moved: false };
  });
  element.addEventListener('pointermove', (event) => {
    if (!drag) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    if (!drag.moved) element.setPointerCapture(event.pointerId);
    drag.moved = true;
    element.classList.add('dragging');
    const scale = unitsPerPixel(element);
    view = panView(view, -dx * scale, -dy * scale);
    drag.x = event.clientX;
    drag.y = event.clientY;
    applyView();
  });
  const end = () => {
    drag = undefined;
    element.classList.remove('dragging');
  };
  element.addEventListener('pointerup', end);
  element.addEventListener('pointercancel', end);
}

/** +/−/0 and the arrows, anywhere in the map (on the map itself or on a node). */
function onMapKey(event: KeyboardEvent): void {
  const pan = (dx: number, dy: number) => {
    view = panView(view, dx * view.width * PAN_STEP, dy * view.height * PAN_STEP);
    applyView();
  };
  const actions: Record<string, () => void> = {
    '+': () => zoomBy(ZOOM_STEP),
    '=': () => zoomBy(ZOOM_STEP),
    '-': () => zoomBy(1 / ZOOM_STEP),
    '0': fit,
    ArrowLeft: () => pan(-1, 0),
    ArrowRight: () => pan(1, 0),
    ArrowUp: () => pan(0, -1),
    ArrowDown: () => pan(0, 1),
  };
  const action = actions[event.key];
  if (!action || event.ctrlKey || event.metaKey || event.altKey) return;
  event.preventDefault();
  action();
}

/** Brings a focused node into view when zoom or pan left it outside. */
function reveal(cx: number, cy: number): void {
  const inside = cx >= view.x && cx <= view.x + view.width && cy >= view.y && cy <= view.y + view.height;
  if (inside) return;
  view = { ...view, x: cx - view.width / 2, y: cy - view.height / 2 };
  applyView();
}

function markSelected(key: string | undefined): void {
  selectedKey = key;
  for (const el of document.querySelectorAll('#map .selected')) el.classList.remove('selected');
  if (key) document.querySelector(`#map [data-key="${key}"]`)?.classList.add('selected');
}

function edgeSubject(from: ServiceJson, to: ServiceJson): HistogramSubject {
  return { kind: 'edge', from: { name: from.Name, type: from.Type }, to: { name: to.Name, type: to.Type } };
}

function selectEdge(from: ServiceJson, edge: EdgeJson, to: ServiceJson): void {
  markSelected(`edge-${from.ReferenceId}-${to.ReferenceId}`);
  showDetails({
    subject: edgeSubject(from, to),
    title: `${from.Name} → ${to.Name}`,
    stats: counts(edge.SummaryStatistics),
    histogram: edge.ResponseTimeHistogram ?? [],
  });
}

function selectService(s: ServiceJson): void {
  markSelected(`node-${s.ReferenceId}`);
  const byRef = new Map(services.map((x) => [x.ReferenceId, x]));
  const edges = [
    ...services.flatMap((caller) =>
      (caller.Edges ?? [])
        .filter((e) => e.ReferenceId === s.ReferenceId)
        .map((e) => ({ label: `From ${caller.Name}`, select: () => selectEdge(caller, e, s) })),
    ),
    ...(s.Edges ?? []).flatMap((e) => {
      const callee = byRef.get(e.ReferenceId);
      return callee ? [{ label: `To ${callee.Name}`, select: () => selectEdge(s, e, callee) }] : [];
    }),
  ];
  showDetails({
    subject: serviceSubject(s),
    title: nodeTitle(s),
    stats: counts(s.SummaryStatistics),
    histogram: s.ResponseTimeHistogram ?? [],
    edges,
  });
}

function showDetails(selection: Selection): void {
  const details = byId('details');
  const st = selection.stats;
  const traces = h('a', { href: tracesUrl(subjectFilter(selection.subject)), text: 'View traces' });
  details.replaceChildren(
    h('h2', { id: 'details-heading', text: selection.title }),
    h(
      'dl',
      {},
      h('dt', { text: 'Requests' }),
      h('dd', { text: String(st.total) }),
      h('dt', { text: 'OK' }),
      h('dd', { text: String(st.ok) }),
      h('dt', { text: 'Errors (4xx)' }),
      h('dd', { text: String(st.errors) }),
      h('dt', { text: 'Faults (5xx)' }),
      h('dd', { text: String(st.faults) }),
      h('dt', { text: 'Average' }),
      h('dd', { text: formatSeconds(st.average) }),
    ),
    h('p', {}, traces),
    histogramSection(selection),
    selection.edges?.length
      ? h(
          'section',
          { 'aria-labelledby': 'edges-heading' },
          h('h3', { id: 'edges-heading', text: 'Edges' }),
          h('ul', {}, ...selection.edges.map((e) => h('li', {}, button(e.label, e.select)))),
        )
      : '',
  );
  announce(`Selected ${selection.title}`);
}

function button(text: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button', text });
  b.addEventListener('click', onClick);
  return b;
}

/** Bars of the histogram; a click picks a bin's range (Shift+click extends it); the inputs set it by hand. */
function histogramSection(selection: Selection): HTMLElement {
  const bins = binHistogram(selection.histogram);
  const section = h('section', { className: 'histogram', 'aria-labelledby': 'histogram-heading' });
  section.append(h('h3', { id: 'histogram-heading', text: 'Response time distribution' }));
  if (!bins.length) {
    section.append(h('p', { className: 'muted', text: 'No completed requests in this range.' }));
    return section;
  }
  const width = 300;
  const height = 120;
  const max = Math.max(...bins.map((b) => b.count));
  const barWidth = width / bins.length;
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height + 20}`,
    role: 'img',
    'aria-label':
      `Histogram of ${bins.reduce((n, b) => n + b.count, 0)} response times ` +
      `from ${formatSeconds(bins[0].from)} to ${formatSeconds(bins[bins.length - 1].to)}`,
  });
  const fromInput = h('input', { type: 'number', id: 'range-from', min: 0, step: 1 }) as HTMLInputElement;
  const toInput = h('input', { type: 'number', id: 'range-to', min: 0, step: 1 }) as HTMLInputElement;
  const link = h('a', { id: 'range-traces', text: 'Traces in this range' }) as HTMLAnchorElement;
  const rects: SVGRectElement[] = [];
  const update = () => {
    const from = Number(fromInput.value) / 1000;
    const to = Number(toInput.value) / 1000;
    link.href = tracesUrl(rangeFilter(selection.subject, from, to));
    bins.forEach((bin, i) => {
      rects[i].classList.toggle('in-range', bin.to >= Math.min(from, to) && bin.from <= Math.max(from, to));
    });
  };
  const setRange = (from: number, to: number) => {
    fromInput.value = String(Math.floor(from * 1000));
    toInput.value = String(Math.ceil(to * 1000));
    update();
  };
  bins.forEach((bin, i) => {
    const barHeight = Math.max(1, (bin.count / max) * height);
    const rect = svg('rect', {
      className: 'bar',
      x: i * barWidth + 1,
      y: height - barHeight,
      width: Math.max(1, barWidth - 2),
      height: barHeight,
    });
    rect.append(svg('title', { text: `${formatSeconds(bin.from)}–${formatSeconds(bin.to)}: ${bin.count}` }));
    rect.addEventListener('click', (event) => {
      const from = event.shiftKey ? Math.min(Number(fromInput.value) / 1000, bin.from) : bin.from;
      const to = event.shiftKey ? Math.max(Number(toInput.value) / 1000, bin.to) : bin.to;
      setRange(from, to);
    });
    rects.push(rect);
    chart.append(rect);
  });
  chart.append(
    svg('text', { x: 0, y: height + 14, text: formatSeconds(bins[0].from) }),
    svg('text', { x: width, y: height + 14, 'text-anchor': 'end', text: formatSeconds(bins[bins.length - 1].to) }),
  );
  fromInput.addEventListener('input', update);
  toInput.addEventListener('input', update);
  section.append(
    chart,
    h(
      'div',
      { className: 'range' },
      h('label', { for: 'range-from', text: 'From (ms)' }),
      fromInput,
      h('label', { for: 'range-to', text: 'To (ms)' }),
      toInput,
    ),
    h('p', {}, link),
  );
  setRange(bins[0].from, bins[bins.length - 1].to);
  return section;
}

function drawEdges(root: SVGSVGElement, placed: MapLayout, byRef: Map<number, ServiceJson>): void {
  root.append(
    svg(
      'defs',
      {},
      svg(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 10,
          refY: 5,
          markerWidth: 8,
          markerHeight: 8,
          orient: 'auto-start-reverse',
        },
        svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#6b7080' }),
      ),
    ),
  );
  for (const from of services) {
    for (const edge of from.Edges ?? []) {
      const a = placed.nodes.get(from.ReferenceId);
      const b = placed.nodes.get(edge.ReferenceId);
      const to = byRef.get(edge.ReferenceId);
      if (!a || !b || !to) continue;
      const dx = b.cx - a.cx;
      const dy = b.cy - a.cy;
      const d = Math.hypot(dx, dy) || 1;
      const x1 = a.cx + (dx / d) * (RING_RADIUS + 4);
      const y1 = a.cy + (dy / d) * (RING_RADIUS + 4);
      const x2 = b.cx - (dx / d) * (RING_RADIUS + 6);
      const y2 = b.cy - (dy / d) * (RING_RADIUS + 6);
      const st = counts(edge.SummaryStatistics);
      const colour = st.faults ? 'var(--fault)' : st.errors ? 'var(--error)' : '#6b7080';
      const group = svg(
        'g',
        { className: 'edge', 'data-key': `edge-${from.ReferenceId}-${to.ReferenceId}` },
        svg('title', { text: `${from.Name} → ${to.Name}: ${st.total} requests, average ${formatSeconds(st.average)}` }),
        svg('line', {
          className: 'visible',
          x1,
          y1,
          x2,
          y2,
          stroke: colour,
          'stroke-width': 1.5,
          'marker-end': 'url(#arrow)',
        }),
        svg('line', { x1, y1, x2, y2, stroke: 'transparent', 'stroke-width': 12 }),
      );
      group.addEventListener('click', () => selectEdge(from, edge, to));
      root.append(group);
    }
  }
}

function drawNodes(root: SVGSVGElement, placed: MapLayout): void {
  for (const s of services) {
    const p = placed.nodes.get(s.ReferenceId);
    if (!p) continue;
    const st = counts(s.SummaryStatistics);
    // The SVG <title> names the node (for screen readers, and as the hover tooltip). Not aria-label: the drawn
    // text (some of it shortened) would then have to be part of it, word for word.
    const group = svg('g', { className: 'node', tabindex: 0, role: 'button', 'data-key': `node-${s.ReferenceId}` });
    group.append(svg('title', { text: describe(s) }));
    ring(group, p.cx, p.cy, st);
    group.append(
      svg('text', {
        x: p.cx,
        y: p.cy + 4,
        'text-anchor': 'middle',
        text: s.Type === 'client' ? 'client' : formatSeconds(st.average),
      }),
    );
    const lines = nodeLines(s);
    const classes = ['name', 'type', st.faults ? 'bad-fault' : st.errors ? 'bad-error' : 'counts'];
    lines.forEach((line, i) => {
      group.append(
        svg('text', { className: `label ${classes[i]}`, x: p.cx, y: p.lineY[i], 'text-anchor': 'middle', text: line }),
      );
    });
    const openTraces = () => {
      location.href = tracesUrl(subjectFilter(serviceSubject(s)));
    };
    group.addEventListener('click', () => selectService(s));
    group.addEventListener('dblclick', openTraces);
    group.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') {
        event.preventDefault();
        openTraces();
      } else if (event.key === ' ') {
        event.preventDefault();
        selectService(s);
      }
    });
    group.addEventListener('focus', () => reveal(p.cx, p.cy));
    root.append(group);
  }
}

function nodeLines(s: ServiceJson): string[] {
  return [truncate(s.Name), s.Type ?? '', countsText(counts(s.SummaryStatistics))];
}

function draw(): void {
  const container = byId('map');
  if (!services.length) {
    layout = undefined;
    container.replaceChildren(h('p', { className: 'muted', text: 'No traces in this time range yet.' }));
    return;
  }
  const byRef = new Map(services.map((s) => [s.ReferenceId, s]));
  const placed = layoutServiceMap(
    services.map((s) => ({ id: s.ReferenceId, lines: nodeLines(s), first: s.Type === 'client' })),
    services.flatMap((s) => (s.Edges ?? []).map((e) => [s.ReferenceId, e.ReferenceId] as const)),
    textMeasurer(),
  );
  const keepView = layout !== undefined && view !== fitted;
  layout = placed;
  fitted = fitView(placed.bounds);
  if (!keepView) view = fitted;
  const root = svg('svg', {
    viewBox: viewBoxOf(view),
    preserveAspectRatio: 'xMidYMid meet',
    role: 'group',
    tabindex: 0,
    'aria-label':
      `Service map, ${services.length} nodes. Tab to a node; Space shows its details, Enter its traces. ` +
      'Plus and minus zoom, 0 fits, arrows pan.',
  });
  drawEdges(root, placed, byRef);
  drawNodes(root, placed);
  enableZoomAndPan(root);
  root.addEventListener('keydown', onMapKey);
  container.replaceChildren(root);
  if (selectedKey) markSelected(selectedKey);
}

async function load(): Promise<void> {
  try {
    const result = await api<{ Services?: ServiceJson[] }>(
      '/ServiceGraph',
      windowOf(currentRange(), Date.now() / 1000),
    );
    services = result.Services ?? [];
    draw();
    setUpdated();
  } catch (err) {
    showError(byId('map'), err);
  }
}

export function startMapPage(): void {
  setUpToolbar(() => void load());
  byId('zoom-in').addEventListener('click', () => zoomBy(ZOOM_STEP));
  byId('zoom-out').addEventListener('click', () => zoomBy(1 / ZOOM_STEP));
  byId('zoom-fit').addEventListener('click', fit);
  void load();
}
