/**
 * Shared style and browser helpers of the console pages. The pages are plain HTML + JS + SVG served by the
 * daemon itself and call the same X-Ray API as the SDK; nothing is loaded from other hosts.
 * Browser code is kept in String.raw strings without backticks or `${`, so it is sent exactly as written.
 */

export const STYLE = String.raw`
:root { --ok: #2e7d32; --error: #ef6c00; --fault: #c62828; --throttle: #6a1b9a; --muted: #667; --line: #dde; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #223; background: #f7f8fa; }
header { display: flex; gap: 24px; align-items: center; padding: 10px 20px; background: #232f3e; color: #fff; }
header h1 { font-size: 16px; margin: 0; font-weight: 600; }
header a { color: #ffb74d; text-decoration: none; }
header a.current { color: #fff; border-bottom: 2px solid #ff9900; }
main { padding: 16px 20px; }
.toolbar { display: flex; gap: 8px; align-items: center; margin-bottom: 12px; flex-wrap: wrap; }
.toolbar input[type=text] { flex: 1; min-width: 320px; padding: 6px 8px; font-family: ui-monospace, monospace; }
.muted { color: var(--muted); }
.error-box { color: var(--fault); background: #fdecea; padding: 8px; border-radius: 4px; margin-bottom: 12px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef0f4; font-weight: 600; }
td.mono, .mono { font-family: ui-monospace, monospace; font-size: 12px; }
.badge { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 12px; color: #fff; }
.badge.ok { background: var(--ok); } .badge.error { background: var(--error); }
.badge.fault { background: var(--fault); } .badge.throttle { background: var(--throttle); }
.badge.partial { background: #888; }
.annotation {
  display: inline-block; margin: 1px 4px 1px 0; padding: 0 4px; background: #eef3ff; border-radius: 3px; font-size: 12px;
}
svg text { font: 12px system-ui, sans-serif; }
`;

/** DOM helpers used by every page: escaping is left to textContent. */
export const HELPERS = String.raw`
function h(tag, attrs) {
  var el = document.createElement(tag);
  for (var k in (attrs || {})) {
    if (k === 'text') el.textContent = attrs[k];
    else if (k === 'className') el.className = attrs[k];
    else el.setAttribute(k, attrs[k]);
  }
  for (var i = 2; i < arguments.length; i++) {
    var c = arguments[i];
    if (c === null || c === undefined) continue;
    el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return el;
}
function s(tag, attrs) {
  var el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (var k in (attrs || {})) {
    if (k === 'text') el.textContent = attrs[k]; else el.setAttribute(k, attrs[k]);
  }
  return el;
}
function api(path, body) {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    .then(function (r) {
      return r.json().then(function (json) {
        if (!r.ok) throw new Error((r.headers.get('x-amzn-errortype') || 'Error') + ': ' + (json.message || r.status));
        return json;
      });
    });
}
function ms(seconds) {
  if (seconds === undefined || seconds === null) return '-';
  return seconds < 1 ? Math.round(seconds * 1000) + ' ms' : seconds.toFixed(2) + ' s';
}
function annotationText(value) {
  if ('StringValue' in value) return value.StringValue;
  if ('NumberValue' in value) return String(value.NumberValue);
  return String(value.BooleanValue);
}
function showError(container, err) {
  container.replaceChildren(h('div', { className: 'error-box', text: String(err.message || err) }));
}
`;

export function layout(title: string, current: 'map' | 'traces', body: string, script: string): string {
  const link = (href: string, label: string, key: string) =>
    `<a href="${href}"${key === current ? ' class="current"' : ''}>${label}</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · local X-Ray</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Local X-Ray</h1>${link('/', 'Service map', 'map')}${link('/traces', 'Traces', 'traces')}</header>
<main>${body}</main>
<script>${HELPERS}
${script}</script>
</body>
</html>`;
}
