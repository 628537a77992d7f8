/**
 * `GET /traces/<id>`: one trace (BatchGetTraces) as a timeline with a time axis, the entry segment first and
 * subsegments nested; the selected row's Overview / Annotations / Metadata / Exceptions tabs; and the traces
 * sharing its `QuestionId` (a question's post-question trace and its stream trace) as related traces.
 */
import { allTraceSummaries, api, type TraceJson } from './api';
import { setUpToolbar } from './chrome';
import { announce, byId, h, showError } from './dom';
import { formatSeconds } from './format';
import { timeTicks } from './time-axis';
import {
  annotationValues,
  causeText,
  exceptionsOf,
  relatedTracesFilter,
  timelineRows,
  traceBounds,
  type Entity,
  type TimelineRow,
} from './trace-model';
import { withRange, timeRangeOf } from './time-range';

/** Related traces are searched this long around the trace (the stream trace follows within seconds). */
const RELATED_WINDOW_SECONDS = 86_400;

const TABS = ['Overview', 'Annotations', 'Metadata', 'Exceptions'] as const;
type Tab = (typeof TABS)[number];

let selectedTab: Tab = 'Overview';

function axisRow(span: number): HTMLTableRowElement {
  const axis = h('div', { className: 'axis', 'aria-hidden': 'true' });
  const ticks = timeTicks(span);
  ticks.forEach((tick, i) => {
    const label = h('span', { className: i === ticks.length - 1 && i > 0 ? 'last' : '', text: tick.label });
    label.style.left = `${tick.percent}%`;
    axis.append(label);
  });
  return h(
    'tr',
    {},
    h('th', { scope: 'col', text: 'Name' }),
    h('th', { scope: 'col', text: 'Status' }),
    h('th', { scope: 'col', text: 'Duration' }),
    h('th', { scope: 'col' }, h('span', { className: 'visually-hidden', text: 'Timeline' }), axis),
  );
}

function rowOf(
  row: TimelineRow,
  span: number,
  select: (row: TimelineRow, tr: HTMLTableRowElement) => void,
): HTMLTableRowElement {
  const e = row.entity;
  const name = h('td');
  name.style.paddingLeft = `${8 + row.depth * 18}px`;
  const label = row.isSegment ? `${e.name} · ${e.origin ?? 'service'}${e.inferred ? ' (inferred)' : ''}` : e.name;
  const open = h('button', { type: 'button', className: 'entity', text: label });
  name.append(open);
  const cause = causeText(e);
  if (cause) name.append(h('div', { className: 'cause', text: cause }));
  const left = (row.offset / span) * 100;
  const width = Math.max(((row.duration ?? span - row.offset) / span) * 100, 0.2);
  const fill = h('div', { className: `fill ${row.status}${row.duration === undefined ? ' progress' : ''}` });
  fill.style.left = `${left}%`;
  fill.style.width = `${width}%`;
  const status = e.http?.response?.status;
  const tr = h(
    'tr',
    { className: row.isSegment ? 'segment' : 'subsegment' },
    name,
    h(
      'td',
      {},
      h('span', {
        className: `badge ${row.duration === undefined ? 'partial' : row.status}`,
        text: row.duration === undefined ? 'in progress' : row.status,
      }),
      status ? ` ${status}` : '',
    ),
    h('td', { text: row.duration === undefined ? '…' : formatSeconds(row.duration) }),
    h('td', { className: 'bar' }, h('div', { className: 'track' }, fill)),
  );
  open.addEventListener('click', () => select(row, tr));
  return tr;
}

function overview(row: TimelineRow): HTMLElement {
  const e = row.entity;
  const entries: [string, string][] = [
    ['Name', e.name],
    ['Id', e.id],
    ['Kind', row.isSegment ? `segment${e.inferred ? ' (inferred)' : ''}` : 'subsegment'],
    ['Origin', e.origin ?? row.segment.origin ?? '-'],
    ['Namespace', e.namespace ?? '-'],
    ['Start', new Date(e.start_time * 1000).toISOString()],
    ['Duration', row.duration === undefined ? 'in progress' : formatSeconds(row.duration)],
    ['Status', row.status],
  ];
  if (e.parent_id) entries.push(['Parent id', e.parent_id]);
  const list = h('dl', {}, ...entries.flatMap(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })]));
  const extra: Record<string, unknown> = {};
  for (const key of ['http', 'aws', 'sql'] as const) if (e[key] !== undefined) extra[key] = e[key];
  return h('div', {}, list, Object.keys(extra).length ? h('pre', { text: JSON.stringify(extra, null, 2) }) : null);
}

function annotationsPanel(e: Entity): HTMLElement {
  const keys = Object.keys(e.annotations ?? {}).sort();
  if (!keys.length) return h('p', { className: 'muted', text: 'No annotations on this segment.' });
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Key' }), h('th', { scope: 'col', text: 'Value' }))),
    h(
      'tbody',
      {},
      ...keys.map((k) =>
        h('tr', {}, h('td', { text: k }), h('td', { className: 'mono', text: JSON.stringify(e.annotations![k]) })),
      ),
    ),
  );
}

function metadataPanel(e: Entity): HTMLElement {
  const namespaces = Object.keys(e.metadata ?? {}).sort();
  if (!namespaces.length) return h('p', { className: 'muted', text: 'No metadata on this segment.' });
  return h(
    'div',
    {},
    ...namespaces.flatMap((ns) => [
      h('h3', { text: ns }),
      h('pre', { text: JSON.stringify(e.metadata![ns], null, 2) }),
    ]),
  );
}

function exceptionsPanel(e: Entity): HTMLElement {
  const exceptions = exceptionsOf(e);
  if (!exceptions.length) {
    const text =
      typeof e.cause === 'string'
        ? `Caused by exception ${e.cause}, recorded on another subsegment.`
        : 'No exceptions on this segment.';
    return h('p', { className: 'muted', text });
  }
  return h(
    'div',
    {},
    ...exceptions.flatMap((x) => [
      h('h3', { text: `${x.type ?? 'Exception'}${x.remote ? ' (remote)' : ''}` }),
      h('p', { text: x.message ?? '' }),
      x.stack?.length
        ? h(
            'ol',
            { className: 'stack', 'aria-label': 'Stack' },
            ...x.stack.map((f) => h('li', { text: `${f.label ?? '?'} (${f.path ?? '?'}:${f.line ?? '?'})` })),
          )
        : h('p', { className: 'muted', text: 'No stack recorded.' }),
    ]),
  );
}

const panelOf: Record<Tab, (row: TimelineRow) => HTMLElement> = {
  Overview: overview,
  Annotations: (row) => annotationsPanel(row.entity),
  Metadata: (row) => metadataPanel(row.entity),
  Exceptions: (row) => exceptionsPanel(row.entity),
};

/** The WAI-ARIA tabs pattern: arrow keys move between tabs, Tab goes to the panel. */
function showTabs(row: TimelineRow): void {
  const container = byId('tabs');
  const tabId = (tab: Tab) => `tab-${tab.toLowerCase()}`;
  const list = h('div', { role: 'tablist', 'aria-label': `Details of ${row.entity.name}` });
  const panel = h('div', { role: 'tabpanel', id: 'tab-panel', tabindex: 0, 'aria-labelledby': tabId(selectedTab) });
  const buttons = TABS.map((tab) => {
    const selected = tab === selectedTab;
    const b = h('button', {
      type: 'button',
      role: 'tab',
      id: tabId(tab),
      'aria-selected': String(selected),
      'aria-controls': 'tab-panel',
      tabindex: selected ? 0 : -1,
      text: tab,
    });
    b.addEventListener('click', () => {
      selectedTab = tab;
      showTabs(row);
      document.getElementById(tabId(tab))?.focus();
    });
    b.addEventListener('keydown', (event) => {
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (!step) return;
      event.preventDefault();
      selectedTab = TABS[(TABS.indexOf(tab) + step + TABS.length) % TABS.length];
      showTabs(row);
      document.getElementById(tabId(selectedTab))?.focus();
    });
    return b;
  });
  list.append(...buttons);
  panel.append(panelOf[selectedTab](row));
  container.replaceChildren(h('div', { className: 'tabs' }, list, panel));
}

function render(trace: TraceJson): Entity[] {
  const segments = trace.Segments.map((s) => JSON.parse(s.Document) as Entity);
  const { start, end } = traceBounds(segments);
  const span = Math.max(end - start, 0.001);
  const rows = timelineRows(segments);
  byId('summary').textContent =
    `Started ${new Date(start * 1000).toLocaleString()} · ` +
    `duration ${formatSeconds(trace.Duration)} · ${segments.length} segments`;
  const body = h('tbody');
  let selectedTr: HTMLTableRowElement | undefined;
  const select = (row: TimelineRow, tr: HTMLTableRowElement) => {
    selectedTr?.classList.remove('selected');
    tr.classList.add('selected');
    selectedTr = tr;
    byId('segment-heading').textContent = `Details: ${row.entity.name}`;
    showTabs(row);
    announce(`Showing ${row.entity.name}`);
  };
  const trs = rows.map((row) => rowOf(row, span, select));
  body.append(...trs);
  byId('timeline').replaceChildren(
    h(
      'table',
      { className: 'timeline' },
      h('caption', { text: 'Segments and subsegments on the time axis (from the trace start)' }),
      h('thead', {}, axisRow(span)),
      body,
    ),
  );
  if (rows.length) select(rows[0], trs[0]);
  return segments;
}

async function showRelated(traceId: string, segments: Entity[]): Promise<void> {
  const container = byId('related');
  const values = annotationValues(segments);
  const filter = relatedTracesFilter(values);
  if (!filter) {
    container.replaceChildren(h('p', { className: 'muted', text: 'No QuestionId annotation on this trace.' }));
    return;
  }
  const { start } = traceBounds(segments);
  const { summaries } = await allTraceSummaries({
    StartTime: start - RELATED_WINDOW_SECONDS,
    EndTime: start + RELATED_WINDOW_SECONDS,
    FilterExpression: filter,
  });
  const others = summaries.filter((t) => t.Id !== traceId).sort((a, b) => (a.StartTime ?? 0) - (b.StartTime ?? 0));
  const range = timeRangeOf(location.search);
  container.replaceChildren(
    h('p', { text: `Traces annotated QuestionId = ${values.join(', ')}:` }),
    others.length
      ? h(
          'ul',
          { id: 'related-traces' },
          ...others.map((t) =>
            h(
              'li',
              {},
              h('a', { href: withRange(`/traces/${encodeURIComponent(t.Id)}`, range), className: 'mono', text: t.Id }),
              ` · ${t.EntryPoint?.Name ?? '-'} · ${formatSeconds(t.Duration)}`,
            ),
          ),
        )
      : h('p', { className: 'muted', text: 'No other trace carries it.' }),
  );
}

export function startTracePage(): void {
  setUpToolbar(() => undefined);
  const traceId = decodeURIComponent(location.pathname.split('/').pop() ?? '');
  byId('trace-id').textContent = traceId;
  api<{ Traces?: TraceJson[] }>('/Traces', { TraceIds: [traceId] })
    .then(async (result) => {
      const trace = result.Traces?.[0];
      if (!trace) throw new Error(`trace ${traceId} was not found`);
      const segments = render(trace);
      await showRelated(traceId, segments);
    })
    .catch((err) => showError(byId('timeline'), err));
}
