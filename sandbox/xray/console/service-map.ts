/** `GET /`: the service map (GetServiceGraph), drawn as SVG in dependency order and refreshed every 5 s. */
import { layout } from './common';

const BODY = String.raw`
<div class="toolbar">
  <label>Last <select id="range">
    <option value="300">5 minutes</option><option value="900">15 minutes</option>
    <option value="3600" selected>1 hour</option><option value="21600">6 hours</option>
  </select></label>
  <span class="muted" id="updated"></span>
  <span class="muted">· click a node for its traces</span>
</div>
<div id="map"></div>
<p class="muted">Ring: <span style="color:var(--ok)">ok</span> / <span style="color:var(--error)">error (4xx)</span> /
<span style="color:var(--fault)">fault (5xx)</span>. Edges: requests · average response time.</p>
`;

const SCRIPT = String.raw`
var R = 30, COL = 260, ROW = 130, PAD = 90, PADX = 140;
function stats(st) {
  st = st || {};
  var e = (st.ErrorStatistics || {}).TotalCount || 0, f = (st.FaultStatistics || {}).TotalCount || 0;
  var total = st.TotalCount || 0;
  var avg = total ? st.TotalResponseTime / total : undefined;
  return { total: total, ok: st.OkCount || 0, errors: e, faults: f, avg: avg };
}
function layoutNodes(services) {
  var byRef = {}, depth = {}, incoming = {};
  services.forEach(function (n) { byRef[n.ReferenceId] = n; depth[n.ReferenceId] = 0; });
  services.forEach(function (n) { (n.Edges || []).forEach(function (e) { incoming[e.ReferenceId] = true; }); });
  // Longest path from the entry nodes; bounded passes so a cycle cannot loop forever.
  for (var pass = 0; pass < services.length; pass++) {
    var changed = false;
    services.forEach(function (n) {
      (n.Edges || []).forEach(function (e) {
        if (byRef[e.ReferenceId] && depth[e.ReferenceId] < depth[n.ReferenceId] + 1) {
          depth[e.ReferenceId] = depth[n.ReferenceId] + 1;
          changed = true;
        }
      });
    });
    if (!changed) break;
  }
  var columns = {}, preds = {}, succs = {};
  services.forEach(function (n) {
    (columns[depth[n.ReferenceId]] = columns[depth[n.ReferenceId]] || []).push(n);
    (n.Edges || []).forEach(function (e) {
      (succs[n.ReferenceId] = succs[n.ReferenceId] || []).push(e.ReferenceId);
      (preds[e.ReferenceId] = preds[e.ReferenceId] || []).push(n.ReferenceId);
    });
  });
  var maxCol = Math.max.apply(null, Object.keys(columns).map(Number)), index = {};
  function reindex(col) { col.forEach(function (n, i) { index[n.ReferenceId] = i; }); }
  for (var c0 = 0; c0 <= maxCol; c0++) {
    columns[c0] = (columns[c0] || []).sort(function (a, b) {
      return a.Type === 'client' ? -1 : b.Type === 'client' ? 1 : a.Name < b.Name ? -1 : 1;
    });
    reindex(columns[c0]);
  }
  // Barycentre sweeps: order each column by the mean row of its neighbours, so edges cross less.
  function sweep(c, neighbours) {
    var col = columns[c];
    function key(n) {
      var ns = (neighbours[n.ReferenceId] || []).filter(function (r) { return index[r] !== undefined && depth[r] !== c; });
      if (!ns.length) return index[n.ReferenceId];
      return ns.reduce(function (sum, r) { return sum + index[r]; }, 0) / ns.length;
    }
    var keys = {};
    col.forEach(function (n) { keys[n.ReferenceId] = key(n); });
    col.sort(function (a, b) { return keys[a.ReferenceId] - keys[b.ReferenceId]; });
    reindex(col);
  }
  for (var round = 0; round < 3; round++) {
    for (var f = 1; f <= maxCol; f++) sweep(f, preds);
    for (var b = maxCol - 1; b >= 0; b--) sweep(b, succs);
  }
  var pos = {}, maxRows = 0;
  Object.keys(columns).forEach(function (c) {
    var col = columns[c];
    maxRows = Math.max(maxRows, col.length);
    col.forEach(function (n, i) {
      pos[n.ReferenceId] = { x: PADX + Number(c) * COL, y: PAD + i * ROW, rows: col.length };
    });
  });
  // Centre short columns vertically.
  services.forEach(function (n) { var p = pos[n.ReferenceId]; p.y += (maxRows - p.rows) * ROW / 2; });
  return { pos: pos, byRef: byRef, width: PADX * 2 + maxCol * COL, height: PAD + maxRows * ROW };
}
function ring(svg, x, y, st) {
  var c = 2 * Math.PI * R, parts = [[st.ok, 'var(--ok)'], [st.errors, 'var(--error)'], [st.faults, 'var(--fault)']];
  svg.appendChild(s('circle', { cx: x, cy: y, r: R, fill: '#fff', stroke: '#ccd', 'stroke-width': 6 }));
  var offset = 0;
  parts.forEach(function (p) {
    if (!st.total || !p[0]) return;
    var len = c * p[0] / st.total;
    svg.appendChild(s('circle', { cx: x, cy: y, r: R, fill: 'none', stroke: p[1], 'stroke-width': 6,
      'stroke-dasharray': len + ' ' + (c - len), 'stroke-dashoffset': -offset,
      transform: 'rotate(-90 ' + x + ' ' + y + ')' }));
    offset += len;
  });
}
function draw(result) {
  var container = document.getElementById('map');
  var services = result.Services || [];
  if (!services.length) {
    container.replaceChildren(h('p', { className: 'muted', text: 'No traces in this time range yet.' }));
    return;
  }
  var L = layoutNodes(services);
  var svg = s('svg', { width: L.width, height: L.height, role: 'img', 'aria-label': 'service map' });
  var defs = s('defs');
  var marker = s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 8, markerHeight: 8,
    orient: 'auto-start-reverse' });
  marker.appendChild(s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#889' }));
  defs.appendChild(marker); svg.appendChild(defs);
  services.forEach(function (n) {
    (n.Edges || []).forEach(function (e) {
      var a = L.pos[n.ReferenceId], b = L.pos[e.ReferenceId];
      if (!b) return;
      var st = stats(e.SummaryStatistics), dx = b.x - a.x, dy = b.y - a.y, d = Math.sqrt(dx * dx + dy * dy) || 1;
      var x1 = a.x + dx / d * (R + 4), y1 = a.y + dy / d * (R + 4);
      var x2 = b.x - dx / d * (R + 6), y2 = b.y - dy / d * (R + 6);
      var bad = st.faults ? 'var(--fault)' : st.errors ? 'var(--error)' : '#889';
      svg.appendChild(s('line', { x1: x1, y1: y1, x2: x2, y2: y2, stroke: bad, 'stroke-width': 1.5,
        'marker-end': 'url(#arrow)' }));
      svg.appendChild(s('text', { x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 6, 'text-anchor': 'middle', fill: '#556',
        text: st.total + ' · ' + ms(st.avg) }));
    });
  });
  services.forEach(function (n) {
    var p = L.pos[n.ReferenceId], st = stats(n.SummaryStatistics);
    var g = s('g', { class: 'node', style: 'cursor:pointer' });
    g.addEventListener('click', function () {
      location.href = '/traces?filter=' + encodeURIComponent(n.Type === 'client' ? '' : 'service("' + n.Name + '")');
    });
    var title = s('title', { text: n.Name + (n.Type ? ' (' + n.Type + ')' : '') });
    g.appendChild(title);
    ring(g, p.x, p.y, st);
    g.appendChild(s('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle', 'font-weight': 600,
      text: n.Type === 'client' ? 'client' : ms(st.avg) }));
    var label = n.Name.length > 34 ? n.Name.slice(0, 33) + '…' : n.Name;
    g.appendChild(s('text', { x: p.x, y: p.y + R + 18, 'text-anchor': 'middle', 'font-weight': 600, text: label }));
    g.appendChild(s('text', { x: p.x, y: p.y + R + 33, 'text-anchor': 'middle', fill: '#667', text: n.Type || '' }));
    var counts = st.total + ' req';
    if (st.errors) counts += ' · ' + st.errors + ' err';
    if (st.faults) counts += ' · ' + st.faults + ' fault';
    var countsFill = st.faults ? 'var(--fault)' : st.errors ? 'var(--error)' : '#334';
    g.appendChild(s('text', { x: p.x, y: p.y + R + 48, 'text-anchor': 'middle', fill: countsFill, text: counts }));
    svg.appendChild(g);
  });
  container.replaceChildren(svg);
}
function load() {
  var now = Date.now() / 1000, range = Number(document.getElementById('range').value);
  api('/ServiceGraph', { StartTime: now - range, EndTime: now })
    .then(function (result) {
      draw(result);
      document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
    })
    .catch(function (err) { showError(document.getElementById('map'), err); });
}
document.getElementById('range').addEventListener('change', load);
load();
setInterval(load, 5000);
`;

export const serviceMapPage = () => layout('Service map', 'map', BODY, SCRIPT);
