/** `GET /traces`: trace summaries (GetTraceSummaries) with a filter-expression box, newest first. */
import { layout } from './common';

const BODY = String.raw`
<form class="toolbar" id="form">
  <input type="text" id="filter" name="filter" placeholder='e.g. annotation.QuestionId = "…" AND service("…") OR fault' autocomplete="off">
  <select id="range" name="range">
    <option value="300">last 5 minutes</option><option value="3600" selected>last hour</option>
    <option value="86400">last day</option>
  </select>
  <button type="submit">Search</button>
</form>
<div id="result"></div>
`;

const SCRIPT = String.raw`
var params = new URLSearchParams(location.search);
document.getElementById('filter').value = params.get('filter') || '';
if (params.get('range')) document.getElementById('range').value = params.get('range');
var MAX_PAGES = 10;
function status(t) {
  var span = h('span');
  if (t.HasFault) span.appendChild(h('span', { className: 'badge fault', text: 'fault' }));
  else if (t.HasThrottle) span.appendChild(h('span', { className: 'badge throttle', text: 'throttle' }));
  else if (t.HasError) span.appendChild(h('span', { className: 'badge error', text: 'error' }));
  else span.appendChild(h('span', { className: 'badge ok', text: 'ok' }));
  if (t.IsPartial) span.appendChild(h('span', { className: 'badge partial', text: 'partial' }));
  return span;
}
function annotations(t) {
  var cell = h('td');
  Object.keys(t.Annotations || {}).sort().forEach(function (key) {
    t.Annotations[key].forEach(function (v) {
      cell.appendChild(h('span', { className: 'annotation', text: key + ' = ' + annotationText(v.AnnotationValue) }));
    });
  });
  return cell;
}
function render(summaries, processed) {
  var result = document.getElementById('result');
  if (!summaries.length) {
    result.replaceChildren(h('p', { className: 'muted', text: 'No traces match (' + processed + ' in range).' }));
    return;
  }
  var table = h('table', {}, h('thead', {}, h('tr', {},
    h('th', { text: 'Started' }), h('th', { text: 'Trace' }), h('th', { text: 'Status' }), h('th', { text: 'Request' }),
    h('th', { text: 'Response' }), h('th', { text: 'Duration' }), h('th', { text: 'Entry point' }),
    h('th', { text: 'Annotations' }))));
  var body = h('tbody');
  summaries.forEach(function (t) {
    var http = t.Http || {};
    var request = (http.HttpMethod || '') + ' ' + (http.HttpURL || '') + (http.HttpStatus ? ' → ' + http.HttpStatus : '');
    body.appendChild(h('tr', {},
      h('td', { text: new Date(t.StartTime * 1000).toLocaleTimeString() }),
      h('td', { className: 'mono' }, h('a', { href: '/traces/' + encodeURIComponent(t.Id), text: t.Id })),
      h('td', {}, status(t)),
      h('td', { className: 'mono', text: request.trim() || '-' }),
      h('td', { text: ms(t.ResponseTime) }),
      h('td', { text: ms(t.Duration) }),
      h('td', { text: t.EntryPoint ? t.EntryPoint.Name : '-' }),
      annotations(t)));
  });
  table.appendChild(body);
  var count = summaries.length + ' of ' + processed + ' traces in range';
  result.replaceChildren(h('p', { className: 'muted', text: count }), table);
}
function load() {
  var now = Date.now() / 1000, range = Number(document.getElementById('range').value);
  var filter = document.getElementById('filter').value || undefined;
  var request = { StartTime: now - range, EndTime: now, FilterExpression: filter };
  var all = [], processed = 0;
  function page(token, n) {
    return api('/TraceSummaries', Object.assign({}, request, { NextToken: token })).then(function (r) {
      all = all.concat(r.TraceSummaries || []); processed = Math.max(processed, r.TracesProcessedCount || 0);
      if (r.NextToken && n < MAX_PAGES) return page(r.NextToken, n + 1);
    });
  }
  page(undefined, 1).then(function () { render(all, processed); })
    .catch(function (err) { showError(document.getElementById('result'), err); });
}
document.getElementById('form').addEventListener('submit', function (event) {
  event.preventDefault();
  var q = new URLSearchParams({
    filter: document.getElementById('filter').value,
    range: document.getElementById('range').value,
  });
  history.replaceState(null, '', '/traces?' + q.toString());
  load();
});
load();
`;

export const traceListPage = () => layout('Traces', 'traces', BODY, SCRIPT);
