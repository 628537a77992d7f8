/** `GET /traces`: trace summaries (GetTraceSummaries), newest first, for a filter expression and the time range. */
import { allTraceSummaries, type TraceSummaryJson } from './api';
import { currentRange, setUpdated, setUpToolbar } from './chrome';
import { byId, h, showError } from './dom';
import { annotationText, formatSeconds } from './format';
import { windowOf, withRange } from './time-range';

function statusCell(t: TraceSummaryJson): HTMLTableCellElement {
  const status = t.HasFault ? 'fault' : t.HasThrottle ? 'throttle' : t.HasError ? 'error' : 'ok';
  return h(
    'td',
    {},
    h('span', { className: `badge ${status}`, text: status }),
    t.IsPartial ? h('span', { className: 'badge partial', text: 'partial' }) : null,
  );
}

function annotationsCell(t: TraceSummaryJson): HTMLTableCellElement {
  const cell = h('td');
  for (const key of Object.keys(t.Annotations ?? {}).sort()) {
    for (const v of t.Annotations![key]) {
      cell.append(h('span', { className: 'annotation', text: `${key} = ${annotationText(v.AnnotationValue)}` }));
    }
  }
  return cell;
}

function render(summaries: TraceSummaryJson[], processed: number): void {
  const result = byId('result');
  if (!summaries.length) {
    result.replaceChildren(h('p', { className: 'muted', text: `No traces match (${processed} in range).` }));
    return;
  }
  const headings = ['Started', 'Trace', 'Status', 'Request', 'Response', 'Duration', 'Entry point', 'Annotations'];
  const body = h('tbody');
  for (const t of summaries) {
    const http = t.Http ?? {};
    const request =
      `${http.HttpMethod ?? ''} ${http.HttpURL ?? ''}${http.HttpStatus ? ` → ${http.HttpStatus}` : ''}`.trim();
    body.append(
      h(
        'tr',
        {},
        h('td', { text: t.StartTime ? new Date(t.StartTime * 1000).toLocaleTimeString() : '-' }),
        h(
          'td',
          { className: 'mono' },
          h('a', { href: withRange(`/traces/${encodeURIComponent(t.Id)}`, currentRange()), text: t.Id }),
        ),
        statusCell(t),
        h('td', { className: 'mono', text: request || '-' }),
        h('td', { text: formatSeconds(t.ResponseTime) }),
        h('td', { text: formatSeconds(t.Duration) }),
        h('td', { text: t.EntryPoint?.Name ?? '-' }),
        annotationsCell(t),
      ),
    );
  }
  result.replaceChildren(
    h(
      'table',
      {},
      h('caption', { text: `${summaries.length} of ${processed} traces in range` }),
      h('thead', {}, h('tr', {}, ...headings.map((text) => h('th', { scope: 'col', text })))),
      body,
    ),
  );
}

async function load(): Promise<void> {
  const filter = (byId<HTMLInputElement>('filter').value || '').trim();
  try {
    const { summaries, processed } = await allTraceSummaries({
      ...windowOf(currentRange(), Date.now() / 1000),
      FilterExpression: filter || undefined,
    });
    render(summaries, processed);
    setUpdated();
  } catch (err) {
    showError(byId('result'), err);
  }
}

export function startTracesPage(): void {
  const input = byId<HTMLInputElement>('filter');
  input.value = new URLSearchParams(location.search).get('filter') ?? '';
  setUpToolbar(() => void load());
  byId('form').addEventListener('submit', (event) => {
    event.preventDefault();
    const query = new URLSearchParams(location.search);
    query.set('filter', input.value);
    history.replaceState(null, '', withRange(`/traces?${query.toString()}`, currentRange()));
    void load();
  });
  void load();
}
