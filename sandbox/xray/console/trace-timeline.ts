/**
 * `GET /traces/<id>`: one trace's timeline (BatchGetTraces): each segment (inferred ones too) with its nested
 * subsegments as bars on a shared time axis; errors and faults coloured; click a row for its details.
 */
import { layout } from './common';

const BODY = String.raw`
<p><a href="/traces">← all traces</a></p>
<h2 class="mono" id="title"></h2>
<div id="summary" class="muted"></div>
<div id="timeline"></div>
<style>
.timeline td.bar { width: 55%; position: relative; }
.timeline .track { position: relative; height: 16px; background: #f0f2f5; border-radius: 2px; }
.timeline .fill { position: absolute; top: 2px; height: 12px; border-radius: 2px; background: #4a90d9; min-width: 2px; }
.timeline .fill.error { background: var(--error); } .timeline .fill.fault { background: var(--fault); }
.timeline .fill.throttle { background: var(--throttle); }
.timeline .fill.progress { background: repeating-linear-gradient(45deg, #9ab, #9ab 4px, #cde 4px, #cde 8px); }
.timeline tr.group td { background: #eef0f4; font-weight: 600; }
.timeline tr.entity { cursor: pointer; } .timeline tr.entity:hover td { background: #fafbff; }
.timeline pre { margin: 0; white-space: pre-wrap; font-size: 12px; max-height: 320px; overflow: auto; }
.timeline .cause { color: var(--fault); font-size: 12px; }
</style>
`;

const SCRIPT = String.raw`
var traceId = decodeURIComponent(location.pathname.split('/').pop());
document.getElementById('title').textContent = traceId;
function statusOf(e) { return e.fault ? 'fault' : e.throttle ? 'throttle' : e.error ? 'error' : 'ok'; }
function causeText(e) {
  var c = e.cause;
  if (!c || typeof c !== 'object') return '';
  return (c.exceptions || []).map(function (x) { return (x.type ? x.type + ': ' : '') + (x.message || ''); }).join('; ');
}
function details(e) {
  var shown = {};
  ['http', 'annotations', 'aws', 'cause', 'metadata', 'sql'].forEach(function (k) {
    if (e[k] !== undefined) shown[k] = e[k];
  });
  shown.id = e.id; if (e.parent_id) shown.parent_id = e.parent_id;
  return h('pre', { text: JSON.stringify(shown, null, 2) });
}
function render(trace) {
  var docs = trace.Segments.map(function (s) { return JSON.parse(s.Document); });
  var t0 = Infinity, t1 = -Infinity;
  docs.forEach(function (d) { t0 = Math.min(t0, d.start_time); t1 = Math.max(t1, d.end_time || d.start_time); });
  var span = Math.max(t1 - t0, 0.001);
  document.getElementById('summary').textContent =
    'started ' + new Date(t0 * 1000).toLocaleString() + ' · duration ' + ms(trace.Duration) + ' · ' + docs.length + ' segments';
  var table = h('table', { className: 'timeline' }, h('thead', {}, h('tr', {},
    h('th', { text: 'Name' }), h('th', { text: 'Status' }), h('th', { text: 'Duration' }), h('th', { text: 'Timeline' }))));
  var body = h('tbody');
  function row(e, depth) {
    var st = statusOf(e), end = e.in_progress || e.end_time === undefined ? t1 : e.end_time;
    var left = (e.start_time - t0) / span * 100, width = Math.max((end - e.start_time) / span * 100, 0.2);
    var name = h('td', { style: 'padding-left:' + (8 + depth * 18) + 'px' }, e.name);
    Object.keys(e.annotations || {}).forEach(function (k) {
      name.appendChild(h('span', { className: 'annotation', text: k + ' = ' + e.annotations[k] }));
    });
    var cause = causeText(e);
    if (cause) name.appendChild(h('div', { className: 'cause', text: cause }));
    var fill = h('div', {
      className: 'fill ' + st + (e.in_progress ? ' progress' : ''),
      style: 'left:' + left + '%;width:' + width + '%',
    });
    var tr = h('tr', { className: 'entity' }, name,
      h('td', {}, h('span', {
        className: 'badge ' + (e.in_progress ? 'partial' : st),
        text: e.in_progress ? 'in progress' : st,
      })
        , e.http && e.http.response && e.http.response.status ? ' ' + e.http.response.status : ''),
      h('td', { text: e.in_progress ? '…' : ms(e.end_time - e.start_time) }),
      h('td', { className: 'bar' }, h('div', { className: 'track' }, fill)));
    var open = null;
    tr.addEventListener('click', function () {
      if (open) { open.remove(); open = null; return; }
      open = h('tr', {}, h('td', { colspan: 4 }, details(e)));
      tr.after(open);
    });
    body.appendChild(tr);
    (e.subsegments || []).slice().sort(function (a, b) { return a.start_time - b.start_time; })
      .forEach(function (sub) { row(sub, depth + 1); });
  }
  docs.sort(function (a, b) { return a.start_time - b.start_time; }).forEach(function (d) {
    var kind = d.inferred ? ' (inferred)' : '';
    var groupName = d.name + ' · ' + (d.origin || 'service') + kind;
    body.appendChild(h('tr', { className: 'group' }, h('td', { colspan: 4, text: groupName })));
    row(d, 0);
  });
  table.appendChild(body);
  document.getElementById('timeline').replaceChildren(table);
}
api('/Traces', { TraceIds: [traceId] }).then(function (r) {
  if (!r.Traces || !r.Traces.length) throw new Error('trace ' + traceId + ' was not found');
  render(r.Traces[0]);
}).catch(function (err) { showError(document.getElementById('timeline'), err); });
`;

export const traceTimelinePage = () => layout('Trace', 'traces', BODY, SCRIPT);
